/**
 * The reference messenger's rejections: the harness's coded rejection (as libsignal's
 * ErrorCode), under the codes this design uses.
 */
import { RejectionError, type RejectionCode } from '../../harness/errors.ts';

export type SignalErrorCode = Extract<
  RejectionCode,
  | 'duplicate-message'
  | 'invalid-message'
  | 'malformed-message'
  | 'no-session'
  | 'too-many-skipped'
  | 'untrusted-identity'
  | 'bad-signature'
  | 'invalid-prekey'
  | 'unknown-device'
>;

export class SignalError extends RejectionError {
  constructor(
    override readonly code: SignalErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'SignalError';
  }

  static override is(error: unknown, code?: SignalErrorCode): error is SignalError {
    return error instanceof SignalError && (code === undefined || error.code === code);
  }
}
