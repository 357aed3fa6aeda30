/**
 * The `libsignal` client's rejections: its own (`LibsignalError`), and the library's errors
 * turned into the harness's coded rejections at the client boundary.
 */
import { ErrorCode, LibSignalErrorBase } from '@signalapp/libsignal-client';
import { RejectionError, type RejectionCode } from '../../harness/errors.ts';

/** This client's own rejections (the harness's coded rejection); the library's are translated by `asLibraryRejection`. */
export class LibsignalError extends RejectionError {
  constructor(
    override readonly code: Extract<RejectionCode, 'unknown-device' | 'untrusted-identity' | 'bad-signature' | 'invalid-message' | 'malformed-message'>,
    message: string,
  ) {
    super(code, `libsignal: ${message}`);
    this.name = 'LibsignalError';
  }
}

/** The library's error codes for what it refuses in a message, as the harness's rejection codes. */
const LIBRARY_REJECTIONS: Partial<Record<ErrorCode, RejectionCode>> = {
  [ErrorCode.DuplicatedMessage]: 'duplicate-message',
  [ErrorCode.UntrustedIdentity]: 'untrusted-identity',
  [ErrorCode.InvalidSession]: 'no-session',
  [ErrorCode.VerificationFailed]: 'bad-signature',
  [ErrorCode.InvalidProtocolAddress]: 'unknown-device',
  [ErrorCode.InvalidRegistrationId]: 'invalid-message',
};

/**
 * At the client boundary: the library's own error (`LibSignalErrorBase`) becomes the coded
 * rejection, its message kept (reports quote it) and the original as the cause. Its generic
 * code (a message that does not parse or decrypt) is `invalid-message`. Anything else, a
 * TypeError above all, is not the library refusing input and is left as it is.
 */
export function asLibraryRejection(error: unknown): unknown {
  if (!(error instanceof LibSignalErrorBase)) return error;
  return new RejectionError(LIBRARY_REJECTIONS[error.code] ?? 'invalid-message', error.message, { cause: error });
}
