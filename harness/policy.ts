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
import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';

import { Composer, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, Parser } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { z } from 'zod';

import { InputError } from './errors.ts';
import type { InputProblem } from './errors.ts';
import { PROPERTY_NAMES, VERDICTS } from './report/types.ts';
import type { PolicyFailure, PropertyName, RunReport, Verdict } from './report/types.ts';
import { formatPath, MAX_NESTING } from './scenario/load.ts';

export const POLICY_EXTENSIONS = ['.yaml', '.yml', '.json'] as const;
export const MAX_POLICY_BYTES = 1024 * 1024;
export const MAX_POLICY_PROBLEMS = 20;

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

export function loadPolicyFile(path: string): Policy {
  const fail = (message: string): never => {
    throw new InputError({ file: path, path: '', message });
  };
  let bytes: Buffer;
  try {
    const stats = statSync(path);
    if (stats.isDirectory()) fail('is a folder; expected a policy file');
    if (!(POLICY_EXTENSIONS as readonly string[]).includes(extname(path).toLowerCase())) {
      fail(`expected a policy file ending in ${POLICY_EXTENSIONS.join(', ')}`);
    }
    if (stats.size > MAX_POLICY_BYTES) fail(`is too large (${stats.size} bytes; at most ${MAX_POLICY_BYTES})`);
    bytes = readFileSync(path);
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    return fail(code === 'ENOENT' ? 'cannot read: no such file' : `cannot read: ${error instanceof Error ? error.message : String(error)}`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return fail('not a text file (not valid UTF-8); expected YAML or JSON text');
  }
  return parsePolicy(text, path);
}

/** Parses policy text; a `file` ending in `.json` is strict JSON, anything else YAML. */
export function parsePolicy(input: string, file: string): Policy {
  const text = input.startsWith('\uFEFF') ? input.slice(1) : input;
  const fail = (message: string, offset?: number): never => {
    throw new InputError({ file, path: '', message: offset === undefined ? message : `${message} (line ${lineColumn(text, offset)})` });
  };
  const control = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.exec(text);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    fail(`not a text file (control character U+${code}); expected YAML or JSON text`, control.index);
  }
  const json = extname(file).toLowerCase() === '.json';
  if (text.split(/\r?\n|\r/).every((line) => (json ? /^\s*$/ : /^\s*(#.*)?$/).test(line))) {
    fail('the file is empty; expected a policy (a mapping with the key expect)');
  }

  let data: unknown;
  if (json) {
    try {
      data = JSON.parse(text);
    } catch (error) {
      const found = jsonSyntaxError(text);
      fail(`JSON syntax error: ${found?.message ?? (error instanceof Error ? error.message : String(error))}`, found?.offset);
    }
  }
  const { doc, locate } = parseYaml(text, file);
  if (json) {
    // JSON.parse silently keeps the last of duplicate keys; the YAML parser finds them.
    const duplicate = doc.errors.find((error) => error.code === 'DUPLICATE_KEY');
    if (duplicate) fail('JSON: duplicate key', duplicate.pos[0]);
  } else {
    if (doc.errors.length > 0) {
      throw new InputError(
        doc.errors.slice(0, MAX_POLICY_PROBLEMS).map((error) => ({
          file,
          path: '',
          message: `YAML syntax error: ${error.message} (line ${lineColumn(text, error.pos[0])})`,
        })),
      );
    }
    try {
      data = doc.toJS({ maxAliasCount: 1000 });
    } catch (error) {
      fail(`YAML: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const where = json && doc.errors.length > 0 ? () => undefined : locate;
  return { file, entries: checkPolicy(data, file, where) };
}

/* ------------------------------------------------------------------------------------------ */
/* The shape                                                                                   */
/* ------------------------------------------------------------------------------------------ */

const ENTRY_KEYS = ['target', 'adversary', 'scenario', 'property', 'verdict', 'maxLeaked'] as const;
const PROPERTIES = `one of: ${PROPERTY_NAMES.join(', ')}`;
const VERDICT_LIST = `one of: ${VERDICTS.join(', ')}`;

function nameFilter(what: string) {
  const name = z.string().min(1).max(200);
  return z.union([name, z.array(name).min(1)], { error: `expected a ${what} name, "*" for any, or a non-empty list of ${what} names` }).optional();
}

const MAX_LEAKED = 'expected a non-negative integer (how many messages may leak at most)';

const entrySchema = z.strictObject(
  {
    target: nameFilter('target'),
    adversary: nameFilter('adversary'),
    scenario: nameFilter('scenario'),
    property: z.enum(PROPERTY_NAMES, { error: `expected a property, ${PROPERTIES}` }).optional(),
    verdict: z.enum(VERDICTS, { error: `expected a verdict, ${VERDICT_LIST}` }).optional(),
    maxLeaked: z.number({ error: MAX_LEAKED }).int({ error: MAX_LEAKED }).min(0, { error: MAX_LEAKED }).optional(),
  },
  { error: `expected an entry: a mapping with keys ${ENTRY_KEYS.join(', ')}` },
);

const policySchema = z.strictObject(
  {
    expect: z
      .array(entrySchema, { error: 'expected a non-empty list of entries' })
      .min(1, { error: 'expected a non-empty list of entries' }),
  },
  { error: 'expected a policy: a mapping with the key expect' },
);

type RawEntry = z.infer<typeof entrySchema>;

function checkPolicy(data: unknown, file: string, locate: Locate): PolicyEntry[] {
  const problems: InputProblem[] = [];
  let dropped = 0;
  const add = (path: Path, message: string, atKey = false) => {
    if (problems.length >= MAX_POLICY_PROBLEMS) {
      dropped++;
      return;
    }
    const where = locate(path, atKey);
    problems.push({ file, path: formatPath(path), message: where ? `${message} (line ${where})` : message });
  };
  if (data === null || data === undefined) {
    add([], 'the file is empty; expected a policy (a mapping with the key expect)');
  } else if (nestingDepth(data) > MAX_NESTING) {
    add([], `nested too deeply (more than ${MAX_NESTING} levels); expected a policy`);
  } else {
    const result = policySchema.safeParse(data);
    if (!result.success) {
      for (const issue of result.error.issues) {
        const path = issue.path as Segment[];
        if (issue.code === 'unrecognized_keys') {
          const allowed = path.length === 0 ? 'expect' : ENTRY_KEYS.join(', ');
          for (const key of issue.keys) add([...path, key], `unknown key '${key}' (expected one of: ${allowed})`, true);
          continue;
        }
        const found = valueAt(data, path);
        const message = issue.message.replace(/^Invalid input: /, '');
        if (!found.found && path.length > 0) add(path, `missing required key '${String(path.at(-1))}': ${message}`);
        else add(path, `${message}, got ${describe(found.value)}`);
      }
    }
    // Pairs of keys, checked on every entry that is a mapping, also when other keys are wrong.
    const entries = (data as { expect?: unknown }).expect;
    if (Array.isArray(entries)) {
      entries.forEach((entry, index) => {
        if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return;
        const has = (key: string) => Object.hasOwn(entry, key);
        const at: Path = ['expect', index];
        if (has('property') && !has('verdict')) {
          add([...at, 'verdict'], `missing 'verdict': a property needs the verdict it must have (${VERDICT_LIST})`);
        }
        if (has('verdict') && !has('property')) {
          add([...at, 'property'], `missing 'property': a verdict needs the property it is about (${PROPERTIES})`);
        }
        const onlyKnownKeys = Object.keys(entry).every((key) => (ENTRY_KEYS as readonly string[]).includes(key));
        if (onlyKnownKeys && !has('property') && !has('verdict') && !has('maxLeaked')) {
          add(at, 'the entry checks nothing: expected property and verdict, or maxLeaked (a non-negative integer), or both');
        }
      });
    }
    if (problems.length === 0 && result.success) return result.data.expect.map(normalizeEntry);
  }
  if (dropped > 0) problems.push({ file, path: '', message: `${dropped} more problem(s) not shown` });
  throw new InputError(problems);
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

/* ------------------------------------------------------------------------------------------ */
/* YAML with positions (as the scenario loader does it)                                        */
/* ------------------------------------------------------------------------------------------ */

type Segment = string | number;
type Path = readonly Segment[];
/** Where a node is: `line:column`, 1-based; undefined when unknown. */
type Locate = (path: Path, atKey: boolean) => string | undefined;

const CST_COLLECTIONS = new Set(['block-map', 'block-seq', 'flow-collection']);

/**
 * Parse in two stages, so that very deep input is refused before the (recursive) composer
 * could exhaust the stack.
 */
function parseYaml(text: string, file: string): { doc: Document.Parsed; locate: Locate } {
  const lineCounter = new LineCounter();
  const tokens = Array.from(new Parser(lineCounter.addNewLine).parse(text));
  const stack: { node: unknown; depth: number }[] = tokens.map((node) => ({ node, depth: 0 }));
  while (stack.length > 0) {
    const { node, depth: above } = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    const type = (node as { type?: unknown }).type;
    const depth = typeof type === 'string' && CST_COLLECTIONS.has(type) ? above + 1 : above;
    if (depth > MAX_NESTING) {
      const offset = (node as { offset?: unknown }).offset;
      throw new InputError({
        file,
        path: '',
        message: `nested too deeply (more than ${MAX_NESTING} levels); expected a policy${typeof offset === 'number' ? ` (line ${lineColumn(text, offset)})` : ''}`,
      });
    }
    for (const child of Object.values(node)) if (typeof child === 'object' && child !== null) stack.push({ node: child, depth });
  }
  const composer = new Composer({ prettyErrors: false, uniqueKeys: true });
  const docs = Array.from(composer.compose(tokens, true, text.length));
  const doc = docs[0]!;
  if (docs.length > 1) {
    throw new InputError({ file, path: '', message: `expected one YAML document, found ${docs.length} (line ${lineColumn(text, docs[1]!.range[0])})` });
  }
  const locate: Locate = (path, atKey) => {
    const offset = nodeOffset(doc, path, atKey);
    if (offset === undefined) return undefined;
    const { line, col } = lineCounter.linePos(offset);
    return `${line}:${col}`;
  };
  return { doc, locate };
}

/** The offset of the node at `path`, or of its deepest existing ancestor. */
function nodeOffset(doc: Document, path: Path, atKey: boolean): number | undefined {
  let node: unknown = doc.contents;
  let offset = rangeStart(node);
  for (let i = 0; i < path.length; i++) {
    if (isAlias(node)) node = node.resolve(doc);
    const segment = path[i]!;
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && (isScalar(item.key) ? String(item.key.value) : String(item.key)) === String(segment));
      if (!pair) break;
      if (i === path.length - 1 && atKey) return rangeStart(pair.key) ?? offset;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      if (node === undefined) break;
    } else {
      break;
    }
    offset = rangeStart(node) ?? offset;
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as YamlNode | null | undefined)?.range;
  return range ? range[0] : undefined;
}

function lineColumn(text: string, offset: number): string {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      start = i + 1;
    }
  }
  return `${line}:${offset - start + 1}`;
}

/** The first syntax error of JSON text and its offset (JSON.parse of Node 20 seldom says where). */
function jsonSyntaxError(text: string): { offset: number; message: string } | undefined {
  const TOKEN = /([{}[\]:,])|("(?:[^"\\\u0000-\u001F]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*")|(-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/y;
  class Stop {
    constructor(
      readonly offset: number,
      readonly message: string,
    ) {}
  }
  let i = 0;
  const skip = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const next = (): { kind: string; start: number } => {
    skip();
    const start = i;
    if (i >= text.length) throw new Stop(i, 'unexpected end of file');
    TOKEN.lastIndex = i;
    const match = TOKEN.exec(text);
    if (!match) {
      throw new Stop(i, text[i] === '"' ? 'a string that does not end, or has a control character or a bad escape in it' : `unexpected character ${JSON.stringify(text[i])}`);
    }
    i = TOKEN.lastIndex;
    return { kind: match[1] ?? (match[2] !== undefined ? 'string' : 'scalar'), start };
  };
  const peek = () => {
    const saved = i;
    const token = next();
    i = saved;
    return token;
  };
  const value = (depth: number): void => {
    const token = next();
    if (token.kind === '{' || token.kind === '[') {
      if (depth > MAX_NESTING) throw new Stop(token.start, `nested too deeply (more than ${MAX_NESTING} levels)`);
      const close = token.kind === '{' ? '}' : ']';
      if (peek().kind === close) {
        next();
        return;
      }
      for (;;) {
        if (close === '}') {
          const key = next();
          if (key.kind !== 'string') throw new Stop(key.start, key.kind === '}' ? "a trailing ',' before '}'" : 'expected a key in double quotes');
          const colon = next();
          if (colon.kind !== ':') throw new Stop(colon.start, "expected ':' after a key");
        } else {
          const ahead = peek();
          if (ahead.kind === ']') throw new Stop(ahead.start, "a trailing ',' before ']'");
        }
        value(depth + 1);
        const separator = next();
        if (separator.kind === close) return;
        if (separator.kind !== ',') throw new Stop(separator.start, `expected ',' or '${close}'`);
      }
    }
    if (token.kind !== 'string' && token.kind !== 'scalar') throw new Stop(token.start, `unexpected '${token.kind}'`);
  };
  try {
    value(1);
    skip();
    return i < text.length ? { offset: i, message: 'unexpected content after the end of the JSON value' } : undefined;
  } catch (error) {
    if (error instanceof Stop) return { offset: error.offset, message: error.message };
    return undefined;
  }
}

function valueAt(data: unknown, path: Path): { found: boolean; value: unknown } {
  let value = data;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, segment)) return { found: false, value: undefined };
    value = (value as Record<Segment, unknown>)[segment];
  }
  return { found: true, value };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : `a list of ${value.length}`;
  switch (typeof value) {
    case 'string':
      return `'${value.length > 40 ? `${value.slice(0, 40)}...` : value}'`;
    case 'object':
      return 'a mapping';
    default:
      return String(value);
  }
}

/** How deeply lists and mappings nest, without recursion; Infinity for a cycle. */
function nestingDepth(data: unknown): number {
  let deepest = 0;
  const stack: { value: unknown; depth: number; seen: Set<object> }[] = [{ value: data, depth: 0, seen: new Set() }];
  while (stack.length > 0) {
    const { value, depth, seen } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (seen.has(value)) return Infinity;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > MAX_NESTING) return deepest;
    const inner = new Set(seen).add(value);
    for (const child of Object.values(value)) stack.push({ value: child, depth: depth + 1, seen: inner });
  }
  return deepest;
}
