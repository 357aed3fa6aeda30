/**
 * Errors the CLI turns into exit statuses (SPEC §1): `InputError` for bad usage or bad input
 * files (exit 2, one located line per problem, never a stack trace); anything else that
 * escapes the harness is a harness failure (exit 3).
 */
import { printable } from './printable.ts';

export interface InputProblem {
  /** The file, or `<command line>` for flags. */
  file: string;
  /** The place inside it, e.g. `steps[3].send.to`; empty for the whole file. */
  path: string;
  /** What was expected, or what is wrong. */
  message: string;
}

export class InputError extends Error {
  readonly problems: InputProblem[];

  constructor(problems: InputProblem[] | InputProblem) {
    const list = Array.isArray(problems) ? problems : [problems];
    super(list.map(formatProblem).join('\n'));
    this.name = 'InputError';
    this.problems = list;
  }
}

/**
 * One problem as one printable line: the file, the path and the message may all hold text
 * from input, so control and bidirectional characters are escaped (a line break in a value
 * cannot forge another problem line) and each part is cut to a readable length.
 */
export function formatProblem(problem: InputProblem): string {
  const file = printable(problem.file);
  const where = problem.path ? `${file}: ${printable(problem.path)}` : file;
  return `${where}: ${printable(problem.message)}`;
}

/** Thrown by a client for a step its design does not support; the run becomes `not-applicable`. */
export class UnsupportedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedError';
  }
}
