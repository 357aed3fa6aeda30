/**
 * The `node` crypto backend: node:crypto, that is OpenSSL, for everything Node 20 has.
 *
 * Standards: X25519 (RFC 7748), Ed25519 (RFC 8032 §5.1), SHA-256 / SHA-512 (FIPS 180-4),
 * HMAC-SHA256 (RFC 2104, RFC 4231), HKDF-SHA256 (RFC 5869), AES-256-GCM (NIST SP 800-38D),
 * ChaCha20-Poly1305 (RFC 8439), AES-256-CBC (NIST SP 800-38A) with PKCS#7 padding
 * (RFC 5652 §6.3), ML-KEM-768 (FIPS 203, through @noble/post-quantum: Node 20 has none).
 *
 * Byte-identical to the `noble` backend, including which inputs fail and how: the input checks,
 * the Ed25519 public-key rule and ML-KEM come from ./noble.ts.
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
import { abytes, CryptoError, type CryptoBackend } from './backend.ts';
import {
  checkAeadCiphertext,
  checkCbcCiphertext,
  ed25519PublicKeyAcceptable,
  hkdfLength,
  isAllZero,
  lowOrderError,
  mlKem768Decapsulate,
  mlKem768Encapsulate,
  mlKem768Keygen,
  nobleBackend,
  optionalBytes,
  TAG_LENGTH,
} from './noble.ts';

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

export const nodeBackend: CryptoBackend = {
  name: 'node',

  x25519PublicKey(privateKey) {
    abytes(privateKey, 32, 'x25519PublicKey.privateKey');
    return publicKeyOf('X25519', privateKey);
  },

  x25519(privateKey, publicKey) {
    abytes(privateKey, 32, 'x25519.privateKey');
    abytes(publicKey, 32, 'x25519.publicKey');
    let shared: Uint8Array;
    try {
      // OpenSSL refuses an all-zero result (RFC 7748 §6.1) with a derivation error.
      shared = diffieHellman({
        privateKey: privateEntry('X25519', privateKey).key,
        publicKey: publicKeyObject('X25519', publicKey),
      });
    } catch {
      throw lowOrderError();
    }
    if (isAllZero(shared)) throw lowOrderError();
    return plain(shared);
  },

  ed25519PublicKey(seed) {
    abytes(seed, 32, 'ed25519PublicKey.seed');
    return publicKeyOf('Ed25519', seed);
  },

  ed25519Sign(seed, message) {
    abytes(seed, 32, 'ed25519Sign.seed');
    abytes(message, undefined, 'ed25519Sign.message');
    return plain(nodeSign(null, message, privateEntry('Ed25519', seed).key));
  },

  ed25519Verify(publicKey, message, signature) {
    abytes(publicKey, 32, 'ed25519Verify.publicKey');
    abytes(message, undefined, 'ed25519Verify.message');
    abytes(signature, 64, 'ed25519Verify.signature');
    // OpenSSL checks S < L and [S]B - [k]A == R byte for byte (so R is canonical); the shared
    // key rule makes that the same verdict as noble's.
    if (!ed25519PublicKeyAcceptable(publicKey)) return false;
    try {
      return nodeVerify(null, message, publicKeyObject('Ed25519', publicKey), signature);
    } catch {
      return false;
    }
  },

  sha256(data) {
    abytes(data, undefined, 'sha256.data');
    return digest('sha256', data);
  },

  sha512(data) {
    abytes(data, undefined, 'sha512.data');
    return digest('sha512', data);
  },

  hmacSha256(key, data) {
    abytes(key, undefined, 'hmacSha256.key');
    abytes(data, undefined, 'hmacSha256.data');
    return plain(createHmac('sha256', key).update(data).digest());
  },

  hkdfSha256(ikm, salt, info, length) {
    abytes(ikm, undefined, 'hkdfSha256.ikm');
    abytes(salt, undefined, 'hkdfSha256.salt');
    abytes(info, undefined, 'hkdfSha256.info');
    hkdfLength(length, 'hkdfSha256.length');
    if (info.length > NODE_HKDF_MAX_INFO) return nobleBackend.hkdfSha256(ikm, salt, info, length);
    // hkdfSync returns an ArrayBuffer, not a Buffer.
    return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length));
  },

  aes256GcmEncrypt(key, nonce, plaintext, aad) {
    abytes(key, 32, 'aes256GcmEncrypt.key');
    abytes(nonce, 12, 'aes256GcmEncrypt.nonce');
    abytes(plaintext, undefined, 'aes256GcmEncrypt.plaintext');
    optionalBytes(aad, 'aes256GcmEncrypt.aad');
    const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH });
    if (aad !== undefined) cipher.setAAD(aad);
    const body = cipher.update(plaintext);
    const tail = cipher.final();
    return concat(body, tail, cipher.getAuthTag());
  },

  aes256GcmDecrypt(key, nonce, ciphertext, aad) {
    abytes(key, 32, 'aes256GcmDecrypt.key');
    abytes(nonce, 12, 'aes256GcmDecrypt.nonce');
    abytes(ciphertext, undefined, 'aes256GcmDecrypt.ciphertext');
    optionalBytes(aad, 'aes256GcmDecrypt.aad');
    checkAeadCiphertext(ciphertext, 'aes256GcmDecrypt');
    const split = ciphertext.length - TAG_LENGTH;
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH });
    decipher.setAuthTag(ciphertext.subarray(split));
    if (aad !== undefined) decipher.setAAD(aad);
    const body = decipher.update(ciphertext.subarray(0, split));
    let tail: Uint8Array;
    try {
      tail = decipher.final();
    } catch {
      throw new CryptoError('auth-failed', 'aes256GcmDecrypt: authentication failed');
    }
    return tail.length === 0 ? plain(body) : concat(body, tail);
  },

  chacha20Poly1305Encrypt(key, nonce, plaintext, aad) {
    abytes(key, 32, 'chacha20Poly1305Encrypt.key');
    abytes(nonce, 12, 'chacha20Poly1305Encrypt.nonce');
    abytes(plaintext, undefined, 'chacha20Poly1305Encrypt.plaintext');
    optionalBytes(aad, 'chacha20Poly1305Encrypt.aad');
    const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_LENGTH });
    if (aad !== undefined) cipher.setAAD(aad, { plaintextLength: plaintext.length });
    const body = cipher.update(plaintext);
    const tail = cipher.final();
    return concat(body, tail, cipher.getAuthTag());
  },

  chacha20Poly1305Decrypt(key, nonce, ciphertext, aad) {
    abytes(key, 32, 'chacha20Poly1305Decrypt.key');
    abytes(nonce, 12, 'chacha20Poly1305Decrypt.nonce');
    abytes(ciphertext, undefined, 'chacha20Poly1305Decrypt.ciphertext');
    optionalBytes(aad, 'chacha20Poly1305Decrypt.aad');
    checkAeadCiphertext(ciphertext, 'chacha20Poly1305Decrypt');
    const split = ciphertext.length - TAG_LENGTH;
    const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_LENGTH });
    decipher.setAuthTag(ciphertext.subarray(split));
    if (aad !== undefined) decipher.setAAD(aad, { plaintextLength: split });
    const body = decipher.update(ciphertext.subarray(0, split));
    let tail: Uint8Array;
    try {
      tail = decipher.final();
    } catch {
      throw new CryptoError('auth-failed', 'chacha20Poly1305Decrypt: authentication failed');
    }
    return tail.length === 0 ? plain(body) : concat(body, tail);
  },

  aes256CbcEncrypt(key, iv, plaintext) {
    abytes(key, 32, 'aes256CbcEncrypt.key');
    abytes(iv, 16, 'aes256CbcEncrypt.iv');
    abytes(plaintext, undefined, 'aes256CbcEncrypt.plaintext');
    const cipher = createCipheriv('aes-256-cbc', key, iv);
    const body = cipher.update(plaintext);
    return concat(body, cipher.final());
  },

  aes256CbcDecrypt(key, iv, ciphertext) {
    abytes(key, 32, 'aes256CbcDecrypt.key');
    abytes(iv, 16, 'aes256CbcDecrypt.iv');
    abytes(ciphertext, undefined, 'aes256CbcDecrypt.ciphertext');
    checkCbcCiphertext(ciphertext, 'aes256CbcDecrypt');
    const decipher = createDecipheriv('aes-256-cbc', key, iv);
    const body = decipher.update(ciphertext);
    let tail: Uint8Array;
    try {
      tail = decipher.final();
    } catch {
      throw new CryptoError('bad-padding', 'aes256CbcDecrypt: invalid PKCS#7 padding');
    }
    return concat(body, tail);
  },

  mlKem768Keygen,
  mlKem768Encapsulate,
  mlKem768Decapsulate,
};
