/**
 * Titled checks for what a design decodes off the wire, in the style of noble's `abytes`:
 * each returns the value when it has the expected type and size, and otherwise throws the
 * harness's coded rejection `malformed-message` naming the field
 * (`"sealed box.nonce" expected 12 bytes, got 8`). Designs run them where they decode their
 * wire format, so a malformed envelope is refused there instead of crashing deeper in (a
 * TypeError in a cipher). `rejectingCryptoErrors` and `asRejection` do the same for what the
 * cryptography refuses.
 */
import { CryptoError } from '../../harness/crypto/backend.ts';
import { RejectionError } from '../../harness/errors.ts';
import { ProviderError } from '../../harness/provider/provider.ts';
import { unpack } from './codec.ts';

/** Sizes of what travels on the wire, for the checks. */
export const WIRE_SIZES = {
  /** RFC 7748. */
  x25519PublicKey: 32,
  /** RFC 8032. */
  ed25519PublicKey: 32,
  ed25519Signature: 64,
  /** FIPS 203, ML-KEM-768. */
  mlKem768Ciphertext: 1088,
  /** SP 800-38D, the 96-bit GCM nonce. */
  aesGcmNonce: 12,
} as const;

/** Decoded wire fields, still unchecked. */
export type WireFields = Record<string, unknown>;

function malformed(title: string, expected: string, value: unknown): RejectionError {
  return new RejectionError('malformed-message', `"${title}" expected ${expected}, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value;
}

/** The MessagePack map `bytes` holds (not an array, not a scalar). */
export function unpackFields(bytes: Uint8Array, what: string): WireFields {
  return wireFields(unpack<unknown>(bytes, what), what);
}

export function wireFields(value: unknown, title: string): WireFields {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    throw malformed(title, 'a map', value);
  }
  return value as WireFields;
}

export function wireBytes(value: unknown, title: string, length?: number): Uint8Array {
  if (value instanceof Uint8Array && (length === undefined || value.length === length)) return value;
  throw malformed(title, length === undefined ? 'bytes' : `${length} bytes`, value);
}

export function wireString(value: unknown, title: string): string {
  if (typeof value !== 'string') throw malformed(title, 'a string', value);
  return value;
}

/** A whole number in 0..2^53-1 (ids, counters, timestamps). */
export function wireCount(value: unknown, title: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw malformed(title, 'a whole number', value);
  return value;
}

export function wireBoolean(value: unknown, title: string): boolean {
  if (typeof value !== 'boolean') throw malformed(title, 'true or false', value);
  return value;
}

/** `check(value)` unless the field is null. */
export function wireNullable<T>(value: unknown, check: (value: unknown) => T): T | null {
  return value === null ? null : check(value);
}

/**
 * Run a decryption or key agreement on wire input: the backend's `CryptoError` (a failed tag,
 * bad padding, a low-order public key) becomes the coded rejection `invalid-message`, with
 * the backend's message. Anything else (a TypeError: a field no check caught) stays a crash.
 */
export function rejectingCryptoErrors<T>(operation: () => T): T {
  try {
    return operation();
  } catch (error) {
    throw error instanceof CryptoError ? asRejection(error) : error;
  }
}

/**
 * For a client's boundary: the backend's `CryptoError` as the coded rejection
 * `invalid-message`, and the provider's refusal to look up a name the envelope gave (a sender
 * or group it does not know) as `unknown-device`; any other error as it is.
 */
export function asRejection(error: unknown): unknown {
  if (error instanceof CryptoError) return new RejectionError('invalid-message', error.message, { cause: error });
  if (error instanceof ProviderError) return new RejectionError('unknown-device', error.message, { cause: error });
  return error;
}
