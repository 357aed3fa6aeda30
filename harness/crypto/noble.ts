/**
 * The `noble` crypto backend: pure JavaScript on the audited @noble libraries.
 *
 * Standards: X25519 (RFC 7748), Ed25519 (RFC 8032 §5.1, strict decoding, see `ed25519Verify`),
 * SHA-256 / SHA-512 (FIPS 180-4), HMAC-SHA256 (RFC 2104, RFC 4231), HKDF-SHA256 (RFC 5869),
 * AES-256-GCM (NIST SP 800-38D), ChaCha20-Poly1305 (RFC 8439), AES-256-CBC (NIST SP 800-38A)
 * with PKCS#7 padding (RFC 5652 §6.3), ML-KEM-768 (FIPS 203, ./ml-kem.ts).
 *
 * The input checks and failures are `./checked.ts`'s, shared with every backend.
 */

import { cbc, gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';

import { checkedBackend } from './checked.ts';
import type { BackendPrimitives } from './checked.ts';
import { mlKem768 } from './ml-kem.ts';

const noblePrimitives: BackendPrimitives = {
  // noble rejects the low-order inputs before the ladder: exactly the inputs whose result
  // would be all zero (RFC 7748 §6.1).
  x25519PublicKey: (privateKey) => x25519.getPublicKey(privateKey),
  x25519: (privateKey, publicKey) => x25519.getSharedSecret(privateKey, publicKey),

  ed25519PublicKey: (seed) => ed25519.getPublicKey(seed),
  ed25519Sign: (seed, message) => ed25519.sign(message, seed),

  ed25519Verify(publicKey, message, signature) {
    // Strict RFC 8032 decoding of A and R, S < L, cofactored equation.
    if (!ed25519.verify(signature, message, publicKey, { zip215: false })) return false;
    // With A torsion-free, a torsion-free R makes the cofactored equation the exact one.
    try {
      return ed25519.Point.fromBytes(signature.subarray(0, 32), false).isTorsionFree();
    } catch {
      return false;
    }
  },

  sha256: (data) => sha256(data),
  sha512: (data) => sha512(data),
  hmacSha256: (key, data) => hmac(sha256, key, data),
  hkdfSha256: (ikm, salt, info, length) => hkdf(sha256, ikm, salt, info, length),

  aes256GcmEncrypt: (key, nonce, plaintext, aad) => gcm(key, nonce, aad).encrypt(plaintext),
  aes256GcmDecrypt: (key, nonce, ciphertext, aad) => gcm(key, nonce, aad).decrypt(ciphertext),
  chacha20Poly1305Encrypt: (key, nonce, plaintext, aad) => chacha20poly1305(key, nonce, aad).encrypt(plaintext),
  chacha20Poly1305Decrypt: (key, nonce, ciphertext, aad) => chacha20poly1305(key, nonce, aad).decrypt(ciphertext),

  aes256CbcEncrypt: (key, iv, plaintext) => cbc(key, iv).encrypt(plaintext),
  aes256CbcDecrypt(key, iv, ciphertext) {
    const plaintext = cbc(key, iv).decrypt(ciphertext);
    // noble returns a view that stops short of the padding; hand back an array of its own.
    return plaintext.byteLength === plaintext.buffer.byteLength ? plaintext : plaintext.slice();
  },

  ...mlKem768,
};

export const nobleBackend = checkedBackend('noble', noblePrimitives);
