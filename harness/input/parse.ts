/**
 * Parsing an input file's text into plain data: strict JSON for a name ending in `.json`,
 * YAML otherwise, with `locate` and `lineOf` to point into the text.
 */
import { extname } from 'node:path';

import { InputError } from '../errors.ts';
import { MAX_NESTING, MAX_PROBLEMS_PER_FILE, MAX_YAML_ALIASES } from '../limits.ts';
import { withArticle } from '../wording.ts';
import { jsonSyntaxError } from './json.ts';
import { lineColumn } from './position.ts';
import { nestingDepth } from './shape.ts';
import type { InputKind, LineOf, Locate } from './types.ts';
import { documentProblems, lineOfLocate, locateLater, parseYaml, quickYaml } from './yaml.ts';

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


function isOnlyComments(text: string): boolean {
  return text.split(/\r?\n|\r/).every((line) => /^\s*(#.*)?$/.test(line));
}
