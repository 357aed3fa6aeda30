/**
 * YAML text, two ways. js-yaml (with the YAML 1.2 core schema of `../yaml-core-schema.ts`)
 * reads a well-formed file quickly and in little memory (`quickYaml`); the `yaml` library,
 * whose document keeps every node's position, decides whenever js-yaml refuses a file
 * (`parseYaml`, so every syntax error is reported one way), locates the problems a schema
 * finds (`locateLater`, parsing the file again only then) and checks what the data would hide
 * (`documentProblems`): lists or mappings as keys, keys that become one name, alias bombs.
 */
import { load as loadYamlQuickly } from 'js-yaml';
import { Composer, isAlias, isCollection, isMap, isPair, isScalar, isSeq, LineCounter, Parser, YAMLParseError } from 'yaml';
import type { Document, Node as YamlNode, ParsedNode, Scalar } from 'yaml';

import { InputError } from '../errors.ts';
import type { InputProblem } from '../errors.ts';
import { MAX_NESTING, MAX_PROBLEMS_PER_FILE, MAX_YAML_EXPANDED_CHARS } from '../limits.ts';
import { echo } from '../printable.ts';
import { withArticle } from '../wording.ts';
import { YAML_1_2_CORE_SCHEMA } from '../yaml-core-schema.ts';
import { lineColumn } from './position.ts';
import { formatPath } from './problems.ts';
import { nestingDepth } from './shape.ts';
import type { InputKind, LineOf, Locate, Path } from './types.ts';

/**
 * js-yaml's reading of a file it accepts, or null: it refused the file (a syntax error, a
 * duplicate key, several documents, nesting too deep for its recursion), the data is nested
 * deeper than `MAX_NESTING`, or the file may have an anchor or a list or mapping as a key.
 * Null sends the file to `parseYaml`, which gives the located message. The line of every
 * mapping and list is recorded on the way, from js-yaml's node events, by the object it
 * becomes (the nesting of the events depends on the syntax: a flow mapping at the top is
 * read once as a possible key).
 */
export function quickYaml(text: string): { data: unknown; lineOf: LineOf } | null {
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
export function lineOfLocate(locate: Locate): LineOf {
  return (path) => {
    const where = locate(path, false);
    return where === undefined ? undefined : Number(where.slice(0, where.indexOf(':')));
  };
}

/** `locate` that parses the file with positions on its first call (only files with problems pay for it). */
export function locateLater(text: string, file: string, kind: Pick<InputKind, 'what'>): Locate {
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
export function parseYaml(text: string, file: string, kind: Pick<InputKind, 'what'>): { doc: Document.Parsed; locate: Locate } {
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
export function documentProblems(doc: Document.Parsed, text: string, file: string): InputProblem[] {
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
