/**
 * Two more references beside node:crypto and @noble: WebCrypto (`crypto.subtle`, Node's own
 * implementation over OpenSSL, asynchronous by the standard) and libsodium (`sodium-native`,
 * prebuilt in its npm package). Each joins its group's checks, so its output is compared with
 * the other implementations' before anything is timed. sodium-native is loaded only by the bench
 * (it is a native module) and where it offers the primitive: it has no HMAC-SHA256 nor HKDF
 * (its `crypto_auth` is HMAC-SHA-512-256), and no AES-GCM on machines without AES-NI.
 */
import { webcrypto } from 'node:crypto';
import { createRequire } from 'node:module';

type CryptoKey = webcrypto.CryptoKey;

export const WEBCRYPTO = 'webcrypto';
export const SODIUM = 'sodium';

/** A timed function for an implementation: WebCrypto's calls resolve later, so its rows time the awaited call. */
export function caseFn(impl: string, call: () => unknown): () => unknown {
  return impl === WEBCRYPTO ? async () => await call() : call;
}

/** sodium-native's functions this bench calls. */
export interface Sodium {
  crypto_aead_chacha20poly1305_ietf_encrypt(c: Uint8Array, m: Uint8Array, ad: Uint8Array | null, nsec: null, npub: Uint8Array, k: Uint8Array): number;
  crypto_aead_chacha20poly1305_ietf_decrypt(m: Uint8Array, nsec: null, c: Uint8Array, ad: Uint8Array | null, npub: Uint8Array, k: Uint8Array): number;
  crypto_aead_xchacha20poly1305_ietf_encrypt(c: Uint8Array, m: Uint8Array, ad: Uint8Array | null, nsec: null, npub: Uint8Array, k: Uint8Array): number;
  crypto_aead_xchacha20poly1305_ietf_decrypt(m: Uint8Array, nsec: null, c: Uint8Array, ad: Uint8Array | null, npub: Uint8Array, k: Uint8Array): number;
  crypto_scalarmult_base(q: Uint8Array, n: Uint8Array): void;
  crypto_scalarmult(q: Uint8Array, n: Uint8Array, p: Uint8Array): void;
  crypto_sign_seed_keypair(pk: Uint8Array, sk: Uint8Array, seed: Uint8Array): void;
  crypto_sign_detached(sig: Uint8Array, m: Uint8Array, sk: Uint8Array): void;
  crypto_sign_verify_detached(sig: Uint8Array, m: Uint8Array, pk: Uint8Array): boolean;
}

let sodium: Sodium | null | undefined;

/** sodium-native, or null where it cannot be loaded (no prebuilt binary for this platform). */
export function loadSodium(): Sodium | null {
  if (sodium === undefined) {
    try {
      sodium = createRequire(import.meta.url)('sodium-native') as Sodium;
    } catch {
      sodium = null;
    }
  }
  return sodium;
}

const TAG = 16;

/** libsodium's IETF ChaCha20-Poly1305 or XChaCha20-Poly1305 (ciphertext || tag, no additional data). */
export function sodiumAead(s: Sodium, variant: 'chacha20' | 'xchacha20', key: Uint8Array, nonce: Uint8Array, ad: Uint8Array | null = null) {
  const seal = variant === 'chacha20' ? s.crypto_aead_chacha20poly1305_ietf_encrypt : s.crypto_aead_xchacha20poly1305_ietf_encrypt;
  const open = variant === 'chacha20' ? s.crypto_aead_chacha20poly1305_ietf_decrypt : s.crypto_aead_xchacha20poly1305_ietf_decrypt;
  return {
    encrypt(plaintext: Uint8Array): Uint8Array {
      const out = new Uint8Array(plaintext.length + TAG);
      seal(out, plaintext, ad, null, nonce, key);
      return out;
    },
    decrypt(ciphertext: Uint8Array): Uint8Array {
      if (ciphertext.length < TAG) throw new Error('ciphertext too short');
      const out = new Uint8Array(ciphertext.length - TAG);
      open(out, null, ciphertext, ad, nonce, key); // throws on a bad tag
      return out;
    },
  };
}

/** WebCrypto AES-256-GCM with one imported key (the import is set-up, not timed). */
export function webcryptoAesGcm(key: Uint8Array, nonce: Uint8Array) {
  let imported: Promise<CryptoKey> | null = null;
  const cryptoKey = () => (imported ??= crypto.subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt', 'decrypt']));
  return {
    async encrypt(plaintext: Uint8Array): Promise<Uint8Array> {
      return new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, tagLength: 128 }, await cryptoKey(), plaintext));
    },
    async decrypt(ciphertext: Uint8Array): Promise<Uint8Array> {
      return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: nonce, tagLength: 128 }, await cryptoKey(), ciphertext));
    },
  };
}

/** WebCrypto HMAC-SHA256 (the key imported on each call, as a caller with a fresh chain key does). */
export async function webcryptoHmac(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', k, data));
}

/** WebCrypto HKDF-SHA256 (RFC 5869), `length` bytes. */
export async function webcryptoHkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info }, k, length * 8));
}

/** PKCS #8 wrapping of a raw 32-byte X25519 or Ed25519 private key (RFC 8410 §7). */
function pkcs8(oid: number, raw: Uint8Array): Uint8Array {
  const prefix = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, oid, 0x04, 0x22, 0x04, 0x20]);
  const out = new Uint8Array(48);
  out.set(prefix);
  out.set(raw, 16);
  return out;
}

const X25519_OID = 0x6e;
const ED25519_OID = 0x70;

/** WebCrypto X25519: the private key imported from its raw bytes, the public key exported raw. */
export const webcryptoX25519 = {
  async publicKey(privateKey: Uint8Array): Promise<Uint8Array> {
    const k = await crypto.subtle.importKey('pkcs8', pkcs8(X25519_OID, privateKey), { name: 'X25519' }, true, ['deriveBits']);
    const jwk = await crypto.subtle.exportKey('jwk', k);
    return new Uint8Array(Buffer.from(jwk.x!, 'base64url'));
  },
  async shared(privateKey: Uint8Array, publicKey: Uint8Array): Promise<Uint8Array> {
    const k = await crypto.subtle.importKey('pkcs8', pkcs8(X25519_OID, privateKey), { name: 'X25519' }, false, ['deriveBits']);
    const p = await crypto.subtle.importKey('raw', publicKey, { name: 'X25519' }, false, []);
    return new Uint8Array(await crypto.subtle.deriveBits({ name: 'X25519', public: p }, k, 256));
  },
};

/** WebCrypto Ed25519 (RFC 8032) from a raw 32-byte private key. */
export const webcryptoEd25519 = {
  async sign(privateKey: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
    const k = await crypto.subtle.importKey('pkcs8', pkcs8(ED25519_OID, privateKey), { name: 'Ed25519' }, false, ['sign']);
    return new Uint8Array(await crypto.subtle.sign('Ed25519', k, message));
  },
  async verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
    const k = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
    return crypto.subtle.verify('Ed25519', k, signature, message);
  },
};
