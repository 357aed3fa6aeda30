/**
 * Safety numbers: the numeric fingerprint two users compare out of band, after Signal's
 * "NumericFingerprintGenerator" (libsignal, version 0): each side's 30 digits come from an
 * iterated SHA-512 over its identity key and stable identifier; the two halves are ordered
 * so both users see the same 60 digits.
 */
import type { CryptoBackend } from '../../harness/crypto/backend.ts';
import { concatBytes, utf8 } from './codec.ts';

/** Iterations of SHA-512 per half; Signal uses 5200 to make a fingerprint collision search costly. */
export const FINGERPRINT_ITERATIONS = 5200;
const FINGERPRINT_VERSION = new Uint8Array([0, 0]);

export interface IdentityForFingerprint {
  /** A stable identifier of the user (its name here). */
  user: string;
  /** The identity public key (or keys, concatenated) to fingerprint. */
  key: Uint8Array;
}

export function safetyNumber(crypto: CryptoBackend, a: IdentityForFingerprint, b: IdentityForFingerprint): string {
  const halves = [displayHalf(crypto, a), displayHalf(crypto, b)].sort();
  return halves.join('');
}

function displayHalf(crypto: CryptoBackend, identity: IdentityForFingerprint): string {
  let hash = crypto.sha512(concatBytes(FINGERPRINT_VERSION, identity.key, utf8.encode(identity.user)));
  for (let i = 0; i < FINGERPRINT_ITERATIONS; i++) hash = crypto.sha512(concatBytes(hash, identity.key));
  let digits = '';
  for (let chunk = 0; chunk < 6; chunk++) {
    let value = 0;
    for (let i = 0; i < 5; i++) value = value * 256 + hash[chunk * 5 + i]!;
    digits += String(value % 100000).padStart(5, '0');
  }
  return digits;
}
