/**
 * Loading scenario files (SPEC §2): read, parse (YAML or JSON), check the shape against
 * `schema.ts`, check every reference step by step, and normalize into a `Scenario`.
 *
 * Every problem is an `InputProblem` with the file, the path inside it (`steps[3].send.to`)
 * and what was expected, plus the line:column of the offending node where it is known.
 * All problems of a file are reported together (up to `MAX_PROBLEMS_PER_FILE`), never a
 * stack trace.
 */
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';

import { Composer, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, Parser, YAMLParseError } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import type { z } from 'zod';

import { InputError } from '../errors.ts';
import type { InputProblem } from '../errors.ts';
import { scenarioFileSchema } from './schema.ts';
import type { RawScenario, RawStep } from './schema.ts';
import { deviceAddress } from './types.ts';
import type { Addressee, DeviceAddress, GroupDefinition, Scenario, Step } from './types.ts';

export interface AdversaryParamSpec {
  /** Checked against the adversary's parameters, after the generic reference checks. */
  schema?: z.ZodType;
}

export interface LoadOptions {
  /** The known adversaries, by name; a scenario may give parameters only to these. */
  adversaryParams: Record<string, AdversaryParamSpec>;
}

export const SCENARIO_EXTENSIONS = ['.yaml', '.yml', '.json'] as const;
export const MAX_PROBLEMS_PER_FILE = 20;
export const MAX_FILE_BYTES = 10 * 1024 * 1024;
/** Lists and mappings inside each other; a scenario needs about 5. */
export const MAX_NESTING = 64;

type Segment = string | number;
type Path = readonly Segment[];

/* ------------------------------------------------------------------------------------------ */
/* Public API                                                                                  */
/* ------------------------------------------------------------------------------------------ */

/** Loads one scenario file (`.yaml`, `.yml` or `.json`). Throws `InputError`. */
export function loadScenarioFile(path: string, options: LoadOptions): Scenario {
  const fail = (message: string): never => {
    throw new InputError({ file: path, path: '', message });
  };
  let stats;
  try {
    stats = statSync(path);
  } catch (error) {
    return fail(describeFsError(error));
  }
  if (stats.isDirectory()) fail(`is a folder; expected a scenario file (${SCENARIO_EXTENSIONS.join(', ')})`);
  if (!stats.isFile()) fail('is not a regular file; expected a scenario file');
  if (!hasScenarioExtension(path)) {
    fail(`expected a scenario file ending in ${SCENARIO_EXTENSIONS.join(', ')}`);
  }
  if (stats.size > MAX_FILE_BYTES) fail(`is too large (${stats.size} bytes; at most ${MAX_FILE_BYTES})`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    return fail(describeFsError(error));
  }
  return parseScenario(decodeText(bytes, path), path, options);
}

/**
 * Parses scenario text. `file` names it in errors and becomes `Scenario.source`; a name
 * ending in `.json` is parsed as strict JSON, anything else as YAML.
 */
export function parseScenario(text: string, file: string, options: LoadOptions): Scenario {
  const parsed = parseText(text, file);
  return checkScenario(parsed.data, file, options, parsed.locate);
}

/**
 * Checks and normalizes already-parsed scenario data (e.g. a built-in scenario written as
 * a plain object). `source` names it in errors and becomes `Scenario.source`.
 */
export function validateScenario(data: unknown, source: string, options: LoadOptions): Scenario {
  return checkScenario(data, source, options, () => undefined);
}

/**
 * Loads scenario files and folders of them (non-recursive: every `.yaml`, `.yml` and
 * `.json` file directly inside, sorted by name, hidden files skipped). Problems of all
 * files are reported together. Two scenarios with the same name are an error.
 */
export function loadScenarios(paths: string[], options: LoadOptions): Scenario[] {
  const problems: InputProblem[] = [];
  const files: string[] = [];
  for (const path of paths) {
    let isFolder = false;
    try {
      isFolder = statSync(path).isDirectory();
    } catch {
      // loadScenarioFile reports it
    }
    if (!isFolder) {
      files.push(path);
      continue;
    }
    let names: string[];
    try {
      names = readdirSync(path, { withFileTypes: true })
        .filter((entry) => !entry.name.startsWith('.') && hasScenarioExtension(entry.name))
        .filter((entry) => entry.isFile() || (entry.isSymbolicLink() && isFileQuietly(join(path, entry.name))))
        .map((entry) => entry.name)
        .sort(compareCodePoints);
    } catch (error) {
      problems.push({ file: path, path: '', message: describeFsError(error) });
      continue;
    }
    if (names.length === 0) {
      problems.push({
        file: path,
        path: '',
        message: `folder has no scenario files (expected files ending in ${SCENARIO_EXTENSIONS.join(', ')})`,
      });
    }
    for (const name of names) files.push(join(path, name));
  }

  const seenFiles = new Set<string>();
  const byName = new Map<string, string>();
  const scenarios: Scenario[] = [];
  for (const file of files) {
    const identity = realpathQuietly(file);
    if (seenFiles.has(identity)) continue; // the same file given twice (e.g. a folder and a file in it)
    seenFiles.add(identity);
    let scenario: Scenario;
    try {
      scenario = loadScenarioFile(file, options);
    } catch (error) {
      if (error instanceof InputError) {
        problems.push(...error.problems);
        continue;
      }
      throw error;
    }
    const first = byName.get(scenario.name);
    if (first !== undefined) {
      problems.push({
        file,
        path: 'name',
        message: `duplicate scenario name '${scenario.name}' (also the name of ${first}); names must be unique in a run`,
      });
      continue;
    }
    byName.set(scenario.name, file);
    scenarios.push(scenario);
  }
  if (problems.length > 0) throw new InputError(problems);
  return scenarios;
}

/* ------------------------------------------------------------------------------------------ */
/* Problems                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/** Where a node is: `line:column`, 1-based; undefined when unknown. */
type Locate = (path: Path, atKey: boolean) => string | undefined;

class Problems {
  readonly #file: string;
  readonly #locate: Locate;
  readonly #list: InputProblem[] = [];
  #dropped = 0;

  constructor(file: string, locate: Locate) {
    this.#file = file;
    this.#locate = locate;
  }

  get count(): number {
    return this.#list.length + this.#dropped;
  }

  /** `atKey`: the problem is the key itself (unknown key), so point at the key, not its value. */
  add(path: Path, message: string, atKey = false): void {
    if (this.#list.length >= MAX_PROBLEMS_PER_FILE) {
      this.#dropped++;
      return;
    }
    const where = this.#locate(path, atKey);
    this.#list.push({ file: this.#file, path: formatPath(path), message: where ? `${message} (line ${where})` : message });
  }

  throwIfAny(): void {
    if (this.count === 0) return;
    const list = [...this.#list];
    if (this.#dropped > 0) {
      list.push({ file: this.#file, path: '', message: `${this.#dropped} more problem(s) not shown` });
    }
    throw new InputError(list);
  }
}

/** `steps[3].send.to`; keys that are not plain words are quoted: `users["a b"]`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[\p{L}\p{N}_-]+$/u.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/* ------------------------------------------------------------------------------------------ */
/* Reading and parsing                                                                         */
/* ------------------------------------------------------------------------------------------ */

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'cannot read: no such file or folder';
    case 'EACCES':
    case 'EPERM':
      return 'cannot read: permission denied';
    case 'EISDIR':
      return 'is a folder; expected a scenario file';
    case 'ENOTDIR':
      return 'cannot read: a part of the path is not a folder';
    default:
      return `cannot read: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function hasScenarioExtension(path: string): boolean {
  return (SCENARIO_EXTENSIONS as readonly string[]).includes(extname(path).toLowerCase());
}

function isFileQuietly(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function realpathQuietly(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function decodeText(bytes: Buffer, file: string): string {
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new InputError({ file, path: '', message: `not a text file (a NUL byte at offset ${nul}); expected YAML or JSON text` });
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InputError({ file, path: '', message: 'not a text file (not valid UTF-8); expected YAML or JSON text' });
  }
}

interface Parsed {
  data: unknown;
  locate: Locate;
}

function parseText(input: string, file: string): Parsed {
  const text = input.startsWith('\uFEFF') ? input.slice(1) : input;
  const fail = (message: string, offset?: number): never => {
    const where = offset === undefined ? '' : ` (line ${lineColumn(text, offset)})`;
    throw new InputError({ file, path: '', message: `${message}${where}` });
  };
  // Control characters other than tab and line breaks: binary junk, or text no YAML/JSON allows.
  const control = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.exec(text);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    fail(`not a text file (control character U+${code}); expected YAML or JSON text`, control.index);
  }
  const json = extname(file).toLowerCase() === '.json';
  if (text.trim() === '' || (!json && isOnlyComments(text))) {
    fail(`the file is empty; expected a scenario (a mapping with keys name, users, steps)`);
  }

  if (json) {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      const found = jsonSyntaxError(text);
      const message = found?.message ?? (error instanceof Error ? error.message : String(error));
      return fail(`JSON syntax error: ${message}`, found?.offset);
    }
    // Parsed by the YAML parser too, only for positions, and only when shallow enough for it.
    if (nestingDepth(data) > MAX_NESTING) fail(`nested too deeply (more than ${MAX_NESTING} levels); expected a scenario`);
    const { doc, locate } = parseYaml(text, file);
    // JSON.parse silently keeps the last of duplicate keys; the YAML parser finds them.
    const duplicates = doc.errors.filter((error) => error.code === 'DUPLICATE_KEY');
    if (duplicates.length > 0) {
      throw new InputError(
        duplicates.slice(0, MAX_PROBLEMS_PER_FILE).map((error) => ({
          file,
          path: '',
          message: `JSON: duplicate key (line ${lineColumn(text, error.pos[0])})`,
        })),
      );
    }
    return { data, locate: doc.errors.length === 0 ? locate : () => undefined };
  }

  const { doc, locate } = parseYaml(text, file);
  if (doc.errors.length > 0) {
    throw new InputError(
      doc.errors.slice(0, MAX_PROBLEMS_PER_FILE).map((error) => ({
        file,
        path: '',
        message: `YAML syntax error: ${error.message} (line ${lineColumn(text, error.pos[0])})`,
      })),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    fail(`YAML: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { data, locate };
}

const CST_COLLECTIONS = new Set(['block-map', 'block-seq', 'flow-collection']);

/**
 * `parseDocument`, in two stages: the YAML library's parser (iterative) builds the concrete
 * syntax tree, whose nesting is checked before its composer (recursive) turns it into a
 * document. Very deep input would exhaust the stack in the composer, which can take down
 * the whole process rather than throw.
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
        message: `nested too deeply (more than ${MAX_NESTING} levels); expected a scenario${
          typeof offset === 'number' ? ` (line ${lineColumn(text, offset)})` : ''
        }`,
      });
    }
    for (const child of Object.values(node)) if (typeof child === 'object' && child !== null) stack.push({ node: child, depth });
  }

  const composer = new Composer({ prettyErrors: false, uniqueKeys: true });
  let doc: Document.Parsed | undefined;
  for (const next of composer.compose(tokens, true, text.length)) {
    if (!doc) {
      doc = next;
    } else {
      doc.errors.push(
        new YAMLParseError([next.range[0], next.range[1]], 'MULTIPLE_DOCS', 'expected one YAML document, found several'),
      );
      break;
    }
  }
  const parsed = doc!;
  const locate: Locate = (path, atKey) => {
    const offset = nodeOffset(parsed, path, atKey);
    if (offset === undefined) return undefined;
    const { line, col } = lineCounter.linePos(offset);
    return `${line}:${col}`;
  };
  return { doc: parsed, locate };
}

function isOnlyComments(text: string): boolean {
  return text.split(/\r?\n|\r/).every((line) => /^\s*(#.*)?$/.test(line));
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

/** The offset of the node at `path` (or of its deepest existing ancestor). */
function nodeOffset(doc: Document, path: Path, atKey: boolean): number | undefined {
  let node: unknown = doc.contents;
  let offset = rangeStart(node);
  for (let i = 0; i < path.length; i++) {
    if (isAlias(node)) node = node.resolve(doc);
    const segment = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && keyText(item.key) === String(segment));
      if (!pair) break;
      if (last && atKey) return rangeStart(pair.key) ?? offset;
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

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

/** The first JSON syntax error in `text`, with its offset (JSON.parse of Node 20 seldom says). */
function jsonSyntaxError(text: string): { offset: number; message: string } | undefined {
  let i = 0;
  class Stop {
    constructor(
      readonly offset: number,
      readonly message: string,
    ) {}
  }
  const stop = (message: string, at = i): never => {
    throw new Stop(at, message);
  };
  const unexpected = (): never =>
    i >= text.length ? stop('unexpected end of file') : stop(`unexpected character ${JSON.stringify(text[i])}`);
  const blank = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else unexpected();
  };
  const string = () => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) stop('unterminated string');
      const ch = text[i]!;
      if (ch === '"') {
        i++;
        return;
      }
      if (ch < ' ') stop('control character in a string (escape it)');
      if (ch === '\\') {
        const next = text[i + 1];
        if (next !== undefined && '"\\/bfnrt'.includes(next)) i += 2;
        else if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else stop('bad escape in a string');
      } else {
        i++;
      }
    }
  };
  const number = () => {
    const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!match) unexpected();
    i += match![0].length;
  };
  let depth = 0;
  const value = (): void => {
    blank();
    const ch = text[i];
    if ((ch === '{' || ch === '[') && depth >= MAX_NESTING) stop(`nested too deeply (more than ${MAX_NESTING} levels)`);
    depth++;
    try {
      collectionOrScalar(ch);
    } finally {
      depth--;
    }
  };
  const collectionOrScalar = (ch: string | undefined): void => {
    if (ch === '{') {
      i++;
      blank();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        blank();
        if (text[i] !== '"') stop(i >= text.length ? 'unexpected end of file' : 'expected a key in double quotes');
        string();
        blank();
        if (text[i] !== ':') stop(i >= text.length ? 'unexpected end of file' : "expected ':' after a key");
        i++;
        value();
        blank();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else stop(i >= text.length ? 'unexpected end of file' : "expected ',' or '}'");
      }
    } else if (ch === '[') {
      i++;
      blank();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        blank();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else stop(i >= text.length ? 'unexpected end of file' : "expected ',' or ']'");
      }
    } else if (ch === '"') string();
    else if (ch === 't') literal('true');
    else if (ch === 'f') literal('false');
    else if (ch === 'n') literal('null');
    else if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) number();
    else unexpected();
  };
  try {
    value();
    blank();
    if (i < text.length) stop('unexpected content after the end of the JSON value');
    return undefined;
  } catch (error) {
    if (error instanceof Stop) return { offset: error.offset, message: error.message };
    return undefined; // e.g. nesting too deep for the stack: JSON.parse's own message will do
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Shape (zod) problems                                                                        */
/* ------------------------------------------------------------------------------------------ */

function valueAt(data: unknown, path: Path): { found: boolean; value: unknown } {
  let value = data;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, segment)) {
      return { found: false, value: undefined };
    }
    value = (value as Record<string, unknown>)[segment as string];
  }
  return { found: true, value };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (value instanceof Uint8Array) return 'binary data';
  switch (typeof value) {
    case 'string':
      return `'${value.length > 40 ? `${value.slice(0, 40)}...` : value}'`;
    case 'object':
      return 'a mapping';
    default:
      return String(value);
  }
}

const VALUE_CODES = new Set(['invalid_type', 'invalid_value', 'invalid_format', 'too_small', 'too_big', 'not_multiple_of']);

function addZodIssues(problems: Problems, issues: readonly z.core.$ZodIssue[], data: unknown, base: Path): void {
  for (const issue of issues) {
    const path: Segment[] = [...base, ...(issue.path as Segment[])];
    const local = issue.path as Segment[];
    let message = issue.message.replace(/^Invalid input: /, '');
    if (issue.code === 'unrecognized_keys') {
      const allowed = message.startsWith('expected only:') ? ` (${message})` : '';
      for (const key of issue.keys) problems.add([...path, key], `unknown key '${key}'${allowed}`, true);
      continue;
    }
    if (issue.code === 'invalid_key') {
      const inner = issue.issues[0]?.message.replace(/^Invalid input: /, '') ?? message;
      problems.add(path, `invalid name '${String(local.at(-1))}': ${inner}`, true);
      continue;
    }
    if (issue.code === 'custom' && issue.params?.['atKey'] === true) {
      problems.add(path, message, true);
      continue;
    }
    const { found, value } = valueAt(data, local);
    if (issue.code === 'invalid_type' && !found && local.length > 0) {
      const expected = message.replace(/,? received undefined$/, '');
      problems.add(path, `missing required key '${String(local.at(-1))}': ${expected}`);
      continue;
    }
    if (VALUE_CODES.has(issue.code) && found && !/\breceived\b/.test(message)) message += `, got ${describe(value)}`;
    problems.add(path, message);
  }
}

/**
 * How deeply lists and mappings nest, without recursion (the data may be arbitrarily deep);
 * Infinity for a cycle (a YAML alias inside its own anchor).
 */
function nestingDepth(data: unknown): number {
  let deepest = 0;
  const onPath = new Set<object>();
  const done = new Set<object>();
  const stack: { value: unknown; depth: number; exit: boolean }[] = [{ value: data, depth: 0, exit: false }];
  while (stack.length > 0) {
    const { value, depth, exit } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (exit) {
      onPath.delete(value);
      done.add(value);
      continue;
    }
    if (onPath.has(value)) return Infinity;
    if (done.has(value)) continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > MAX_NESTING) return deepest;
    onPath.add(value);
    stack.push({ value, depth, exit: true });
    for (const child of Object.values(value)) stack.push({ value: child, depth: depth + 1, exit: false });
  }
  return deepest;
}

/** Keys that would be prototype pollution if assigned on plain objects. */
function findProtoKeys(value: unknown, path: Segment[], problems: Problems): void {
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => findProtoKeys(item, [...path, index], problems));
    return;
  }
  for (const key of Object.keys(value)) {
    if (key === '__proto__') problems.add([...path, key], "the key '__proto__' is not allowed", true);
    else findProtoKeys((value as Record<string, unknown>)[key], [...path, key], problems);
  }
}

/* ------------------------------------------------------------------------------------------ */
/* References and normalization                                                                */
/* ------------------------------------------------------------------------------------------ */

function list(items: Iterable<string>, none = 'none'): string {
  const all = [...items];
  if (all.length === 0) return none;
  return all.length > 12 ? `${all.slice(0, 12).join(', ')}, ... (${all.length} in all)` : all.join(', ');
}

function checkScenario(data: unknown, file: string, options: LoadOptions, locate: Locate): Scenario {
  const problems = new Problems(file, locate);
  if (data === null || data === undefined) {
    problems.add([], 'the file is empty; expected a scenario (a mapping with keys name, users, steps)');
    problems.throwIfAny();
  }
  const depth = nestingDepth(data);
  if (depth > MAX_NESTING) {
    problems.add(
      [],
      depth === Infinity
        ? 'a YAML alias refers to its own anchor (a cycle); expected a scenario'
        : `nested too deeply (more than ${MAX_NESTING} levels); expected a scenario`,
    );
    problems.throwIfAny();
  }
  findProtoKeys(data, [], problems);
  problems.throwIfAny();
  const result = scenarioFileSchema.safeParse(data);
  if (!result.success) {
    addZodIssues(problems, result.error.issues, data, []);
    problems.throwIfAny();
  }
  const scenario = new Checker(result.data!, file, options, problems).run();
  problems.throwIfAny();
  return scenario;
}

interface GroupState {
  admin: string;
  members: string[];
}

interface SentId {
  step: number;
  /** Where the id is written (or, for a default id, the step's send). */
  path: Path;
}

class Checker {
  readonly #raw: RawScenario;
  readonly #file: string;
  readonly #options: LoadOptions;
  readonly #problems: Problems;

  /** user -> current devices, the primary first. */
  readonly #devices = new Map<string, string[]>();
  /** Every device that exists at some point. */
  readonly #everDevices = new Set<string>();
  readonly #linkedAt = new Map<string, number>();
  readonly #unlinkedAt = new Map<string, number>();
  readonly #offlineSince = new Map<string, number>();
  readonly #groups = new Map<string, GroupState>();
  readonly #sent = new Map<string, SentId>();
  /** Every id any send step of the scenario sends, for better messages. */
  readonly #sentLater = new Map<string, number>();
  readonly #marks = new Map<string, number>();

  constructor(raw: RawScenario, file: string, options: LoadOptions, problems: Problems) {
    this.#raw = raw;
    this.#file = file;
    this.#options = options;
    this.#problems = problems;
  }

  run(): Scenario {
    const raw = this.#raw;
    const users: Record<string, string[]> = Object.fromEntries(
      Object.entries(raw.users).map(([user, devices]) => [user, [...devices]]),
    );
    for (const [user, devices] of Object.entries(raw.users)) {
      this.#devices.set(user, [...devices]);
      for (const device of devices) this.#everDevices.add(deviceAddress(user, device));
    }
    const groups = this.#checkGroups();
    this.#prescan();
    const steps: Step[] = [];
    raw.steps.forEach((step, index) => {
      const normalized = this.#step(step, index);
      if (normalized) steps.push(normalized);
    });
    const adversaries = this.#checkAdversaries();
    return {
      name: raw.name,
      description: raw.description ?? '',
      source: this.#file,
      users,
      groups,
      steps,
      marks: Object.fromEntries(this.#marks),
      adversaries,
    };
  }

  #add(path: Path, message: string, atKey = false): void {
    this.#problems.add(path, message, atKey);
  }

  #users(): string {
    return list(this.#devices.keys());
  }

  #groupNames(): string {
    return list(this.#groups.keys());
  }

  #knownUser(user: string, path: Path): boolean {
    if (this.#devices.has(user)) return true;
    this.#add(path, `unknown user '${user}' (users: ${this.#users()})`);
    return false;
  }

  #checkGroups(): Record<string, GroupDefinition> {
    const out: [string, GroupDefinition][] = [];
    for (const [group, definition] of Object.entries(this.#raw.groups ?? {})) {
      const base = ['groups', group];
      if (this.#devices.has(group)) {
        this.#add(base, `group '${group}' has the same name as a user; names of users and groups must differ`, true);
      }
      definition.members.forEach((member, index) => this.#knownUser(member, [...base, 'members', index]));
      if (this.#devices.has(definition.admin) && !definition.members.includes(definition.admin)) {
        this.#add(
          [...base, 'admin'],
          `the admin '${definition.admin}' must be one of the members (members: ${list(definition.members)})`,
        );
      } else {
        this.#knownUser(definition.admin, [...base, 'admin']);
      }
      this.#groups.set(group, { admin: definition.admin, members: [...definition.members] });
      out.push([group, { admin: definition.admin, members: [...definition.members] }]);
    }
    return Object.fromEntries(out);
  }

  /** Where devices get linked and ids get sent, to explain references to the future. */
  #prescan(): void {
    this.#raw.steps.forEach((step, index) => {
      if ('link-device' in step) {
        const address = deviceAddress(step['link-device'].user, step['link-device'].device);
        if (!this.#linkedAt.has(address)) this.#linkedAt.set(address, index);
      } else if ('send' in step) {
        for (const id of idsOf(step.send, index)) if (!this.#sentLater.has(id)) this.#sentLater.set(id, index);
      }
    });
  }

  #has(user: string): string {
    return `${user} has: ${list(this.#devices.get(user) ?? [])}`;
  }

  /** A device that exists at step `index`. */
  #currentDevice(address: string, path: Path, index: number): DeviceAddress | undefined {
    const dot = address.indexOf('.');
    const user = address.slice(0, dot);
    const device = address.slice(dot + 1);
    if (!this.#devices.has(user)) {
      this.#add(path, `unknown user '${user}' in '${address}' (users: ${this.#users()})`);
      return undefined;
    }
    if (this.#devices.get(user)!.includes(device)) return deviceAddress(user, device);
    const unlinked = this.#unlinkedAt.get(address);
    const linked = this.#linkedAt.get(address);
    if (unlinked !== undefined) {
      this.#add(path, `device '${address}' was unlinked at steps[${unlinked}] (${this.#has(user)})`);
    } else if (linked !== undefined && linked > index) {
      this.#add(path, `device '${address}' is not linked yet: it is linked at steps[${linked}] (${this.#has(user)})`);
    } else {
      this.#add(path, `unknown device '${address}' (${this.#has(user)})`);
    }
    return undefined;
  }

  #step(step: RawStep, index: number): Step | undefined {
    const at = (...rest: Segment[]): Path => ['steps', index, ...rest];
    if ('send' in step) return this.#send(step.send, index, at);
    if ('delete' in step) {
      const { device, ids, all } = step.delete;
      const address = this.#currentDevice(device, at('delete', 'device'), index);
      ids?.forEach((id, i) => {
        if (this.#sent.has(id)) return;
        const later = this.#sentLater.get(id);
        this.#add(
          at('delete', 'ids', i),
          later !== undefined
            ? `id '${id}' is not sent yet: it is sent at steps[${later}]; a delete must come after the send`
            : `unknown id '${id}': no earlier step sends it (ids sent so far: ${list(this.#sent.keys())})`,
        );
      });
      return address && { kind: 'delete', device: address, ids: all ? 'all' : [...ids!] };
    }
    if ('mark' in step) {
      const name = step.mark;
      const first = this.#marks.get(name);
      if (first !== undefined) this.#add(at('mark'), `duplicate mark '${name}' (already at steps[${first}])`);
      else this.#marks.set(name, index);
      return { kind: 'mark', name };
    }
    if ('offline' in step) {
      const address = this.#currentDevice(step.offline, at('offline'), index);
      if (!address) return undefined;
      const since = this.#offlineSince.get(address);
      if (since !== undefined) this.#add(at('offline'), `device '${address}' is already offline (since steps[${since}])`);
      else this.#offlineSince.set(address, index);
      return { kind: 'offline', device: address };
    }
    if ('online' in step) {
      const address = this.#currentDevice(step.online, at('online'), index);
      if (!address) return undefined;
      if (!this.#offlineSince.has(address)) this.#add(at('online'), `device '${address}' is already online`);
      this.#offlineSince.delete(address);
      return { kind: 'online', device: address };
    }
    if ('verify' in step) {
      step.verify.forEach((user, i) => this.#knownUser(user, at('verify', i)));
      return { kind: 'verify', users: [...step.verify] };
    }
    if ('link-device' in step) {
      const { user, device } = step['link-device'];
      if (!this.#knownUser(user, at('link-device', 'user'))) return undefined;
      const address = deviceAddress(user, device);
      const devices = this.#devices.get(user)!;
      const unlinked = this.#unlinkedAt.get(address);
      if (devices.includes(device)) {
        this.#add(at('link-device', 'device'), `device '${address}' already exists (${this.#has(user)})`);
      } else if (unlinked !== undefined) {
        this.#add(
          at('link-device', 'device'),
          `device '${address}' was unlinked at steps[${unlinked}]; a newly linked device needs a new name`,
        );
      } else {
        devices.push(device);
        this.#everDevices.add(address);
      }
      return { kind: 'link-device', user, device };
    }
    if ('unlink-device' in step) {
      const path = at('unlink-device', 'device');
      const address = this.#currentDevice(step['unlink-device'].device, path, index);
      if (!address) return undefined;
      const dot = address.indexOf('.');
      const user = address.slice(0, dot);
      const devices = this.#devices.get(user)!;
      const position = devices.indexOf(address.slice(dot + 1));
      if (position === 0) {
        this.#add(path, `cannot unlink '${address}': it is ${user}'s primary device`);
      } else {
        devices.splice(position, 1);
        this.#unlinkedAt.set(address, index);
        this.#offlineSince.delete(address);
      }
      return { kind: 'unlink-device', device: address };
    }
    if ('add-member' in step || 'remove-member' in step) {
      const adding = 'add-member' in step;
      const kind = adding ? 'add-member' : 'remove-member';
      const { group, user, by } = adding ? step['add-member'] : step['remove-member'];
      const state = this.#groups.get(group);
      if (!state) {
        this.#add(at(kind, 'group'), `unknown group '${group}' (groups: ${this.#groupNames()})`);
      }
      const userKnown = this.#knownUser(user, at(kind, 'user'));
      const byKnown = this.#knownUser(by, at(kind, 'by'));
      if (!state) return { kind, group, user, by };
      if (byKnown && by !== state.admin) {
        this.#add(
          at(kind, 'by'),
          `only the admin of group '${group}' (${state.admin}) can ${adding ? 'add' : 'remove'} members`,
        );
      }
      if (userKnown) {
        const member = state.members.includes(user);
        if (adding && member) {
          this.#add(at(kind, 'user'), `'${user}' is already a member of group '${group}'`);
        } else if (!adding && !member) {
          this.#add(at(kind, 'user'), `'${user}' is not a member of group '${group}' (members: ${list(state.members)})`);
        } else if (!adding && user === state.admin) {
          this.#add(at(kind, 'user'), `the admin '${user}' cannot remove itself from group '${group}'`);
        } else if (adding) {
          state.members.push(user);
        } else {
          state.members.splice(state.members.indexOf(user), 1);
        }
      }
      return { kind, group, user, by };
    }
    return undefined;
  }

  #send(send: Extract<RawStep, { send: unknown }>['send'], index: number, at: (...rest: Segment[]) => Path): Step | undefined {
    let from: DeviceAddress | undefined;
    let sender: string | undefined;
    if (send.from.includes('.')) {
      from = this.#currentDevice(send.from, at('send', 'from'), index);
      if (from) sender = send.from.slice(0, send.from.indexOf('.'));
    } else if (this.#knownUser(send.from, at('send', 'from'))) {
      sender = send.from;
      from = deviceAddress(sender, this.#devices.get(sender)![0]!);
    }
    if (from) {
      const since = this.#offlineSince.get(from);
      if (since !== undefined) {
        this.#add(at('send', 'from'), `device '${from}' is offline at this step (since steps[${since}]); an offline device cannot send`);
      }
    }

    let to: Addressee | undefined;
    if (this.#devices.has(send.to)) {
      to = { kind: 'user', user: send.to };
      if (send.to === sender) {
        this.#add(at('send', 'to'), `'${sender}' cannot send to itself (its other devices get a copy of every message anyway)`);
      }
    } else if (this.#groups.has(send.to)) {
      to = { kind: 'group', group: send.to };
      const members = this.#groups.get(send.to)!.members;
      if (sender !== undefined && !members.includes(sender)) {
        this.#add(
          at('send', 'to'),
          `'${sender}' is not a member of group '${send.to}' at this step (members: ${list(members)})`,
        );
      }
    } else {
      this.#add(
        at('send', 'to'),
        `unknown user or group '${send.to}' (users: ${this.#users()}; groups: ${this.#groupNames()})`,
      );
    }

    const ids = idsOf(send, index);
    const idPath = send.id === undefined ? at('send') : at('send', 'id');
    for (const id of ids) {
      const previous = this.#sent.get(id);
      if (previous) {
        const which = send.id === undefined ? ` (the default id of this step)` : '';
        this.#add(idPath, `duplicate id '${id}'${which}: already used at ${formatPath(previous.path)}`);
        break; // one report per step, not one per counted message
      }
    }
    for (const id of ids) if (!this.#sent.has(id)) this.#sent.set(id, { step: index, path: idPath });

    if (!from || !to) return undefined;
    return { kind: 'send', from, to, messages: ids.map((id) => ({ id, text: send.text ?? null })) };
  }

  #checkAdversaries(): Record<string, Record<string, unknown>> {
    const out: [string, Record<string, unknown>][] = [];
    const known = this.#options.adversaryParams;
    for (const [name, params] of Object.entries(this.#raw.adversaries ?? {})) {
      const base = ['adversaries', name];
      if (!Object.hasOwn(known, name)) {
        this.#add(base, `unknown adversary '${name}' (known: ${list(Object.keys(known))})`, true);
        continue;
      }
      const before = this.#problems.count;
      const normalized: Record<string, unknown> = { ...params };
      if ('device' in params) {
        const address = this.#anyTimeDevice(params.device, [...base, 'device']);
        if (address) normalized.device = address;
      }
      if ('at' in params && !(typeof params.at === 'string' && this.#marks.has(params.at))) {
        this.#add(
          [...base, 'at'],
          `${typeof params.at === 'string' ? `unknown mark '${params.at}'` : `expected a mark name, got ${describe(params.at)}`} (marks: ${list(this.#marks.keys(), 'none in this scenario')})`,
        );
      }
      if ('group' in params && !(typeof params.group === 'string' && this.#groups.has(params.group))) {
        this.#add(
          [...base, 'group'],
          `${typeof params.group === 'string' ? `unknown group '${params.group}'` : `expected a group name, got ${describe(params.group)}`} (groups: ${this.#groupNames()})`,
        );
      }
      if ('user' in params && !(typeof params.user === 'string' && this.#devices.has(params.user))) {
        this.#add(
          [...base, 'user'],
          `${typeof params.user === 'string' ? `unknown user '${params.user}'` : `expected a user name, got ${describe(params.user)}`} (users: ${this.#users()})`,
        );
      }
      const schema = known[name]!.schema;
      if (this.#problems.count === before && schema) {
        const result = schema.safeParse(normalized);
        if (!result.success) addZodIssues(this.#problems, result.error.issues, normalized, base);
      }
      out.push([name, normalized]);
    }
    return Object.fromEntries(out);
  }

  /** A device that exists at some point of the scenario; a bare user means its primary. */
  #anyTimeDevice(value: unknown, path: Path): DeviceAddress | undefined {
    if (typeof value !== 'string' || value === '') {
      this.#add(path, `expected a device address user.device or a user (its primary device), got ${describe(value)}`);
      return undefined;
    }
    const dot = value.indexOf('.');
    const user = dot < 0 ? value : value.slice(0, dot);
    if (!this.#devices.has(user)) {
      this.#add(path, `unknown user '${user}'${dot < 0 ? '' : ` in '${value}'`} (users: ${this.#users()})`);
      return undefined;
    }
    if (dot < 0) return deviceAddress(user, this.#raw.users[user]![0]!);
    if (this.#everDevices.has(value)) return value as DeviceAddress;
    const ever = [...this.#everDevices].filter((address) => address.startsWith(`${user}.`)).map((a) => a.slice(user.length + 1));
    this.#add(path, `unknown device '${value}' (${user} has: ${list(ever)})`);
    return undefined;
  }
}

function idsOf(send: { id?: string | undefined; count?: number | undefined }, index: number): string[] {
  const base = send.id ?? `m${index + 1}`;
  if (send.count === undefined) return [base];
  return Array.from({ length: send.count }, (_, i) => `${base}.${i + 1}`);
}
