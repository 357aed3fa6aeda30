/**
 * Reading a `report.json` written earlier (for `--baseline` and `keyhole merge`): parse it and
 * check it against the `keyhole-report/1` shape (SPEC §7). Every problem is an `InputError`
 * with the file, the place inside it (`runs[3].messages[0].leaked`) and what was expected.
 *
 * The file is read as every input file is (`readInputFile`: a regular file, never a pipe or
 * a device, at most `MAX_REPORT_BYTES`, UTF-8), and its JSON is measured before it is parsed
 * (`checkJsonSize`: nesting, at most `MAX_REPORT_VALUES` values), so that no report.json can
 * take more than a few hundred megabytes to read. Numbers are bounded: counts are safe
 * integers, a shard's numbers are checked against `harness/shard.ts`'s limits.
 *
 * Extra keys are allowed (a later version may add some); the report returned is the parsed
 * file itself, in its own key order, with `summary.breached` counted from the messages of a
 * run that lacks it (a report written before it existed).
 */
import { z } from 'zod';

import { InputError } from '../errors.ts';
import type { InputProblem } from '../errors.ts';
import { checkJsonSize, formatPath, MAX_NESTING, readInputFile } from '../input/index.ts';
import type { InputKind } from '../input/index.ts';
import { MAX_MATRIX_RUNS, MAX_SHARDS } from '../shard.ts';
import {
  ALERT_KINDS,
  MESSAGE_CLASSES,
  METADATA_KINDS,
  PROPERTY_NAMES,
  REPORT_SCHEMA,
  RUN_STATUSES,
  VERDICTS,
  type Report,
} from './types.ts';
import { breachedMessages } from './verdicts.ts';

export const MAX_REPORT_PROBLEMS = 20;
/**
 * The largest report.json keyhole reads: about 300,000 messages. `merge` allows its inputs
 * no more together, so the merged report can be read again (as a baseline).
 */
export const MAX_REPORT_BYTES = 128 * 1024 * 1024;
/** JSON values in a report.json at most (a message is about ten): parsing costs about 100 bytes a value. */
export const MAX_REPORT_VALUES = 4_000_000;
/** The longest audit a report's timing may claim: a year, in milliseconds. */
export const MAX_REPORT_DURATION_MS = 365 * 24 * 3600 * 1000;

const text = z.string({ error: 'expected a string' });
const count = z.number({ error: 'expected a non-negative integer' }).int({ error: 'expected a non-negative integer' }).min(0, { error: 'expected a non-negative integer' });
const oneOf = <T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: `expected one of: ${values.join(', ')}` });

/**
 * A list of `item`s, checked one item at a time and only until `MAX_REPORT_PROBLEMS`
 * problems are found: zod gathers every issue of a list before it returns, and a report of
 * millions of wrong items would take gigabytes of them.
 */
function listOf(item: z.ZodType, error: string) {
  return z.array(z.unknown(), { error }).superRefine((items, ctx) => {
    let found = 0;
    for (let i = 0; i < items.length && found < MAX_REPORT_PROBLEMS; i++) {
      const result = item.safeParse(items[i]);
      if (result.success) continue;
      for (const issue of result.error.issues) ctx.addIssue({ ...issue, path: [i, ...issue.path] } as z.core.$ZodSuperRefineIssue);
      found += result.error.issues.length;
    }
  });
}

/** A mapping of names to `value`s, checked as `listOf` checks a list. */
function mappingOf(value: z.ZodType, error: string) {
  return z.record(z.string(), z.unknown(), { error }).superRefine((entries, ctx) => {
    let found = 0;
    for (const [name, entry] of Object.entries(entries)) {
      if (found >= MAX_REPORT_PROBLEMS) break;
      const result = value.safeParse(entry);
      if (result.success) continue;
      for (const issue of result.error.issues) ctx.addIssue({ ...issue, path: [name, ...issue.path] } as z.core.$ZodSuperRefineIssue);
      found += result.error.issues.length;
    }
  });
}

const messageSchema = z.looseObject({
  id: text,
  from: text,
  to: text,
  step: count,
  delivered: z.boolean({ error: 'expected true or false' }),
  unreadable: listOf(text, 'expected a list of device addresses').optional(),
  verified: z.boolean({ error: 'expected true or false' }),
  class: oneOf(MESSAGE_CLASSES),
  leaked: z.boolean({ error: 'expected true or false' }),
  via: text.nullable(),
  // Reports written before detection existed lack it.
  noticed: z.boolean({ error: 'expected true, false or null' }).nullable().optional(),
});

const propertySchema = z.looseObject({
  property: oneOf(PROPERTY_NAMES),
  verdict: oneOf(VERDICTS),
  claimed: z.boolean({ error: 'expected true or false' }),
  notClaimedFor: text.optional(),
  withinClaim: oneOf(VERDICTS).optional(),
  detail: text,
  healedAfter: count.nullable().optional(),
  seen: listOf(oneOf(METADATA_KINDS), 'expected a list').optional(),
});

const alertSchema = z.looseObject({
  step: z.number({ error: 'expected a step index' }).int({ error: 'expected a step index' }).min(-1, { error: 'expected a step index' }),
  user: text,
  device: text,
  kind: oneOf(ALERT_KINDS),
  about: text,
  members: listOf(text, 'expected a list of user names').optional(),
});

const forgerySchema = z.looseObject({
  id: text,
  claimedFrom: text,
  sentBy: text.nullable(),
  acceptedBy: text,
  step: count,
  group: text.nullable(),
  noticed: z.boolean({ error: 'expected true or false' }),
});

const runSchema = z.looseObject({
  target: text,
  scenario: text,
  adversary: text,
  status: oneOf(RUN_STATUSES),
  error: text.nullable(),
  notes: listOf(text, 'expected a list of strings').optional(),
  marks: mappingOf(count, 'expected a mapping of mark names to step indices').optional(),
  strikeStep: count.nullable().optional(),
  messages: listOf(messageSchema, 'expected a list of messages'),
  forgeries: listOf(forgerySchema, 'expected a list of forgeries').optional(),
  properties: listOf(propertySchema, 'expected a list of properties'),
  alerts: listOf(alertSchema, 'expected a list of alerts').optional(),
  // Reports written before `breached` existed lack it; it is counted from their messages.
  summary: z.looseObject({ messages: count, leaked: count, breached: count.optional() }, { error: 'expected a mapping with keys messages, leaked, breached' }),
  scan: z
    .looseObject(
      Object.fromEntries(['listed', 'flagged', 'falsePositives', 'missed'].map((key) => [key, listOf(text, 'expected a list of message ids')])),
      { error: 'expected a mapping with keys listed, flagged, falsePositives, missed' },
    )
    .optional(),
});

const reportSchema = z.looseObject({
  schema: z.literal(REPORT_SCHEMA, { error: `expected '${REPORT_SCHEMA}'` }),
  tool: z.looseObject({ name: z.literal('keyhole', { error: "expected 'keyhole'" }), version: text }, { error: 'expected a mapping with keys name, version' }),
  seed: count,
  timing: z.looseObject(
    { startedAt: z.iso.datetime({ error: 'expected an ISO date-time' }), durationMs: z
        .number({ error: 'expected a number' })
        .min(0, { error: 'expected a non-negative number' })
        .max(MAX_REPORT_DURATION_MS, { error: `expected at most ${MAX_REPORT_DURATION_MS} (a year)` }) },
    { error: 'expected a mapping with keys startedAt, durationMs' },
  ),
  runs: listOf(runSchema, 'expected a list of runs'),
  violations: listOf(z.looseObject({ target: text, scenario: text, adversary: text, property: text, detail: text }), 'expected a list of violations'),
  shard: z
    .looseObject(
      {
        index: count.min(1, { error: 'expected a positive integer' }).max(MAX_SHARDS, { error: `expected at most ${MAX_SHARDS}` }),
        count: count.min(1, { error: 'expected a positive integer' }).max(MAX_SHARDS, { error: `expected at most ${MAX_SHARDS} shards` }),
        matrixSize: count.max(MAX_MATRIX_RUNS, { error: `expected at most ${MAX_MATRIX_RUNS} runs` }),
        matrixId: z.string({ error: 'expected a string' }).regex(/^[0-9a-f]{64}$/, { error: 'expected a SHA-256 in hex (64 digits 0-9, a-f)' }).optional(),
      },
      { error: 'expected a mapping with keys index, count, matrixSize, matrixId' },
    )
    .optional(),
});

/** What a report, or all the reports one command reads together, may still hold. */
export interface ReportBudget {
  bytes: number;
  values: number;
  /** The files sharing the budget, for messages (`all the reports given to merge`); absent: one file. */
  sharedBy?: string;
}

/** The budget of one report.json; `sharedBy`: the files that share it. */
export function reportBudget(sharedBy?: string): ReportBudget {
  return { bytes: MAX_REPORT_BYTES, values: MAX_REPORT_VALUES, ...(sharedBy ? { sharedBy } : {}) };
}

/** Reads and checks a report.json; `what` says what it is for in messages (`baseline report`). */
export function readReportFile(path: string, what = 'keyhole report'): Report {
  return readReport(path, what, reportBudget());
}

/**
 * Reads and checks a report.json within `budget`, and takes what it held from the budget
 * (`merge` reads all its inputs from one budget, so that they hold no more than one report).
 */
export function readReport(path: string, what: string, budget: ReportBudget): Report {
  const note = sharedNote(budget, budget.bytes, MAX_REPORT_BYTES);
  const kind: InputKind = { what, shape: `schema ${REPORT_SCHEMA}`, maxBytes: budget.bytes, ...(note ? { maxBytesNote: note } : {}) };
  const text = readInputFile(path, kind);
  const report = parseReport(text, path, what, budget);
  budget.bytes -= Buffer.byteLength(text);
  return report;
}

/** `what is left of 134217728 for all the reports given to merge together`, once another file took its part. */
function sharedNote(budget: ReportBudget, left: number, limit: number): string | undefined {
  return budget.sharedBy !== undefined && left < limit ? `what is left of ${limit} for ${budget.sharedBy} together` : undefined;
}

/** Parses and checks report.json text; `file` names it in errors. */
export function parseReport(raw: string, file: string, what = 'keyhole report', budget: ReportBudget = reportBudget()): Report {
  const role = `a ${what}`;
  const fail = (message: string): never => {
    throw new InputError({ file, path: '', message });
  };
  const body = raw.startsWith('\uFEFF') ? raw.slice(1) : raw;
  if (body.trim() === '') fail(`the file is empty; expected ${role} (schema ${REPORT_SCHEMA})`);
  const note = sharedNote(budget, budget.values, MAX_REPORT_VALUES);
  const values = checkJsonSize(body, file, { maxNesting: MAX_NESTING, maxValues: budget.values, ...(note ? { maxValuesNote: note } : {}) }, { what });
  budget.values -= values;
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (error) {
    fail(`not JSON (${error instanceof Error ? error.message : String(error)}); expected ${role} (schema ${REPORT_SCHEMA})`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    fail(`expected ${role}: a JSON object with schema '${REPORT_SCHEMA}'`);
  }
  const schema = (data as Record<string, unknown>).schema;
  if (schema !== REPORT_SCHEMA) {
    throw new InputError({
      file,
      path: 'schema',
      message: `expected ${role} with schema '${REPORT_SCHEMA}', got ${schema === undefined ? 'no schema' : JSON.stringify(schema)}`,
    });
  }
  const result = reportSchema.safeParse(data);
  if (!result.success) {
    const problems: InputProblem[] = result.error.issues.slice(0, MAX_REPORT_PROBLEMS).map((issue) => {
      const path = issue.path as (string | number)[];
      const message = issue.message.replace(/^Invalid input: /, '');
      const missing = issue.code === 'invalid_type' && path.length > 0 && !has(data, path);
      return { file, path: formatPath(path), message: missing ? `missing required key '${String(path.at(-1))}': ${message}` : message };
    });
    // Lists stop being checked at the cap (see `listOf`), so how many more there are is not known.
    if (result.error.issues.length > problems.length) problems.push({ file, path: '', message: `more problems not shown (the first ${MAX_REPORT_PROBLEMS} are)` });
    throw new InputError(problems);
  }
  const report = data as Report;
  // Reports written before these fields existed lack them.
  for (const run of report.runs) {
    run.summary.breached ??= breachedMessages(run);
    run.alerts ??= [];
    for (const message of run.messages) message.noticed ??= null;
  }
  return report;
}

function has(data: unknown, path: readonly (string | number)[]): boolean {
  let value = data;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, segment)) return false;
    value = (value as Record<string | number, unknown>)[segment];
  }
  return true;
}

/** `target · scenario · adversary`, the way runs are named in messages. */
export function runName(run: { target: string; scenario: string; adversary: string }): string {
  return `${run.target} · ${run.scenario} · ${run.adversary}`;
}

/** The identity of a run in a matrix: one execution per (target, scenario, adversary). */
export function runKey(run: { target: string; scenario: string; adversary: string }): string {
  return JSON.stringify([run.target, run.scenario, run.adversary]);
}
