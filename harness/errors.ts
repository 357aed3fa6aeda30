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

/**
 * Why a client refused an envelope (or a bundle, device list or roster it was handed), as
 * libsignal's `ErrorCode`. Every design rejects what it will not accept with this error and a
 * code, never with a stray TypeError or RangeError: the envelope fuzzer counts any other throw
 * as a crash. A design may subclass it (`SignalError`); the message is what reports quote.
 */
export type RejectionCode =
  /** Does not decode, or a field is missing, of the wrong type or of the wrong size. */
  | 'malformed-message'
  /** Decodes, but fails authentication (a MAC or AEAD tag, a key agreement, a library's own checks). */
  | 'invalid-message'
  /** A message already received (a replay). */
  | 'duplicate-message'
  /** No session, sender key or group state to open it with. */
  | 'no-session'
  /** Further ahead of its chain than the design keeps keys for. */
  | 'too-many-skipped'
  /** An identity other than the one pinned or verified for its user. */
  | 'untrusted-identity'
  | 'bad-signature'
  /** Names a prekey (or KeyPackage) this device does not have. */
  | 'invalid-prekey'
  /** From a device its user does not vouch for, or naming a user, device or group the provider does not know. */
  | 'unknown-device';

export class RejectionError extends Error {
  constructor(
    readonly code: RejectionCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RejectionError';
  }

  /** A coded rejection, of `code` if given (as libsignal's `LibSignalErrorBase.is`). */
  static is(error: unknown, code?: RejectionCode): error is RejectionError {
    return error instanceof RejectionError && (code === undefined || error.code === code);
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
