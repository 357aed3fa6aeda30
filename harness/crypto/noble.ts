/**
 * The `noble` crypto backend: pure JavaScript on the audited @noble libraries.
 *
 * Standards: X25519 (RFC 7748), Ed25519 (RFC 8032 §5.1, strict decoding, see `ed25519Verify`),
 * SHA-256 / SHA-512 (FIPS 180-4), HMAC-SHA256 (RFC 2104, RFC 4231), HKDF-SHA256 (RFC 5869),
 * AES-256-GCM (NIST SP 800-38D), ChaCha20-Poly1305 (RFC 8439), AES-256-CBC (NIST SP 800-38A)
 * with PKCS#7 padding (RFC 5652 §6.3), ML-KEM-768 (FIPS 203).
 *
 * This module also holds the input checks and the pieces both backends share (ML-KEM, the
 * Ed25519 public-key rule), so `node` and `noble` validate identically and fail identically.
 */

import { cbc, gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { abytes, CryptoError, type CryptoBackend } from './backend.ts';

// ---------------------------------------------------------------------------------------------
// Shared by both backends
// ---------------------------------------------------------------------------------------------

/** Length of every AEAD tag this backend produces and accepts. */
export const TAG_LENGTH = 16;

/** RFC 5869 §2.3: L <= 255 * HashLen. */
export const HKDF_SHA256_MAX_LENGTH = 255 * 32;

/** FIPS 203 Table 3, ML-KEM-768. */
export const ML_KEM_768 = { seed: 64, randomness: 32, publicKey: 1184, secretKey: 2400, cipherText: 1088 } as const;

/** Optional byte input: `undefined` is allowed, anything else must be a Uint8Array. */
export function optionalBytes(value: unknown, title: string): Uint8Array | undefined {
  return value === undefined ? undefined : abytes(value, undefined, title);
}

/** HKDF output length: an integer in 0..8160 (RFC 5869 §2.3). */
export function hkdfLength(length: unknown, title: string): number {
  if (typeof length !== 'number') {
    throw new TypeError(`"${title}" expected number, got ${length === null ? 'null' : typeof length}`);
  }
  if (!Number.isSafeInteger(length) || length < 0 || length > HKDF_SHA256_MAX_LENGTH) {
    throw new RangeError(`"${title}" expected an integer in 0..${HKDF_SHA256_MAX_LENGTH}, got ${length}`);
  }
  return length;
}

/** AEAD ciphertexts carry a 16-byte tag; anything shorter cannot authenticate. */
export function checkAeadCiphertext(ciphertext: Uint8Array, fn: string): void {
  if (ciphertext.length < TAG_LENGTH) {
    throw new CryptoError('auth-failed', `${fn}: ciphertext of ${ciphertext.length} bytes is shorter than the ${TAG_LENGTH}-byte tag`);
  }
}

/** A PKCS#7-padded CBC ciphertext is a non-zero multiple of the 16-byte block. */
export function checkCbcCiphertext(ciphertext: Uint8Array, fn: string): void {
  if (ciphertext.length === 0 || ciphertext.length % 16 !== 0) {
    throw new CryptoError('bad-padding', `${fn}: ciphertext length ${ciphertext.length} is not a non-zero multiple of 16`);
  }
}

export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i]!;
  return acc === 0;
}

export function lowOrderError(): CryptoError {
  return new CryptoError('bad-key', 'x25519: the public key is a low-order point (all-zero shared secret)');
}

const ED25519_KEY_CACHE_LIMIT = 1024;
const ed25519KeyVerdicts = new Map<string, boolean>();

/**
 * The Ed25519 public-key rule both backends apply before checking a signature: `A` must be the
 * canonical encoding (RFC 8032 §5.1.3) of a point in the prime-order subgroup, other than the
 * identity. With such an `A` the cofactored check noble runs and the cofactorless check OpenSSL
 * runs accept exactly the same signatures, once noble also insists that `R` is torsion-free.
 * Without the rule they disagree: OpenSSL accepts "signatures" under small-order keys for any
 * message, noble accepts signatures whose `R` carries a torsion component.
 * Results are cached per key (bounded): the subgroup check is a full scalar multiplication.
 */
export function ed25519PublicKeyAcceptable(publicKey: Uint8Array): boolean {
  const id = bytesToHex(publicKey);
  const cached = ed25519KeyVerdicts.get(id);
  if (cached !== undefined) return cached;
  let verdict: boolean;
  try {
    const point = ed25519.Point.fromBytes(publicKey, false);
    verdict = !point.isSmallOrder() && point.isTorsionFree();
  } catch {
    verdict = false;
  }
  if (ed25519KeyVerdicts.size >= ED25519_KEY_CACHE_LIMIT) {
    ed25519KeyVerdicts.delete(ed25519KeyVerdicts.keys().next().value!);
  }
  ed25519KeyVerdicts.set(id, verdict);
  return verdict;
}

function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function mlKem768Keygen(seed: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array } {
  abytes(seed, ML_KEM_768.seed, 'mlKem768Keygen.seed');
  const { publicKey, secretKey } = ml_kem768.keygen(seed);
  return { publicKey, secretKey };
}

export function mlKem768Encapsulate(
  publicKey: Uint8Array,
  randomness: Uint8Array,
): { cipherText: Uint8Array; sharedSecret: Uint8Array } {
  abytes(publicKey, ML_KEM_768.publicKey, 'mlKem768Encapsulate.publicKey');
  abytes(randomness, ML_KEM_768.randomness, 'mlKem768Encapsulate.randomness');
  let result: { cipherText: Uint8Array; sharedSecret: Uint8Array };
  try {
    result = ml_kem768.encapsulate(publicKey, randomness);
  } catch (error) {
    // FIPS 203 §7.2 input check: a coefficient of the encoded key is not reduced mod q.
    throw new CryptoError('bad-key', `mlKem768Encapsulate: invalid public key (${(error as Error).message})`);
  }
  return { cipherText: result.cipherText, sharedSecret: result.sharedSecret };
}

export function mlKem768Decapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array {
  abytes(cipherText, ML_KEM_768.cipherText, 'mlKem768Decapsulate.cipherText');
  abytes(secretKey, ML_KEM_768.secretKey, 'mlKem768Decapsulate.secretKey');
  try {
    // A tampered ciphertext does not throw: FIPS 203 implicit rejection returns a pseudorandom key.
    return ml_kem768.decapsulate(cipherText, secretKey);
  } catch (error) {
    // FIPS 203 §7.3 input check: the secret key's embedded H(ek) does not match.
    throw new CryptoError('bad-key', `mlKem768Decapsulate: invalid secret key (${(error as Error).message})`);
  }
}

// ---------------------------------------------------------------------------------------------
// The backend
// ---------------------------------------------------------------------------------------------

export const nobleBackend: CryptoBackend = {
  name: 'noble',

  x25519PublicKey(privateKey) {
    abytes(privateKey, 32, 'x25519PublicKey.privateKey');
    return x25519.getPublicKey(privateKey);
  },

  x25519(privateKey, publicKey) {
    abytes(privateKey, 32, 'x25519.privateKey');
    abytes(publicKey, 32, 'x25519.publicKey');
    let shared: Uint8Array;
    try {
      // noble rejects the low-order inputs before the ladder: exactly the inputs whose result
      // would be all zero (RFC 7748 §6.1).
      shared = x25519.getSharedSecret(privateKey, publicKey);
    } catch {
      throw lowOrderError();
    }
    if (isAllZero(shared)) throw lowOrderError();
    return shared;
  },

  ed25519PublicKey(seed) {
    abytes(seed, 32, 'ed25519PublicKey.seed');
    return ed25519.getPublicKey(seed);
  },

  ed25519Sign(seed, message) {
    abytes(seed, 32, 'ed25519Sign.seed');
    abytes(message, undefined, 'ed25519Sign.message');
    return ed25519.sign(message, seed);
  },

  ed25519Verify(publicKey, message, signature) {
    abytes(publicKey, 32, 'ed25519Verify.publicKey');
    abytes(message, undefined, 'ed25519Verify.message');
    abytes(signature, 64, 'ed25519Verify.signature');
    if (!ed25519PublicKeyAcceptable(publicKey)) return false;
    // Strict RFC 8032 decoding of A and R, S < L, cofactored equation.
    if (!ed25519.verify(signature, message, publicKey, { zip215: false })) return false;
    // With A torsion-free, a torsion-free R makes the cofactored equation the exact one.
    try {
      return ed25519.Point.fromBytes(signature.subarray(0, 32), false).isTorsionFree();
    } catch {
      return false;
    }
  },

  sha256(data) {
    abytes(data, undefined, 'sha256.data');
    return sha256(data);
  },

  sha512(data) {
    abytes(data, undefined, 'sha512.data');
    return sha512(data);
  },

  hmacSha256(key, data) {
    abytes(key, undefined, 'hmacSha256.key');
    abytes(data, undefined, 'hmacSha256.data');
    return hmac(sha256, key, data);
  },

  hkdfSha256(ikm, salt, info, length) {
    abytes(ikm, undefined, 'hkdfSha256.ikm');
    abytes(salt, undefined, 'hkdfSha256.salt');
    abytes(info, undefined, 'hkdfSha256.info');
    hkdfLength(length, 'hkdfSha256.length');
    return hkdf(sha256, ikm, salt, info, length);
  },

  aes256GcmEncrypt(key, nonce, plaintext, aad) {
    abytes(key, 32, 'aes256GcmEncrypt.key');
    abytes(nonce, 12, 'aes256GcmEncrypt.nonce');
    abytes(plaintext, undefined, 'aes256GcmEncrypt.plaintext');
    optionalBytes(aad, 'aes256GcmEncrypt.aad');
    return gcm(key, nonce, aad).encrypt(plaintext);
  },

  aes256GcmDecrypt(key, nonce, ciphertext, aad) {
    abytes(key, 32, 'aes256GcmDecrypt.key');
    abytes(nonce, 12, 'aes256GcmDecrypt.nonce');
    abytes(ciphertext, undefined, 'aes256GcmDecrypt.ciphertext');
    optionalBytes(aad, 'aes256GcmDecrypt.aad');
    checkAeadCiphertext(ciphertext, 'aes256GcmDecrypt');
    try {
      return gcm(key, nonce, aad).decrypt(ciphertext);
    } catch {
      throw new CryptoError('auth-failed', 'aes256GcmDecrypt: authentication failed');
    }
  },

  chacha20Poly1305Encrypt(key, nonce, plaintext, aad) {
    abytes(key, 32, 'chacha20Poly1305Encrypt.key');
    abytes(nonce, 12, 'chacha20Poly1305Encrypt.nonce');
    abytes(plaintext, undefined, 'chacha20Poly1305Encrypt.plaintext');
    optionalBytes(aad, 'chacha20Poly1305Encrypt.aad');
    return chacha20poly1305(key, nonce, aad).encrypt(plaintext);
  },

  chacha20Poly1305Decrypt(key, nonce, ciphertext, aad) {
    abytes(key, 32, 'chacha20Poly1305Decrypt.key');
    abytes(nonce, 12, 'chacha20Poly1305Decrypt.nonce');
    abytes(ciphertext, undefined, 'chacha20Poly1305Decrypt.ciphertext');
    optionalBytes(aad, 'chacha20Poly1305Decrypt.aad');
    checkAeadCiphertext(ciphertext, 'chacha20Poly1305Decrypt');
    try {
      return chacha20poly1305(key, nonce, aad).decrypt(ciphertext);
    } catch {
      throw new CryptoError('auth-failed', 'chacha20Poly1305Decrypt: authentication failed');
    }
  },

  aes256CbcEncrypt(key, iv, plaintext) {
    abytes(key, 32, 'aes256CbcEncrypt.key');
    abytes(iv, 16, 'aes256CbcEncrypt.iv');
    abytes(plaintext, undefined, 'aes256CbcEncrypt.plaintext');
    return cbc(key, iv).encrypt(plaintext);
  },

  aes256CbcDecrypt(key, iv, ciphertext) {
    abytes(key, 32, 'aes256CbcDecrypt.key');
    abytes(iv, 16, 'aes256CbcDecrypt.iv');
    abytes(ciphertext, undefined, 'aes256CbcDecrypt.ciphertext');
    checkCbcCiphertext(ciphertext, 'aes256CbcDecrypt');
    let plaintext: Uint8Array;
    try {
      plaintext = cbc(key, iv).decrypt(ciphertext);
    } catch {
      throw new CryptoError('bad-padding', 'aes256CbcDecrypt: invalid PKCS#7 padding');
    }
    // noble returns a view that stops short of the padding; hand back an array of its own.
    return plaintext.byteLength === plaintext.buffer.byteLength ? plaintext : plaintext.slice();
  },

  mlKem768Keygen,
  mlKem768Encapsulate,
  mlKem768Decapsulate,
};
