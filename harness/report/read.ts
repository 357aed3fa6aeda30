/**
 * Reading a `report.json` written earlier (for `--baseline` and `keyhole merge`): parse it and
 * check it against the `keyhole-report/1` shape (SPEC §7). Every problem is an `InputError`
 * with the file, the place inside it (`runs[3].messages[0].leaked`) and what was expected.
 *
 * Extra keys are allowed (a later version may add some); the report returned is the parsed
 * file itself, in its own key order, with `summary.breached` counted from the messages of a
 * run that lacks it (a report written before it existed).
 */
import { readFileSync, statSync } from 'node:fs';

import { z } from 'zod';

import { InputError } from '../errors.ts';
import type { InputProblem } from '../errors.ts';
import { formatPath } from '../scenario/load.ts';
import {
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

const text = z.string({ error: 'expected a string' });
const count = z.number({ error: 'expected a non-negative integer' }).int({ error: 'expected a non-negative integer' }).min(0, { error: 'expected a non-negative integer' });
const oneOf = <T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: `expected one of: ${values.join(', ')}` });

const messageSchema = z.looseObject({
  id: text,
  from: text,
  to: text,
  step: count,
  delivered: z.boolean({ error: 'expected true or false' }),
  verified: z.boolean({ error: 'expected true or false' }),
  class: oneOf(MESSAGE_CLASSES),
  leaked: z.boolean({ error: 'expected true or false' }),
  via: text.nullable(),
});

const propertySchema = z.looseObject({
  property: oneOf(PROPERTY_NAMES),
  verdict: oneOf(VERDICTS),
  claimed: z.boolean({ error: 'expected true or false' }),
  notClaimedFor: text.optional(),
  detail: text,
  healedAfter: count.nullable().optional(),
  seen: z.array(oneOf(METADATA_KINDS), { error: 'expected a list' }).optional(),
});

const runSchema = z.looseObject({
  target: text,
  scenario: text,
  adversary: text,
  status: oneOf(RUN_STATUSES),
  error: text.nullable(),
  notes: z.array(text, { error: 'expected a list of strings' }).optional(),
  marks: z.record(z.string(), count, { error: 'expected a mapping of mark names to step indices' }).optional(),
  strikeStep: count.nullable().optional(),
  messages: z.array(messageSchema, { error: 'expected a list of messages' }),
  properties: z.array(propertySchema, { error: 'expected a list of properties' }),
  // Reports written before `breached` existed lack it; it is counted from their messages.
  summary: z.looseObject({ messages: count, leaked: count, breached: count.optional() }, { error: 'expected a mapping with keys messages, leaked, breached' }),
});

const reportSchema = z.looseObject({
  schema: z.literal(REPORT_SCHEMA, { error: `expected '${REPORT_SCHEMA}'` }),
  tool: z.looseObject({ name: z.literal('keyhole', { error: "expected 'keyhole'" }), version: text }, { error: 'expected a mapping with keys name, version' }),
  seed: count,
  timing: z.looseObject(
    { startedAt: z.iso.datetime({ error: 'expected an ISO date-time' }), durationMs: z.number({ error: 'expected a number' }).min(0, { error: 'expected a non-negative number' }) },
    { error: 'expected a mapping with keys startedAt, durationMs' },
  ),
  runs: z.array(runSchema, { error: 'expected a list of runs' }),
  violations: z.array(
    z.looseObject({ target: text, scenario: text, adversary: text, property: text, detail: text }),
    { error: 'expected a list of violations' },
  ),
  shard: z
    .looseObject(
      { index: count.min(1, { error: 'expected a positive integer' }), count: count.min(1, { error: 'expected a positive integer' }), matrixSize: count },
      { error: 'expected a mapping with keys index, count, matrixSize' },
    )
    .optional(),
});

/** Reads and checks a report.json; `role` says what it is for in messages (`a baseline report`). */
export function readReportFile(path: string, role = 'a keyhole report'): Report {
  const fail = (message: string): never => {
    throw new InputError({ file: path, path: '', message });
  };
  let raw: string;
  try {
    if (statSync(path).isDirectory()) fail(`is a folder; expected ${role} (a report.json file)`);
    raw = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    return fail(
      code === 'ENOENT'
        ? `cannot read: no such file; expected ${role} (a report.json file)`
        : `cannot read: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return parseReport(raw, path, role);
}

/** Parses and checks report.json text; `file` names it in errors. */
export function parseReport(raw: string, file: string, role = 'a keyhole report'): Report {
  const fail = (message: string): never => {
    throw new InputError({ file, path: '', message });
  };
  const body = raw.startsWith('\uFEFF') ? raw.slice(1) : raw;
  if (body.trim() === '') fail(`the file is empty; expected ${role} (schema ${REPORT_SCHEMA})`);
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
    const more = result.error.issues.length - problems.length;
    if (more > 0) problems.push({ file, path: '', message: `${more} more problem(s) not shown` });
    throw new InputError(problems);
  }
  const report = data as Report;
  for (const run of report.runs) run.summary.breached ??= breachedMessages(run);
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
