/**
 * Reading and parsing the harness's input files (scenario, policy and report files): the part
 * that does not depend on what the file describes.
 *
 * - `readInputFile(path, kind)`: the one reader of every file keyhole is given (scenarios,
 *   policies, baseline and shard reports): checks the path (a regular file, never a named
 *   pipe or a device; a known extension; not too large) and returns its text; refuses binary
 *   files and bad UTF-8. It reads no more than the size limit, whatever the file claims.
 * - `checkJsonSize(text, file, limits, kind)`: refuses JSON text nested too deeply or holding
 *   too many values, in one pass before `JSON.parse` builds anything.
 * - `parseInput(text, file, kind)`: YAML, or strict JSON for a name ending in `.json`, into
 *   plain data plus `locate`, which turns a path inside the data into a `line:column`, and
 *   `lineOf`, the line where a mapping or list inside it starts (a scenario's steps),
 *   recorded while parsing so that asking costs nothing.
 *   Refuses empty files, several YAML documents, duplicate keys (also in JSON, and keys
 *   that become one name), lists or mappings as keys, nesting deeper than `MAX_NESTING`
 *   (before anything recursive could exhaust the stack) and alias bombs, by their count and
 *   by the size they expand to (`MAX_YAML_EXPANDED_CHARS`). Limits: `./limits.ts`.
 * - `unusableData(data, kind)`: the problem of parsed data no schema can check (nothing, a
 *   cycle, too deep), if any.
 * - `Problems`: collects the problems of one file, each located, up to
 *   `MAX_PROBLEMS_PER_FILE`; `addZodIssues` adds a zod schema's issues to it as readable
 *   messages (`missing required key 'x': ...`, `..., got 'y'`, `unknown key 'z'`).
 *
 * Two YAML parsers: js-yaml (with the YAML 1.2 core schema of `./yaml-core-schema.ts`) reads
 * a well-formed file quickly and in little memory; the `yaml` library, whose document keeps
 * every node's position, decides whenever js-yaml refuses a file (so every syntax error is
 * reported one way) and locates the problems a schema finds, parsing the file again only then. A 100,000-step scenario loads
 * in about a second rather than in half a minute and a gigabyte. Files with YAML anchors (or
 * what may be a list or mapping as a key) go the careful way from the start, where alias
 * expansion is limited and every key is checked on the document's nodes.
 *
 * Every problem is an `InputProblem` (thrown in an `InputError`): the file, the path inside
 * it (`steps[3].send.to`, see `formatPath`), what was expected and, where known, the
 * `(line L:C)` of the offending node. Never a stack trace.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { extname } from 'node:path';

import { load as loadYamlQuickly } from 'js-yaml';
import { Composer, isAlias, isCollection, isMap, isPair, isScalar, isSeq, LineCounter, Parser, YAMLParseError } from 'yaml';
import type { Document, Node as YamlNode, ParsedNode, Scalar } from 'yaml';
import type { z } from 'zod';

import { InputError } from './errors.ts';
import { MAX_ECHOED_CHARS, MAX_NESTING, MAX_PROBLEMS_PER_FILE, MAX_YAML_ALIASES, MAX_YAML_EXPANDED_CHARS } from './limits.ts';
import { cut, echo } from './printable.ts';
import { withArticle } from './wording.ts';
import { YAML_1_2_CORE_SCHEMA } from './yaml-core-schema.ts';
import type { InputProblem } from './errors.ts';

export { MAX_NESTING, MAX_PROBLEMS_PER_FILE };

/** One step of a path inside a file's data: a mapping key or a list index. */
export type Segment = string | number;
export type Path = readonly Segment[];
/** Where the node at `path` is: `line:column`, 1-based; undefined when unknown. `atKey`: its key, not its value. */
export type Locate = (path: Path, atKey: boolean) => string | undefined;
/** The 1-based line where the mapping or list at `path` starts; undefined when unknown (or not a mapping or list). */
export type LineOf = (path: Path) => number | undefined;

/** What kind of input file is read, for the checks and the messages. */
export interface InputKind {
  /** One word for what the file holds: `scenario` gives "a scenario file", "expected a scenario" (`adversary`: "an adversary"). */
  what: string;
  /** The shape of the whole file, named when it is empty: `a mapping with the key expect`. */
  shape: string;
  /** The accepted file name endings, lowercase, with the dot; `.json` is parsed as strict JSON. Absent: any name. */
  extensions?: readonly string[];
  /** Larger files are refused before they are read. */
  maxBytes: number;
  /** Said after the limit when a file is too large (what the limit is, when it is not plain). */
  maxBytesNote?: string;
}

/* ------------------------------------------------------------------------------------------ */
/* Reading                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/**
 * Flags for opening an input file: read only; a named pipe opens at once instead of waiting
 * for a writer (it is then refused), and a terminal does not become the controlling one.
 * Windows has neither flag (and no such files).
 */
const OPEN_FOR_READING = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/**
 * Reads an input file's text after checking what the path is. Throws `InputError`.
 *
 * The path is checked before it is opened (a FIFO or a device is never opened) and the open
 * file again (the path may have changed in between); at most `kind.maxBytes` are read, so
 * a file that grows while it is read is refused as too large rather than read on.
 */
export function readInputFile(path: string, kind: InputKind): string {
  const fail = (message: string): never => {
    throw new InputError({ file: path, path: '', message });
  };
  const tooLarge = (size: string): never => fail(`is too large (${size} bytes; at most ${kind.maxBytes}${kind.maxBytesNote ? `, ${kind.maxBytesNote}` : ''})`);
  const checkStats = (stats: Stats) => {
    if (stats.isDirectory()) fail(`is a folder; expected ${withArticle(kind.what)} file${kind.extensions ? ` (${kind.extensions.join(', ')})` : ''}`);
    if (!stats.isFile()) fail(`is not a regular file (${fileType(stats)}); expected ${withArticle(kind.what)} file`);
    if (stats.size > kind.maxBytes) tooLarge(String(stats.size));
  };
  try {
    checkStats(statSync(path));
  } catch (error) {
    if (error instanceof InputError) throw error;
    return fail(describeFsError(error, kind));
  }
  if (kind.extensions && !hasExtension(path, kind)) fail(`expected ${withArticle(kind.what)} file ending in ${kind.extensions.join(', ')}`);
  let bytes: Buffer;
  let fd: number | undefined;
  try {
    fd = openSync(path, OPEN_FOR_READING);
    const stats = fstatSync(fd);
    checkStats(stats);
    bytes = readAtMost(fd, stats.size, kind.maxBytes);
  } catch (error) {
    if (error instanceof InputError) throw error;
    return fail(describeFsError(error, kind));
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (bytes.length > kind.maxBytes) tooLarge(`more than ${kind.maxBytes}`);
  return decodeText(bytes, path);
}

/** What a file that is not a regular one is, for the message refusing it. */
function fileType(stats: Stats): string {
  if (stats.isFIFO()) return 'a named pipe';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'not a file';
}

/** The bytes of an open file, up to `max + 1` of them (one more than allowed says it is too large). */
function readAtMost(fd: number, expectedSize: number, max: number): Buffer {
  let buffer = Buffer.allocUnsafe(Math.min(expectedSize, max) + 1);
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      if (length > max) break;
      const grown = Buffer.allocUnsafe(Math.min(buffer.length * 2, max + 1));
      buffer.copy(grown, 0, 0, length);
      buffer = grown;
    }
    const read = readSync(fd, buffer, length, buffer.length - length, null);
    if (read === 0) break;
    length += read;
  }
  return buffer.subarray(0, length);
}

/** Whether a file name ends in one of `kind.extensions` (in any case). */
export function hasExtension(path: string, kind: Pick<InputKind, 'extensions'>): boolean {
  return kind.extensions?.includes(extname(path).toLowerCase()) ?? true;
}

/** A file system error (from stat, read or readdir) as the rest of a problem's message. */
export function describeFsError(error: unknown, kind: Pick<InputKind, 'what'>): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'cannot read: no such file or folder';
    case 'EACCES':
    case 'EPERM':
      return 'cannot read: permission denied';
    case 'EISDIR':
      return `is a folder; expected ${withArticle(kind.what)} file`;
    case 'ENOTDIR':
      return 'cannot read: a part of the path is not a folder';
    default:
      return `cannot read: ${error instanceof Error ? error.message : String(error)}`;
  }
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

/* ------------------------------------------------------------------------------------------ */
/* Parsing                                                                                     */
/* ------------------------------------------------------------------------------------------ */

/** How much JSON text may hold, checked by `checkJsonSize`. */
export interface JsonLimits {
  /** Lists and mappings inside each other. */
  maxNesting: number;
  /** Values: every list, mapping and item of either (a mapping's key and its value are one). */
  maxValues: number;
  /** Said after the value limit (what the limit is, when it is not plain). */
  maxValuesNote?: string;
}

/**
 * Refuses JSON text nested deeper than `limits.maxNesting` or holding more than
 * `limits.maxValues` values, with the line and column where the limit is passed; returns
 * how many values the text holds. One pass over the text, before `JSON.parse` builds
 * anything: what parsing costs grows with the number of values (about a hundred bytes
 * each), not with the file's size alone, and later code walks the data recursively.
 * Counting each `[` and `{` and each `,` outside strings bounds the values (every value but
 * the first of a list or mapping follows a comma). Text that is not JSON is left to
 * `JSON.parse` to refuse.
 */
export function checkJsonSize(text: string, file: string, limits: JsonLimits, kind: Pick<InputKind, 'what'>): number {
  let depth = 0;
  let values = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 /* " */) {
      i++;
      while (i < text.length && text.charCodeAt(i) !== 0x22) i += text.charCodeAt(i) === 0x5c /* \ */ ? 2 : 1;
      continue;
    }
    if (ch === 0x5b /* [ */ || ch === 0x7b /* { */) {
      depth++;
      values++;
      if (depth > limits.maxNesting) {
        throw new InputError({ file, path: '', message: `nested too deeply (more than ${limits.maxNesting} levels); expected ${withArticle(kind.what)} (line ${lineColumn(text, i)})` });
      }
    } else if (ch === 0x5d /* ] */ || ch === 0x7d /* } */) {
      depth--;
    } else if (ch === 0x2c /* , */) {
      values++;
    }
    if (values > limits.maxValues) {
      throw new InputError({
        file,
        path: '',
        message: `holds too many values (more than ${limits.maxValues}${limits.maxValuesNote ? `, ${limits.maxValuesNote}` : ''}); expected ${withArticle(kind.what)} (line ${lineColumn(text, i)})`,
      });
    }
  }
  return values;
}

export interface ParsedInput {
  /** Plain data: mappings, lists, strings, numbers, booleans, null (or undefined: nothing). */
  data: unknown;
  locate: Locate;
  lineOf: LineOf;
}

/**
 * Parses an input file's text: strict JSON when `file` ends in `.json`, YAML otherwise. A
 * leading byte order mark is ignored. Throws `InputError` for anything but one document of
 * data: control characters, an empty file (or, in YAML, only comments), syntax errors
 * (located), several YAML documents, duplicate keys (also keys such as `1` and `"1"`, which
 * become one name), a list or mapping as a key, nesting deeper than `MAX_NESTING`, more than
 * `MAX_YAML_ALIASES` expanded aliases, more than `MAX_YAML_EXPANDED_CHARS` characters with
 * every alias expanded.
 */
export function parseInput(input: string, file: string, kind: Pick<InputKind, 'what' | 'shape'>): ParsedInput {
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
    fail(`the file is empty; expected ${withArticle(kind.what)} (${kind.shape})`);
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
    if (nestingDepth(data) > MAX_NESTING) fail(`nested too deeply (more than ${MAX_NESTING} levels); expected ${withArticle(kind.what)}`);
    // JSON.parse silently keeps the last of duplicate keys; both YAML parsers find them.
    // js-yaml's reading of the same text has the same structure, so its lines are the file's.
    const quick = quickYaml(text);
    if (quick !== null) return { data, locate: locateLater(text, file, kind), lineOf: quick.lineOf };
    // Otherwise the `yaml` library decides (only shallow enough input reaches it), with positions.
    const { doc, locate } = parseYaml(text, file, kind);
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
    const located = doc.errors.length === 0 ? locate : () => undefined;
    return { data, locate: located, lineOf: lineOfLocate(located) };
  }

  const quick = quickYaml(text);
  if (quick !== null) return { data: quick.data, locate: locateLater(text, file, kind), lineOf: quick.lineOf };

  const { doc, locate } = parseYaml(text, file, kind);
  if (doc.errors.length > 0) {
    throw new InputError(
      doc.errors.slice(0, MAX_PROBLEMS_PER_FILE).map((error) => ({
        file,
        path: '',
        message: `YAML syntax error: ${error.message} (line ${lineColumn(text, error.pos[0])})`,
      })),
    );
  }
  const shapeProblems = documentProblems(doc, text, file);
  if (shapeProblems.length > 0) throw new InputError(shapeProblems);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (error) {
    fail(`YAML: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { data, locate, lineOf: lineOfLocate(locate) };
}

/**
 * What is wrong with parsed data before any schema can check it: nothing at all (an empty
 * document), a cycle (a YAML alias inside its own anchor) or nesting deeper than
 * `MAX_NESTING`; undefined when it is fine. The message is meant for the path `[]`.
 */
export function unusableData(data: unknown, kind: Pick<InputKind, 'what' | 'shape'>): string | undefined {
  if (data === null || data === undefined) return `the file is empty; expected ${withArticle(kind.what)} (${kind.shape})`;
  const depth = nestingDepth(data);
  if (depth === Infinity) return `a YAML alias refers to its own anchor (a cycle); expected ${withArticle(kind.what)}`;
  if (depth > MAX_NESTING) return `nested too deeply (more than ${MAX_NESTING} levels); expected ${withArticle(kind.what)}`;
  return undefined;
}

/**
 * js-yaml's reading of a file it accepts, or null: it refused the file (a syntax error, a
 * duplicate key, several documents, nesting too deep for its recursion), the data is nested
 * deeper than `MAX_NESTING`, or the file may have an anchor or a list or mapping as a key.
 * Null sends the file to `parseYaml`, which gives the located message. The line of every
 * mapping and list is recorded on the way, from js-yaml's node events, by the object it
 * becomes (the nesting of the events depends on the syntax: a flow mapping at the top is
 * read once as a possible key).
 */
function quickYaml(text: string): { data: unknown; lineOf: LineOf } | null {
  if (text.includes('&')) return null; // perhaps an anchor: aliases are expanded under limits there
  // Perhaps a list or mapping as a key (`? [a, b]`, `[a, b]: x`), which js-yaml would turn
  // into the name "a,b"; the careful path refuses it. A false alarm only costs time.
  if (/(?:^|[\s[{,])\?(?:\s|$)|[\]}]\s*:(?:\s|$)/m.test(text)) return null;
  const lines = new Map<object, number>();
  /** The (0-based) line where each node being read opened, outermost first. */
  const opened: number[] = [];
  let data: unknown;
  try {
    data = loadYamlQuickly(text, {
      schema: YAML_1_2_CORE_SCHEMA,
      // A node opens where its content is about to start (a list item's after its `-`) and closes with its value built.
      listener: (event, state) => {
        if (event === 'open') {
          opened.push(state.line);
          return;
        }
        const line = opened.pop()!;
        const node: unknown = state.result;
        if (typeof node === 'object' && node !== null && !lines.has(node)) lines.set(node, line + 1);
      },
    });
  } catch {
    return null;
  }
  // Too deep: the careful path says where.
  if (nestingDepth(data) > MAX_NESTING) return null;
  const lineOf: LineOf = (path) => {
    let node: unknown = data;
    for (const segment of path) {
      if (typeof node !== 'object' || node === null || !Object.hasOwn(node, segment)) return undefined;
      node = (node as Record<string, unknown>)[segment as string];
    }
    return typeof node === 'object' && node !== null ? lines.get(node) : undefined;
  };
  return { data, lineOf };
}

/** `lineOf` from a `locate` (the careful path, where the document already knows every node's place). */
function lineOfLocate(locate: Locate): LineOf {
  return (path) => {
    const where = locate(path, false);
    return where === undefined ? undefined : Number(where.slice(0, where.indexOf(':')));
  };
}

/** `locate` that parses the file with positions on its first call (only files with problems pay for it). */
function locateLater(text: string, file: string, kind: Pick<InputKind, 'what'>): Locate {
  let locate: Locate | null = null;
  return (path, atKey) => {
    if (locate === null) {
      try {
        const parsed = parseYaml(text, file, kind);
        locate = parsed.doc.errors.length === 0 ? parsed.locate : () => undefined;
      } catch {
        locate = () => undefined;
      }
    }
    return locate(path, atKey);
  };
}

const CST_COLLECTIONS = new Set(['block-map', 'block-seq', 'flow-collection']);

/**
 * `parseDocument`, in two stages: the YAML library's parser (iterative) builds the concrete
 * syntax tree, whose nesting is checked before its composer (recursive) turns it into a
 * document. Very deep input would exhaust the stack in the composer, which can take down
 * the whole process rather than throw. A second document is a `MULTIPLE_DOCS` error.
 */
function parseYaml(text: string, file: string, kind: Pick<InputKind, 'what'>): { doc: Document.Parsed; locate: Locate } {
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
        message: `nested too deeply (more than ${MAX_NESTING} levels); expected ${withArticle(kind.what)}${
          typeof offset === 'number' ? ` (line ${lineColumn(text, offset)})` : ''
        }`,
      });
    }
    for (const child of Object.values(node)) if (typeof child === 'object' && child !== null) stack.push({ node: child, depth });
  }

  // logLevel 'error': the library warns through process.emitWarning, which would reach stderr.
  const composer = new Composer({ prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
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

/**
 * What a YAML document holds that the data it becomes would hide or that would be too much
 * work, found on its nodes (before `toJS`, with positions), in document order:
 * - a list or mapping as a mapping key (`? [a, b]`): a JS object could only take it as the
 *   name "a,b" (and the `yaml` library would warn on stderr);
 * - keys that become one name: `1` and `"1"`, `0x1F` and `"31"`, `~` and `""` are different
 *   YAML keys but one JS property, so one of them would silently be lost;
 * - the expanded size: each alias counts the characters of what it refers to, so one large
 *   string anchored once and aliased many times cannot become gigabytes of data.
 */
function documentProblems(doc: Document.Parsed, text: string, file: string): InputProblem[] {
  const problems: InputProblem[] = [];
  const add = (path: Path, message: string, offset: number | undefined) => {
    if (problems.length >= MAX_PROBLEMS_PER_FILE) return;
    const where = offset === undefined ? '' : ` (line ${lineColumn(text, offset)})`;
    problems.push({ file, path: formatPath(path), message: `${message}${where}` });
  };
  /** The most recent node of each anchor name so far, as an alias refers to it (YAML 1.2.2 §7.1). */
  const anchors = new Map<string, ParsedNode>();
  /** The expanded size of every collection walked to its end; one still open is in a cycle. */
  const sizes = new Map<ParsedNode, number>();
  const resolve = (node: ParsedNode | null): ParsedNode | null =>
    node !== null && isAlias(node) ? (anchors.get(node.source) ?? null) : node;
  const keyText = (key: ParsedNode) => echo(text.slice(key.range[0], key.range[1]).trim());

  let expanded = 0;
  type Visit = { node: ParsedNode | null; path: Path; exit?: number };
  const stack: Visit[] = [{ node: doc.contents, path: [] }];
  while (stack.length > 0) {
    const { node, path, exit } = stack.pop()!;
    if (node === null) continue;
    if (exit !== undefined) {
      sizes.set(node, expanded - exit);
      continue;
    }
    if (node.anchor) anchors.set(node.anchor, node);
    if (isAlias(node)) {
      const source = anchors.get(node.source);
      expanded += source === undefined ? 0 : isScalar(source) ? scalarSize(source) : (sizes.get(source) ?? 0);
    } else if (isScalar(node)) {
      expanded += scalarSize(node);
    } else {
      expanded += 1;
    }
    if (expanded > MAX_YAML_EXPANDED_CHARS) {
      add(
        path,
        `YAML: with its aliases expanded, the document holds more than ${MAX_YAML_EXPANDED_CHARS} characters by this node ` +
          `(each alias counts the size of what it refers to); at most ${MAX_YAML_EXPANDED_CHARS} characters in a document`,
        node.range[0],
      );
      break;
    }
    if (!isCollection(node)) continue;
    stack.push({ node, path, exit: expanded - 1 });
    const children: Visit[] = [];
    if (isMap(node)) {
      const names = new Map<string, ParsedNode>();
      for (const pair of node.items) {
        const key = pair.key as ParsedNode | null;
        const resolved = resolve(key);
        if (key !== null && resolved !== null && isCollection(resolved)) {
          add(path, `a ${isMap(resolved) ? 'mapping' : 'list'} cannot be a key; expected a name`, key.range[0]);
          continue;
        }
        const name = resolved === null ? '' : String((resolved as Scalar).value ?? '');
        const first = names.get(name);
        if (first !== undefined && key !== null) {
          add(
            [...path, name],
            `the keys ${keyText(first)} (line ${lineColumn(text, first.range[0])}) and ${keyText(key)} both become the name ${echo(name)}; expected different names`,
            key.range[0],
          );
        } else if (key !== null) {
          names.set(name, key);
        }
        if (key !== null) children.push({ node: key, path });
        children.push({ node: pair.value as ParsedNode | null, path: [...path, name] });
      }
    } else {
      node.items.forEach((item, index) => children.push({ node: item as ParsedNode, path: [...path, index] }));
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return problems;
}

/** A scalar's share of the expanded size: its characters (a number or `null`: one). */
function scalarSize(node: Scalar): number {
  return typeof node.value === 'string' ? Math.max(node.value.length, 1) : 1;
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
  /** `"key":` in a mapping. */
  const key = () => {
    blank();
    if (text[i] !== '"') stop(i >= text.length ? 'unexpected end of file' : 'expected a key in double quotes');
    string();
    blank();
    if (text[i] !== ':') stop(i >= text.length ? 'unexpected end of file' : "expected ':' after a key");
    i++;
  };
  /** A mapping (`close` is '}') or a list (']'), from its opening bracket on. */
  const collection = (close: '}' | ']') => {
    i++;
    blank();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      if (close === '}') key();
      value();
      blank();
      if (text[i] === close) {
        i++;
        return;
      }
      if (text[i] !== ',') stop(i >= text.length ? 'unexpected end of file' : `expected ',' or '${close}'`);
      i++;
      blank();
      if (text[i] === close) stop(`a trailing ',' before '${close}'`);
    }
  };
  const collectionOrScalar = (ch: string | undefined): void => {
    if (ch === '{') collection('}');
    else if (ch === '[') collection(']');
    else if (ch === '"') string();
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

/* ------------------------------------------------------------------------------------------ */
/* Problems                                                                                    */
/* ------------------------------------------------------------------------------------------ */

/** The problems of one file, each with its path and `(line L:C)`, up to `MAX_PROBLEMS_PER_FILE`. */
export class Problems {
  readonly #file: string;
  readonly #locate: Locate;
  readonly #list: InputProblem[] = [];
  #dropped = 0;

  /** `locate`: `parseInput`'s, or `() => undefined` for data that was not read from text. */
  constructor(file: string, locate: Locate) {
    this.#file = file;
    this.#locate = locate;
  }

  /** All problems added so far, also those over the cap. */
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

  /** Throws them all in one `InputError` (with `N more problem(s) not shown` over the cap), if any. */
  throwIfAny(): void {
    if (this.count === 0) return;
    const list = [...this.#list];
    if (this.#dropped > 0) {
      list.push({ file: this.#file, path: '', message: `${this.#dropped} more problem(s) not shown` });
    }
    throw new InputError(list);
  }
}

/**
 * `steps[3].send.to`; keys that are not plain words are quoted: `users["a b"]`. A key longer
 * than `MAX_ECHOED_CHARS` is cut (`users.aaaa…`).
 */
export function formatPath(path: Path): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') {
      out += `[${segment}]`;
      continue;
    }
    const shown = cut(segment, MAX_ECHOED_CHARS);
    if (/^[\p{L}\p{N}_-]+$/u.test(segment)) out += out === '' ? shown : `.${shown}`;
    else out += `[${JSON.stringify(shown)}]`;
  }
  return out;
}

/** Issues about a value that is there, whose message then says what it is: `, got 'x'`. */
const VALUE_CODES = new Set([
  'invalid_type',
  'invalid_value',
  'invalid_format',
  'invalid_union',
  'too_small',
  'too_big',
  'not_multiple_of',
]);

/**
 * Adds a zod schema's issues about `data` (found at `base` in the file) to `problems`, as
 * messages that say what was expected and what was found. Conventions for the schema's
 * custom errors: a strict object's `unrecognized_keys` message `expected only: a, b` or
 * `expected one of: a, b` is shown after the unknown key; a custom issue with
 * `params: { atKey: true }` is located at the key rather than its value.
 */
export function addZodIssues(problems: Problems, issues: readonly z.core.$ZodIssue[], data: unknown, base: Path): void {
  for (const issue of issues) {
    const path: Segment[] = [...base, ...(issue.path as Segment[])];
    const local = issue.path as Segment[];
    let message = issue.message.replace(/^Invalid input: /, '');
    if (issue.code === 'unrecognized_keys') {
      const allowed = /^expected (only|one of):/.test(message) ? ` (${message})` : '';
      for (const key of issue.keys) problems.add([...path, key], `unknown key ${echo(key)}${allowed}`, true);
      continue;
    }
    if (issue.code === 'invalid_key') {
      const inner = issue.issues[0]?.message.replace(/^Invalid input: /, '') ?? message;
      problems.add(path, `invalid name ${echo(String(local.at(-1)))}: ${inner}`, true);
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

/** A value as a message shows it: `'text'`, `3`, `null`, `a list of 2`, `a mapping`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : `a list of ${value.length}`;
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
