/**
 * The cryptography every harness design runs on. Two implementations give byte-identical
 * results: `node` (node:crypto, OpenSSL) and `noble` (@noble/*). Backends hold no
 * randomness: callers pass bytes from the run's seeded RNG, so every key and nonce is
 * reproducible.
 *
 * Errors: a wrong input type throws TypeError, a wrong length RangeError (see `abytes`);
 * a ciphertext that fails authentication throws `CryptoError` with code `auth-failed`.
 */

export interface CryptoBackend {
  readonly name: CryptoBackendName;

  // X25519, RFC 7748
  x25519PublicKey(privateKey: Uint8Array): Uint8Array;
  /** The shared secret; throws CryptoError `bad-key` for an all-zero result (low-order point). */
  x25519(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array;

  // Ed25519, RFC 8032 (the 32-byte seed is the private key)
  ed25519PublicKey(seed: Uint8Array): Uint8Array;
  ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array;
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;

  // Hashes, MAC, KDF
  sha256(data: Uint8Array): Uint8Array;
  sha512(data: Uint8Array): Uint8Array;
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** HKDF-SHA256, RFC 5869. */
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;

  // AEADs: output is ciphertext || 16-byte tag
  aes256GcmEncrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array;
  aes256GcmDecrypt(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad?: Uint8Array): Uint8Array;
  chacha20Poly1305Encrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array;
  chacha20Poly1305Decrypt(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad?: Uint8Array): Uint8Array;

  // AES-256-CBC with PKCS#7 padding (Signal's message cipher, paired with HMAC-SHA256)
  aes256CbcEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Throws CryptoError `bad-padding` on invalid padding. */
  aes256CbcDecrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array;

  // ML-KEM-768, FIPS 203 (both backends use @noble/post-quantum; node:crypto in Node 20 has none)
  mlKem768Keygen(seed: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array };
  mlKem768Encapsulate(publicKey: Uint8Array, randomness: Uint8Array): { cipherText: Uint8Array; sharedSecret: Uint8Array };
  mlKem768Decapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array;
}

export type CryptoBackendName = 'node' | 'noble';

export type CryptoErrorCode = 'auth-failed' | 'bad-padding' | 'bad-key';

export class CryptoError extends Error {
  constructor(
    readonly code: CryptoErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CryptoError';
  }
}

/** Titled input check: `abytes(key, 32, 'ratchetKey')`. */
export function abytes(value: unknown, length: number | undefined, title: string): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`"${title}" expected Uint8Array, got ${value === null ? 'null' : typeof value}`);
  }
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`"${title}" expected Uint8Array of length ${length}, got length=${value.length}`);
  }
  return value;
}
