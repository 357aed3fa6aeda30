/**
 * The `node` crypto backend: node:crypto, that is OpenSSL, for everything Node 20 has.
 *
 * Standards: X25519 (RFC 7748), Ed25519 (RFC 8032 §5.1), SHA-256 / SHA-512 (FIPS 180-4),
 * HMAC-SHA256 (RFC 2104, RFC 4231), HKDF-SHA256 (RFC 5869), AES-256-GCM (NIST SP 800-38D),
 * ChaCha20-Poly1305 (RFC 8439), AES-256-CBC (NIST SP 800-38A) with PKCS#7 padding
 * (RFC 5652 §6.3), ML-KEM-768 (FIPS 203, through @noble/post-quantum: Node 20 has none).
 *
 * Byte-identical to the `noble` backend, including which inputs fail and how: the input checks,
 * the Ed25519 public-key rule and the failures are `./checked.ts`'s, ML-KEM is `./ml-kem.ts`.
 *
 * Speed: raw X25519/Ed25519 keys become KeyObjects through JWK (DER import costs far more), and
 * KeyObjects are cached: private keys in a WeakMap keyed by the caller's Uint8Array (checked
 * against a copy of its bytes on every hit, so mutating the array in place is safe), public keys
 * in small bounded maps keyed by their bytes. Importing an X25519/Ed25519 private key makes
 * OpenSSL derive its public key, so the public key is read back from the KeyObject (JWK export)
 * rather than computed again.
 */

import * as nodeCrypto from 'node:crypto';
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';

import { checkedBackend, TAG_LENGTH } from './checked.ts';
import type { BackendPrimitives } from './checked.ts';
import { mlKem768 } from './ml-kem.ts';

type OkpCurve = 'X25519' | 'Ed25519';

// ---------------------------------------------------------------------------------------------
// Byte helpers
// ---------------------------------------------------------------------------------------------

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/**
 * A plain Uint8Array over the same bytes. Buffers that own their whole ArrayBuffer (what
 * OpenSSL hands back for digests, signatures and shared secrets) are wrapped without a copy;
 * slices of Node's shared pool are copied, so no result ever exposes unrelated memory.
 */
function plain(buf: Uint8Array): Uint8Array {
  return buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength
    ? new Uint8Array(buf.buffer, 0, buf.byteLength)
    : new Uint8Array(buf);
}

function concat(a: Uint8Array, b: Uint8Array, c?: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length + (c?.length ?? 0));
  out.set(a, 0);
  out.set(b, a.length);
  if (c !== undefined) out.set(c, a.length + b.length);
  return out;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// KeyObject caches
// ---------------------------------------------------------------------------------------------

interface PrivateEntry {
  /** A copy of the bytes the KeyObject was made from. */
  readonly bytes: Uint8Array;
  readonly key: KeyObject;
  publicKey?: Uint8Array;
}

const privateKeys: Record<OkpCurve, WeakMap<Uint8Array, PrivateEntry>> = {
  X25519: new WeakMap(),
  Ed25519: new WeakMap(),
};

function privateEntry(crv: OkpCurve, bytes: Uint8Array): PrivateEntry {
  const cache = privateKeys[crv];
  const hit = cache.get(bytes);
  if (hit !== undefined && equalBytes(hit.bytes, bytes)) return hit;
  // Node reads only `d` for an OKP private key; `x` must be present as a string.
  const key = createPrivateKey({ key: { kty: 'OKP', crv, d: base64url(bytes), x: '' }, format: 'jwk' });
  const entry: PrivateEntry = { bytes: bytes.slice(), key };
  cache.set(bytes, entry);
  return entry;
}

function publicKeyOf(crv: OkpCurve, privateKey: Uint8Array): Uint8Array {
  const entry = privateEntry(crv, privateKey);
  if (entry.publicKey === undefined) {
    const { x } = entry.key.export({ format: 'jwk' });
    entry.publicKey = plain(Buffer.from(x!, 'base64url'));
  }
  return entry.publicKey.slice();
}

const PUBLIC_KEY_CACHE_LIMIT = 512;

const publicKeys: Record<OkpCurve, Map<string, KeyObject>> = {
  X25519: new Map(),
  Ed25519: new Map(),
};

function publicKeyObject(crv: OkpCurve, bytes: Uint8Array): KeyObject {
  const cache = publicKeys[crv];
  const x = base64url(bytes);
  let key = cache.get(x);
  if (key === undefined) {
    key = createPublicKey({ key: { kty: 'OKP', crv, x }, format: 'jwk' });
    if (cache.size >= PUBLIC_KEY_CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(x, key);
  }
  return key;
}

// ---------------------------------------------------------------------------------------------
// Hashes
// ---------------------------------------------------------------------------------------------

// crypto.hash (one shot, no Hash object) arrived in Node 20.12; fall back to createHash before.
const oneShotHash = typeof nodeCrypto.hash === 'function' ? nodeCrypto.hash : undefined;

function digest(algorithm: 'sha256' | 'sha512', data: Uint8Array): Uint8Array {
  return plain(
    oneShotHash !== undefined ? oneShotHash(algorithm, data, 'buffer') : createHash(algorithm).update(data).digest(),
  );
}

/** OpenSSL's HKDF refuses more than 1024 bytes of info (a Node limit, not an RFC 5869 one). */
const NODE_HKDF_MAX_INFO = 1024;

// ---------------------------------------------------------------------------------------------
// The backend
// ---------------------------------------------------------------------------------------------

const nodePrimitives: BackendPrimitives = {
  x25519PublicKey: (privateKey) => publicKeyOf('X25519', privateKey),

  // OpenSSL refuses an all-zero result (RFC 7748 §6.1) with a derivation error.
  x25519: (privateKey, publicKey) =>
    plain(diffieHellman({ privateKey: privateEntry('X25519', privateKey).key, publicKey: publicKeyObject('X25519', publicKey) })),

  ed25519PublicKey: (seed) => publicKeyOf('Ed25519', seed),
  ed25519Sign: (seed, message) => plain(nodeSign(null, message, privateEntry('Ed25519', seed).key)),

  ed25519Verify(publicKey, message, signature) {
    // OpenSSL checks S < L and [S]B - [k]A == R byte for byte (so R is canonical); the shared
    // key rule makes that the same verdict as noble's.
    try {
      return nodeVerify(null, message, publicKeyObject('Ed25519', publicKey), signature);
    } catch {
      return false;
    }
  },

  sha256: (data) => digest('sha256', data),
  sha512: (data) => digest('sha512', data),
  hmacSha256: (key, data) => plain(createHmac('sha256', key).update(data).digest()),

  hkdfSha256(ikm, salt, info, length) {
    if (info.length > NODE_HKDF_MAX_INFO) return hkdf(sha256, ikm, salt, info, length);
    // hkdfSync returns an ArrayBuffer, not a Buffer.
    return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length));
  },

  aes256GcmEncrypt: (key, nonce, plaintext, aad) => seal('aes-256-gcm', key, nonce, plaintext, aad),
  aes256GcmDecrypt: (key, nonce, ciphertext, aad) => open('aes-256-gcm', key, nonce, ciphertext, aad),
  chacha20Poly1305Encrypt: (key, nonce, plaintext, aad) => seal('chacha20-poly1305', key, nonce, plaintext, aad),
  chacha20Poly1305Decrypt: (key, nonce, ciphertext, aad) => open('chacha20-poly1305', key, nonce, ciphertext, aad),

  aes256CbcEncrypt(key, iv, plaintext) {
    const cipher = createCipheriv('aes-256-cbc', key, iv);
    const body = cipher.update(plaintext);
    return concat(body, cipher.final());
  },

  aes256CbcDecrypt(key, iv, ciphertext) {
    const decipher = createDecipheriv('aes-256-cbc', key, iv);
    const body = decipher.update(ciphertext);
    return concat(body, decipher.final());
  },

  ...mlKem768,
};

// ---------------------------------------------------------------------------------------------
// AEADs: ciphertext || 16-byte tag
// ---------------------------------------------------------------------------------------------

type AeadCipher = 'aes-256-gcm' | 'chacha20-poly1305';

/** ChaCha20-Poly1305 in OpenSSL wants the plaintext length with the associated data. */
function setAad(cipher: { setAAD(aad: Uint8Array, options?: { plaintextLength: number }): unknown }, algorithm: AeadCipher, aad: Uint8Array | undefined, length: number): void {
  if (aad === undefined) return;
  if (algorithm === 'chacha20-poly1305') cipher.setAAD(aad, { plaintextLength: length });
  else cipher.setAAD(aad);
}

function seal(algorithm: AeadCipher, key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array | undefined): Uint8Array {
  // One call per cipher: node's types give each its own overload.
  const cipher =
    algorithm === 'aes-256-gcm'
      ? createCipheriv(algorithm, key, nonce, { authTagLength: TAG_LENGTH })
      : createCipheriv(algorithm, key, nonce, { authTagLength: TAG_LENGTH });
  setAad(cipher, algorithm, aad, plaintext.length);
  const body = cipher.update(plaintext);
  const tail = cipher.final();
  return concat(body, tail, cipher.getAuthTag());
}

/** Throws when the tag does not authenticate. */
function open(algorithm: AeadCipher, key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array | undefined): Uint8Array {
  const split = ciphertext.length - TAG_LENGTH;
  const decipher =
    algorithm === 'aes-256-gcm'
      ? createDecipheriv(algorithm, key, nonce, { authTagLength: TAG_LENGTH })
      : createDecipheriv(algorithm, key, nonce, { authTagLength: TAG_LENGTH });
  decipher.setAuthTag(ciphertext.subarray(split));
  setAad(decipher, algorithm, aad, split);
  const body = decipher.update(ciphertext.subarray(0, split));
  const tail = decipher.final();
  return tail.length === 0 ? plain(body) : concat(body, tail);
}

export const nodeBackend = checkedBackend('node', nodePrimitives);
