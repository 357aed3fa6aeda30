/** One error type for the reference messenger, with a code per failure (as libsignal's ErrorCode). */
export type SignalErrorCode =
  | 'duplicate-message'
  | 'invalid-message'
  | 'no-session'
  | 'too-many-skipped'
  | 'untrusted-identity'
  | 'bad-signature'
  | 'invalid-prekey'
  | 'unknown-device';

export class SignalError extends Error {
  constructor(
    readonly code: SignalErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SignalError';
  }

  static is(error: unknown, code: SignalErrorCode): boolean {
    return error instanceof SignalError && error.code === code;
  }
}
