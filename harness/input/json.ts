/**
 * JSON text: its size bounded before `JSON.parse` builds anything, and its first syntax error
 * located, as `JSON.parse` seldom says where.
 */
import { InputError } from '../errors.ts';
import { MAX_NESTING } from '../limits.ts';
import { withArticle } from '../wording.ts';
import { lineColumn } from './position.ts';
import type { InputKind } from './types.ts';

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

/** The first JSON syntax error in `text`, with its offset (JSON.parse of Node 20 seldom says). */
export function jsonSyntaxError(text: string): { offset: number; message: string } | undefined {
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
