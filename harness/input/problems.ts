/**
 * The problems of one input file: each with the path inside the data (`steps[3].send.to`),
 * what was expected and the `(line L:C)` of the node, capped per file; a zod schema's issues
 * as such messages.
 */
import type { z } from 'zod';

import { InputError } from '../errors.ts';
import type { InputProblem } from '../errors.ts';
import { MAX_ECHOED_CHARS, MAX_PROBLEMS_PER_FILE } from '../limits.ts';
import { cut, echo } from '../printable.ts';
import type { Locate, Path, Segment } from './types.ts';

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
