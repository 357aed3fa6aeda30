/**
 * Errors the CLI turns into exit statuses (SPEC §1): `InputError` for bad usage or bad input
 * files (exit 2, one located line per problem, never a stack trace); anything else that
 * escapes the harness is a harness failure (exit 3).
 */

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

export function formatProblem(problem: InputProblem): string {
  const where = problem.path ? `${problem.file}: ${problem.path}` : problem.file;
  return `${where}: ${problem.message}`;
}

/** Thrown by a client for a step its design does not support; the run becomes `not-applicable`. */
export class UnsupportedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedError';
  }
}

/**
 * The harness contradicted itself (e.g. a composite adversary recovered less than one of its
 * parts, SPEC §4): a bug in keyhole, not a finding about a design. Exit 3.
 */
export class HarnessDefect extends Error {
  constructor(message: string) {
    super(`harness defect (a bug in keyhole, not a finding about the design): ${message}`);
    this.name = 'HarnessDefect';
  }
}
