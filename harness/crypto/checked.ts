/**
 * The one validating wrapper around a crypto backend: every input check of the interface
 * (types and lengths, see `abytes`), the AEAD tag and CBC block rules, the X25519 low-order
 * rule (RFC 7748 §6.1), the Ed25519 public-key rule (`./ed25519-key-rule.ts`) and the
 * mapping of a failed decryption or key check to the `CryptoError` the interface promises.
 * A backend implements only the primitives, on inputs already checked, so every backend
 * validates identically and fails identically.
 */
import { abytes, CryptoError } from './backend.ts';
import type { CryptoBackend, CryptoBackendName } from './backend.ts';
import { ed25519PublicKeyAcceptable } from './ed25519-key-rule.ts';

/**
 * What a backend implements: the operations of `CryptoBackend` on inputs `checkedBackend`
 * has checked. A decryption, a key agreement or an ML-KEM key check that fails may throw
 * anything; the wrapper says what failed.
 */
export type BackendPrimitives = Omit<CryptoBackend, 'name'>;

/** Length of every AEAD tag a backend produces and accepts. */
export const TAG_LENGTH = 16;

/** RFC 5869 §2.3: L <= 255 * HashLen. */
export const HKDF_SHA256_MAX_LENGTH = 255 * 32;

/** FIPS 203 Table 3, ML-KEM-768. */
export const ML_KEM_768 = { seed: 64, randomness: 32, publicKey: 1184, secretKey: 2400, cipherText: 1088 } as const;

/** Optional byte input: `undefined` is allowed, anything else must be a Uint8Array. */
function optionalBytes(value: unknown, title: string): void {
  if (value !== undefined) abytes(value, undefined, title);
}

/** HKDF output length: an integer in 0..8160 (RFC 5869 §2.3). */
function hkdfLength(length: unknown, title: string): void {
  if (typeof length !== 'number') {
    throw new TypeError(`"${title}" expected number, got ${length === null ? 'null' : typeof length}`);
  }
  if (!Number.isSafeInteger(length) || length < 0 || length > HKDF_SHA256_MAX_LENGTH) {
    throw new RangeError(`"${title}" expected an integer in 0..${HKDF_SHA256_MAX_LENGTH}, got ${length}`);
  }
}

function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i]!;
  return acc === 0;
}

function lowOrderError(): CryptoError {
  return new CryptoError('bad-key', 'x25519: the public key is a low-order point (all-zero shared secret)');
}

type Seal = 'aes256GcmEncrypt' | 'chacha20Poly1305Encrypt';
type Open = 'aes256GcmDecrypt' | 'chacha20Poly1305Decrypt';

/** A 32-byte key, a 12-byte nonce, the data, optional associated data. */
function aeadInputs(fn: string, key: Uint8Array, nonce: Uint8Array, data: Uint8Array, dataTitle: string, aad: Uint8Array | undefined): void {
  abytes(key, 32, `${fn}.key`);
  abytes(nonce, 12, `${fn}.nonce`);
  abytes(data, undefined, `${fn}.${dataTitle}`);
  optionalBytes(aad, `${fn}.aad`);
}

/** `primitives` behind the checks, as the backend called `name`. */
export function checkedBackend(name: CryptoBackendName, primitives: BackendPrimitives): CryptoBackend {
  const p = primitives;
  const seal =
    (fn: Seal): CryptoBackend[Seal] =>
    (key, nonce, plaintext, aad) => {
      aeadInputs(fn, key, nonce, plaintext, 'plaintext', aad);
      return p[fn](key, nonce, plaintext, aad);
    };
  const open =
    (fn: Open): CryptoBackend[Open] =>
    (key, nonce, ciphertext, aad) => {
      aeadInputs(fn, key, nonce, ciphertext, 'ciphertext', aad);
      // The ciphertext carries a 16-byte tag; anything shorter cannot authenticate.
      if (ciphertext.length < TAG_LENGTH) {
        throw new CryptoError('auth-failed', `${fn}: ciphertext of ${ciphertext.length} bytes is shorter than the ${TAG_LENGTH}-byte tag`);
      }
      try {
        return p[fn](key, nonce, ciphertext, aad);
      } catch {
        throw new CryptoError('auth-failed', `${fn}: authentication failed`);
      }
    };

  return {
    name,

    x25519PublicKey(privateKey) {
      abytes(privateKey, 32, 'x25519PublicKey.privateKey');
      return p.x25519PublicKey(privateKey);
    },

    x25519(privateKey, publicKey) {
      abytes(privateKey, 32, 'x25519.privateKey');
      abytes(publicKey, 32, 'x25519.publicKey');
      let shared: Uint8Array;
      try {
        // Both libraries refuse the low-order inputs: exactly those whose result would be all zero.
        shared = p.x25519(privateKey, publicKey);
      } catch {
        throw lowOrderError();
      }
      if (isAllZero(shared)) throw lowOrderError();
      return shared;
    },

    ed25519PublicKey(seed) {
      abytes(seed, 32, 'ed25519PublicKey.seed');
      return p.ed25519PublicKey(seed);
    },

    ed25519Sign(seed, message) {
      abytes(seed, 32, 'ed25519Sign.seed');
      abytes(message, undefined, 'ed25519Sign.message');
      return p.ed25519Sign(seed, message);
    },

    ed25519Verify(publicKey, message, signature) {
      abytes(publicKey, 32, 'ed25519Verify.publicKey');
      abytes(message, undefined, 'ed25519Verify.message');
      abytes(signature, 64, 'ed25519Verify.signature');
      if (!ed25519PublicKeyAcceptable(publicKey)) return false;
      return p.ed25519Verify(publicKey, message, signature);
    },

    sha256(data) {
      abytes(data, undefined, 'sha256.data');
      return p.sha256(data);
    },

    sha512(data) {
      abytes(data, undefined, 'sha512.data');
      return p.sha512(data);
    },

    hmacSha256(key, data) {
      abytes(key, undefined, 'hmacSha256.key');
      abytes(data, undefined, 'hmacSha256.data');
      return p.hmacSha256(key, data);
    },

    hkdfSha256(ikm, salt, info, length) {
      abytes(ikm, undefined, 'hkdfSha256.ikm');
      abytes(salt, undefined, 'hkdfSha256.salt');
      abytes(info, undefined, 'hkdfSha256.info');
      hkdfLength(length, 'hkdfSha256.length');
      return p.hkdfSha256(ikm, salt, info, length);
    },

    aes256GcmEncrypt: seal('aes256GcmEncrypt'),
    aes256GcmDecrypt: open('aes256GcmDecrypt'),
    chacha20Poly1305Encrypt: seal('chacha20Poly1305Encrypt'),
    chacha20Poly1305Decrypt: open('chacha20Poly1305Decrypt'),

    aes256CbcEncrypt(key, iv, plaintext) {
      abytes(key, 32, 'aes256CbcEncrypt.key');
      abytes(iv, 16, 'aes256CbcEncrypt.iv');
      abytes(plaintext, undefined, 'aes256CbcEncrypt.plaintext');
      return p.aes256CbcEncrypt(key, iv, plaintext);
    },

    aes256CbcDecrypt(key, iv, ciphertext) {
      abytes(key, 32, 'aes256CbcDecrypt.key');
      abytes(iv, 16, 'aes256CbcDecrypt.iv');
      abytes(ciphertext, undefined, 'aes256CbcDecrypt.ciphertext');
      // A PKCS#7-padded CBC ciphertext is a non-zero multiple of the 16-byte block.
      if (ciphertext.length === 0 || ciphertext.length % 16 !== 0) {
        throw new CryptoError('bad-padding', `aes256CbcDecrypt: ciphertext length ${ciphertext.length} is not a non-zero multiple of 16`);
      }
      try {
        return p.aes256CbcDecrypt(key, iv, ciphertext);
      } catch {
        throw new CryptoError('bad-padding', 'aes256CbcDecrypt: invalid PKCS#7 padding');
      }
    },

    mlKem768Keygen(seed) {
      abytes(seed, ML_KEM_768.seed, 'mlKem768Keygen.seed');
      return p.mlKem768Keygen(seed);
    },

    mlKem768Encapsulate(publicKey, randomness) {
      abytes(publicKey, ML_KEM_768.publicKey, 'mlKem768Encapsulate.publicKey');
      abytes(randomness, ML_KEM_768.randomness, 'mlKem768Encapsulate.randomness');
      try {
        return p.mlKem768Encapsulate(publicKey, randomness);
      } catch (error) {
        // FIPS 203 §7.2 input check: a coefficient of the encoded key is not reduced mod q.
        throw new CryptoError('bad-key', `mlKem768Encapsulate: invalid public key (${(error as Error).message})`);
      }
    },

    mlKem768Decapsulate(cipherText, secretKey) {
      abytes(cipherText, ML_KEM_768.cipherText, 'mlKem768Decapsulate.cipherText');
      abytes(secretKey, ML_KEM_768.secretKey, 'mlKem768Decapsulate.secretKey');
      try {
        return p.mlKem768Decapsulate(cipherText, secretKey);
      } catch (error) {
        // FIPS 203 §7.3 input check: the secret key's embedded H(ek) does not match.
        throw new CryptoError('bad-key', `mlKem768Decapsulate: invalid secret key (${(error as Error).message})`);
      }
    },
  };
}
