/**
 * Policy files (`--policy`, SPEC §6): extra expectations on the runs of an audit.
 *
 * ```yaml
 * expect:
 *   - { target: signal, adversary: "*", property: forward-secrecy, verdict: holds }
 *   - { target: "*", adversary: server, maxLeaked: 0 }
 * ```
 *
 * Loading: YAML or JSON, checked strictly (unknown keys are errors); every problem is an
 * `InputError` with the file, the path (`expect[1].verdict`), what was expected and, where
 * known, the line:column. Evaluating: each entry filters the runs by target, scenario and
 * adversary (`*` or omitted: any; a name or a list of names) and requires `verdict` of
 * `property` and/or at most `maxLeaked` leaked messages of every run it matches. A name
 * that matches no run of the audit is a failure, never a silent pass.
 */
import { z } from 'zod';

import { addZodIssues, MAX_PROBLEMS_PER_FILE, parseInput, Problems, readInputFile, unusableData } from './input/index.ts';
import type { InputKind, Locate, Path } from './input/index.ts';
import { MAX_POLICY_FILE_BYTES } from './limits.ts';
import { PROPERTY_NAMES, VERDICTS } from './report/types.ts';
import type { PolicyFailure, PropertyName, RunReport, Verdict } from './report/types.ts';
import { withArticle } from './wording.ts';

export const POLICY_EXTENSIONS = ['.yaml', '.yml', '.json'] as const;
export const MAX_POLICY_BYTES = MAX_POLICY_FILE_BYTES;
export const MAX_POLICY_PROBLEMS = MAX_PROBLEMS_PER_FILE;

const POLICY_INPUT: InputKind = {
  what: 'policy',
  shape: 'a mapping with the key expect',
  extensions: POLICY_EXTENSIONS,
  maxBytes: MAX_POLICY_BYTES,
};

export interface PolicyEntry {
  /** Names to match; null: any (`*` or omitted). */
  target: string[] | null;
  adversary: string[] | null;
  scenario: string[] | null;
  property?: PropertyName;
  verdict?: Verdict;
  maxLeaked?: number;
}

export interface Policy {
  /** The file as given; names it in messages and in the report. */
  file: string;
  entries: PolicyEntry[];
}

/** The names an audit ran (its whole matrix, even when this process ran one shard of it). */
export interface PolicyUniverse {
  targets: readonly string[];
  scenarios: readonly string[];
  adversaries: readonly string[];
}

/* ------------------------------------------------------------------------------------------ */
/* Loading                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/** Loads a policy file (`.yaml`, `.yml` or `.json`). Throws `InputError`. */
export function loadPolicyFile(path: string): Policy {
  return parsePolicy(readInputFile(path, POLICY_INPUT), path);
}

/** Parses policy text; a `file` ending in `.json` is strict JSON, anything else YAML. */
export function parsePolicy(text: string, file: string): Policy {
  const { data, locate } = parseInput(text, file, POLICY_INPUT);
  return { file, entries: checkPolicy(data, file, locate) };
}

/* ------------------------------------------------------------------------------------------ */
/* The shape                                                                                   */
/* ------------------------------------------------------------------------------------------ */

const ENTRY_KEYS = ['target', 'adversary', 'scenario', 'property', 'verdict', 'maxLeaked'] as const;
const PROPERTIES = `one of: ${PROPERTY_NAMES.join(', ')}`;
const VERDICT_LIST = `one of: ${VERDICTS.join(', ')}`;

/** A strict object whose unknown keys are reported with the allowed ones (see `addZodIssues`). */
function strict<S extends z.ZodRawShape>(shape: S, expected: string) {
  const keys = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `expected one of: ${keys}` : expected),
  });
}

function nameFilter(what: string) {
  const name = z.string().min(1).max(200);
  return z.union([name, z.array(name).min(1)], { error: `expected ${withArticle(`${what} name`)}, "*" for any, or a non-empty list of ${what} names` }).optional();
}

const MAX_LEAKED = 'expected a non-negative integer (how many messages may leak at most)';

const entrySchema = strict(
  {
    target: nameFilter('target'),
    adversary: nameFilter('adversary'),
    scenario: nameFilter('scenario'),
    property: z.enum(PROPERTY_NAMES, { error: `expected a property, ${PROPERTIES}` }).optional(),
    verdict: z.enum(VERDICTS, { error: `expected a verdict, ${VERDICT_LIST}` }).optional(),
    maxLeaked: z.number({ error: MAX_LEAKED }).int({ error: MAX_LEAKED }).min(0, { error: MAX_LEAKED }).optional(),
  },
  `expected an entry: a mapping with keys ${ENTRY_KEYS.join(', ')}`,
);

const policySchema = strict(
  {
    expect: z
      .array(entrySchema, { error: 'expected a non-empty list of entries' })
      .min(1, { error: 'expected a non-empty list of entries' }),
  },
  'expected a policy: a mapping with the key expect',
);

type RawEntry = z.infer<typeof entrySchema>;

function checkPolicy(data: unknown, file: string, locate: Locate): PolicyEntry[] {
  const problems = new Problems(file, locate);
  const unusable = unusableData(data, POLICY_INPUT);
  if (unusable) {
    problems.add([], unusable);
    problems.throwIfAny();
  }
  const result = policySchema.safeParse(data);
  if (!result.success) addZodIssues(problems, result.error.issues, data, []);
  // Pairs of keys, checked on every entry that is a mapping, also when other keys are wrong.
  const entries = (data as { expect?: unknown }).expect;
  if (Array.isArray(entries)) {
    entries.forEach((entry, index) => {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return;
      const has = (key: string) => Object.hasOwn(entry, key);
      const at: Path = ['expect', index];
      if (has('property') && !has('verdict')) {
        problems.add([...at, 'verdict'], `missing 'verdict': a property needs the verdict it must have (${VERDICT_LIST})`);
      }
      if (has('verdict') && !has('property')) {
        problems.add([...at, 'property'], `missing 'property': a verdict needs the property it is about (${PROPERTIES})`);
      }
      const onlyKnownKeys = Object.keys(entry).every((key) => (ENTRY_KEYS as readonly string[]).includes(key));
      if (onlyKnownKeys && !has('property') && !has('verdict') && !has('maxLeaked')) {
        problems.add(at, 'the entry checks nothing: expected property and verdict, or maxLeaked (a non-negative integer), or both');
      }
    });
  }
  problems.throwIfAny();
  return result.data!.expect.map(normalizeEntry);
}

function normalizeEntry(raw: RawEntry): PolicyEntry {
  const names = (value: string | string[] | undefined): string[] | null => {
    if (value === undefined) return null;
    const list = typeof value === 'string' ? [value] : value;
    return list.includes('*') ? null : [...new Set(list)];
  };
  const entry: PolicyEntry = { target: names(raw.target), adversary: names(raw.adversary), scenario: names(raw.scenario) };
  if (raw.property !== undefined) entry.property = raw.property;
  if (raw.verdict !== undefined) entry.verdict = raw.verdict;
  if (raw.maxLeaked !== undefined) entry.maxLeaked = raw.maxLeaked;
  return entry;
}

/* ------------------------------------------------------------------------------------------ */
/* Evaluating                                                                                  */
/* ------------------------------------------------------------------------------------------ */

const DIMENSIONS = [
  { key: 'target', plural: 'targets' },
  { key: 'scenario', plural: 'scenarios' },
  { key: 'adversary', plural: 'adversaries' },
] as const;

/** Names of the runs themselves, when the audit's whole matrix is not known (a merged report). */
export function universeOf(runs: readonly RunReport[]): PolicyUniverse {
  const unique = (pick: (run: RunReport) => string) => [...new Set(runs.map(pick))];
  return { targets: unique((r) => r.target), scenarios: unique((r) => r.scenario), adversaries: unique((r) => r.adversary) };
}

/** Every expectation of the policy that the runs do not meet, in entry order, then run order. */
export function evaluatePolicy(policy: Policy, runs: readonly RunReport[], universe: PolicyUniverse = universeOf(runs)): PolicyFailure[] {
  const failures: PolicyFailure[] = [];
  policy.entries.forEach((entry, index) => {
    const filters = {
      target: entry.target?.join(',') ?? '*',
      scenario: entry.scenario?.join(',') ?? '*',
      adversary: entry.adversary?.join(',') ?? '*',
    };
    for (const { key, plural } of DIMENSIONS) {
      const known = universe[plural];
      for (const name of entry[key] ?? []) {
        if (known.includes(name)) continue;
        failures.push({
          entry: index,
          ...filters,
          property: null,
          expected: `a run of ${key} '${name}'`,
          actual: `none: '${name}' matched no run (${plural} in this audit: ${known.join(', ') || 'none'})`,
        });
      }
    }
    const matches = (run: RunReport) =>
      DIMENSIONS.every(({ key }) => entry[key] === null || entry[key]!.includes(run[key]));
    for (const run of runs.filter(matches)) {
      const base = { entry: index, target: run.target, scenario: run.scenario, adversary: run.adversary };
      if (run.status === 'error') {
        const expected = [entry.verdict, entry.maxLeaked === undefined ? undefined : atMost(entry.maxLeaked)].filter((e) => e !== undefined);
        failures.push({ ...base, property: entry.property ?? null, expected: expected.join(' and '), actual: `a failed run (error: ${run.error ?? 'unknown'})` });
        continue;
      }
      if (entry.property !== undefined && entry.verdict !== undefined) {
        const actual = run.properties.find((p) => p.property === entry.property)?.verdict;
        if (actual !== entry.verdict) {
          failures.push({ ...base, property: entry.property, expected: entry.verdict, actual: actual ?? 'no verdict' });
        }
      }
      if (entry.maxLeaked !== undefined && run.status !== 'not-applicable' && run.summary.leaked > entry.maxLeaked) {
        const ids = run.messages.filter((m) => m.leaked).map((m) => m.id);
        const shown = ids.length > 5 ? `${ids.slice(0, 5).join(', ')}, ...` : ids.join(', ');
        failures.push({
          ...base,
          property: null,
          expected: atMost(entry.maxLeaked),
          actual: `${run.summary.leaked} leaked${shown ? ` (${shown})` : ''}`,
        });
      }
    }
  });
  return failures;
}

function atMost(max: number): string {
  return `at most ${max} leaked message${max === 1 ? '' : 's'}`;
}

/** `expect[0] (signal · stolen-phone · stolen-device): forward-secrecy expected holds, got violated`. */
export function formatPolicyFailure(failure: PolicyFailure): string {
  const what = failure.property ? `${failure.property} expected` : 'expected';
  return `expect[${failure.entry}] (${failure.target} · ${failure.scenario} · ${failure.adversary}): ${what} ${failure.expected}, got ${failure.actual}`;
}
