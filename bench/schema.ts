/**
 * `keyhole bench --json` output, schema `keyhole-bench/1` (SPEC §8), as a zod schema: the
 * tests validate real output against it, and so can anyone consuming the file.
 *
 * Beyond SPEC §8's `schema`, `machine` and `results`, two top-level lists: `failed` (rows whose
 * cross-validation or run failed: they have no figures, so they cannot be results) and
 * `findings` (the hot-path ratios). Both are always present, possibly empty. `groupSizes`, when
 * the run measured it: the group-size curve (bench/group-size.ts).
 */
import { z } from 'zod';
import { GROUPS } from './core.ts';

export const BENCH_SCHEMA = 'keyhole-bench/1';

export const benchResultSchema = z
  .strictObject({
    group: z.enum(GROUPS as [string, ...string[]]),
    task: z.string().min(1),
    crypto: z.string().min(1),
    opsPerSec: z.number().positive().finite(),
    /** Null where an op has no payload size (key generation, key agreement, KDF output). */
    bytesPerSec: z.number().nonnegative().finite().nullable(),
    p50Ns: z.number().nonnegative().finite(),
    samples: z.number().int().positive(),
    target: z.string().min(1).optional(),
    overheadBytes: z.number().int().optional(),
  })
  .refine((r) => (r.group === 'protocol') === (r.target !== undefined), { message: 'protocol rows, and only they, carry "target"' });

export const benchFailureSchema = z.strictObject({
  group: z.enum(GROUPS as [string, ...string[]]),
  task: z.string().min(1),
  crypto: z.string().min(1),
  target: z.string().min(1).optional(),
  reason: z.string().min(1),
});

export const findingSchema = z.strictObject({
  name: z.string().min(1),
  value: z.number().finite().nullable(),
  /** Absent for a ratio. */
  unit: z.string().min(1).optional(),
  goal: z.string(),
  met: z.boolean().nullable(),
  detail: z.string(),
});

const groupSizePointSchema = z.strictObject({
  target: z.string().min(1),
  crypto: z.string().min(1),
  members: z.number().int().positive(),
  operation: z.enum(['message', 'add', 'remove']),
  ms: z.number().nonnegative().finite(),
  uploadedBytes: z.number().nonnegative().finite(),
  msPerMember: z.number().nonnegative().finite(),
  bytesPerMember: z.number().nonnegative().finite(),
});

export const groupSizesSchema = z.strictObject({
  sizes: z.array(z.number().int().positive()),
  points: z.array(groupSizePointSchema),
  skipped: z.array(z.strictObject({ target: z.string().min(1), members: z.number().int().positive(), reason: z.string().min(1) })),
  crossovers: z.array(z.string()),
});

export const benchDocumentSchema = z.strictObject({
  schema: z.literal(BENCH_SCHEMA),
  machine: z.strictObject({
    cpu: z.string().min(1),
    cores: z.number().int().positive(),
    node: z.string().regex(/^v\d+\.\d+\.\d+/),
  }),
  results: z.array(benchResultSchema),
  failed: z.array(benchFailureSchema),
  findings: z.array(findingSchema),
  groupSizes: groupSizesSchema.optional(),
});

export type BenchDocument = z.infer<typeof benchDocumentSchema>;
