/**
 * The MLS cipher suite the `mls` target runs on, through ts-mls: X-Wing (X25519 + ML-KEM-768,
 * a hybrid post-quantum KEM), AES-256-GCM, HKDF-SHA512, Ed25519 (RFC 9420 + the X-Wing draft,
 * suite 0x0053). ts-mls takes a cipher suite implementation object; each client gets one whose
 * random source (`rng`: path secrets, epoch secrets, reuse guards, init secrets), HPKE key
 * generation (`deriveKeyPair` from seeded bytes) and signature key generation draw on the
 * run's seeded `Rng`. ts-mls's own KEM (X-Wing from `@hpke/hybridkem-x-wing`) does the HPKE.
 *
 * So is HPKE encapsulation (`seal`, `exportSecret`: RFC 9180 §5.1.1 SetupBaseS, Commit path
 * secrets and Welcome secrets): ts-mls's own would draw the X25519 ephemeral and ML-KEM's
 * encapsulation coins from the system, so the same HPKE suite (`@hpke/core`, X-Wing) is set
 * up here with its 64 bytes of encapsulation randomness (`ekm`: ML-KEM coins, then the
 * X25519 ephemeral; the X-Wing draft's derandomised encapsulation) drawn from `rng`. The
 * same seed gives the same bytes.
 */
import { Aes256Gcm, CipherSuite, HkdfSha512 } from '@hpke/core';
import { getCiphersuiteFromName, getCiphersuiteImpl, type Capabilities, type CiphersuiteImpl, type CiphersuiteName } from 'ts-mls';
import { createCipheriv, createDecipheriv, createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { CryptoError, type CryptoBackend } from '../../harness/crypto/backend.ts';
import type { Rng } from '../../harness/rng.ts';

export const CIPHERSUITE: CiphersuiteName = 'MLS_256_XWING_AES256GCM_SHA512_Ed25519';

/** Capabilities without GREASE values (ts-mls's defaults draw them with Math.random). */
export const CAPABILITIES: Capabilities = {
  versions: ['mls10'],
  ciphersuites: [CIPHERSUITE],
  extensions: [],
  proposals: [],
  credentials: ['basic'],
};

let base: Promise<CiphersuiteImpl> | null = null;

/** Bytes of randomness one X-Wing encapsulation takes (X-Wing draft §5.3: 32 for ML-KEM-768, 32 for the X25519 ephemeral). */
const X_WING_ENCAPSULATION_RANDOMNESS = 64;

/** The suite's HPKE (RFC 9180): X-Wing, HKDF-SHA512, AES-256-GCM, as ts-mls's own is made. */
const HPKE = (async () => {
  const { XWing } = await import('@hpke/hybridkem-x-wing');
  return new CipherSuite({ kem: new XWing(), kdf: new HkdfSha512(), aead: new Aes256Gcm() });
})();

/** The bytes as an ArrayBuffer of their own, as `@hpke/core` takes them. */
function buffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer;
}

/** The suite with every random choice ts-mls lets a caller make drawn from `rng`. */
export async function seededSuite(rng: Rng, crypto: CryptoBackend): Promise<CiphersuiteImpl> {
  base ??= getCiphersuiteImpl(getCiphersuiteFromName(CIPHERSUITE));
  const impl = await base;
  return {
    ...impl,
    hash: HASH,
    kdf: KDF,
    rng: { randomBytes: (n: number) => rng.bytes(n) },
    hpke: {
      ...impl.hpke,
      generateKeyPair: () => impl.hpke.deriveKeyPair(rng.bytes(32)),
      seal: async (publicKey, plaintext, info, aad) => {
        const sealed = await (await HPKE).seal({ recipientPublicKey: publicKey, info: buffer(info), ekm: buffer(rng.bytes(X_WING_ENCAPSULATION_RANDOMNESS)) }, buffer(plaintext), buffer(aad ?? new Uint8Array()));
        return { ct: new Uint8Array(sealed.ct), enc: new Uint8Array(sealed.enc) };
      },
      exportSecret: async (publicKey, exporterContext, length, info) => {
        const context = await (await HPKE).createSenderContext({ recipientPublicKey: publicKey, info: buffer(info), ekm: buffer(rng.bytes(X_WING_ENCAPSULATION_RANDOMNESS)) });
        return { enc: new Uint8Array(context.enc), secret: new Uint8Array(await context.export(buffer(exporterContext), length)) };
      },
      encryptAead,
      decryptAead,
    },
    signature: {
      // Ed25519 (RFC 8032, deterministic) through the harness backend: the same bytes on node and noble.
      sign: async (signKey: Uint8Array, message: Uint8Array) => crypto.ed25519Sign(signKey, message),
      verify: async (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) =>
        publicKey.length === 32 && signature.length === 64 && crypto.ed25519Verify(publicKey, message, signature),
      keygen: async () => {
        const signKey = rng.bytes(32);
        return { signKey, publicKey: crypto.ed25519PublicKey(signKey) };
      },
    },
  };
}

/*
 * SHA-512, HMAC, HKDF and AES-256-GCM as ts-mls's suite needs them, computed synchronously
 * with node:crypto (ts-mls's default goes through WebCrypto, one thread-pool round trip per
 * call; an MLS epoch change makes hundreds of them). Same functions, same bytes.
 */
const sha512 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash('sha512').update(data).digest());
const hmacSha512 = (key: Uint8Array, data: Uint8Array): Uint8Array => new Uint8Array(createHmac('sha512', key).update(data).digest());

const HASH: CiphersuiteImpl['hash'] = {
  digest: async (data) => sha512(data),
  mac: async (key, data) => hmacSha512(key, data),
  verifyMac: async (key, mac, data) => {
    const expected = hmacSha512(key, data);
    return mac.length === expected.length && timingSafeEqual(mac, expected);
  },
};

/** HKDF-SHA512 (RFC 5869), extract and expand separately as MLS uses them. */
const KDF: CiphersuiteImpl['kdf'] = {
  extract: async (salt, ikm) => hmacSha512(salt.length > 0 ? salt : new Uint8Array(64), ikm),
  expand: async (prk, info, length) => {
    const out = new Uint8Array(length);
    let block = new Uint8Array(0);
    for (let offset = 0, counter = 1; offset < length; counter++) {
      block = createHmac('sha512', prk).update(block).update(info).update(new Uint8Array([counter])).digest();
      out.set(block.subarray(0, Math.min(block.length, length - offset)), offset);
      offset += block.length;
    }
    return out;
  },
  size: 64,
};

async function encryptAead(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array | undefined, plaintext: Uint8Array): Promise<Uint8Array> {
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  if (aad && aad.length > 0) cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return new Uint8Array(body.buffer, body.byteOffset, body.length);
}

/** A ciphertext that does not authenticate throws the harness's `CryptoError` `auth-failed` (with OpenSSL's message). */
async function decryptAead(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array | undefined, ciphertext: Uint8Array): Promise<Uint8Array> {
  if (ciphertext.length < 16) throw new CryptoError('auth-failed', 'AEAD ciphertext too short');
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  if (aad && aad.length > 0) decipher.setAAD(aad);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const body = decipher.update(ciphertext.subarray(0, ciphertext.length - 16));
  let tail: Buffer;
  try {
    tail = decipher.final();
  } catch (error) {
    throw new CryptoError('auth-failed', (error as Error).message);
  }
  const plaintext = Buffer.concat([body, tail]);
  return new Uint8Array(plaintext.buffer, plaintext.byteOffset, plaintext.length);
}
