/**
 * AEAD benchmarks: AES-256-GCM (NIST SP 800-38D), ChaCha20-Poly1305 (RFC 8439),
 * XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03) and AES-256-CBC + HMAC-SHA256
 * (encrypt-then-MAC, the message cipher of Signal's Double Ratchet §5.2), at 64 B, 1 KiB,
 * 16 KiB and 1 MiB, encrypt and decrypt. Each on every backend and beside it the raw library
 * call (`node-raw`: node:crypto, `noble-raw`: @noble/ciphers) so the backend's overhead shows.
 *
 * XChaCha20-Poly1305 is @noble/ciphers only: node:crypto (OpenSSL) has no XChaCha20 and the
 * CryptoBackend interface has none either, so it has `noble-raw` rows only, checked against
 * the draft's known-answer vector (§A.3.1).
 */
import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { cbc, gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305, xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { CryptoBackend } from '../harness/crypto/backend.ts';
import { concatBytes, equalBytes } from '../targets/shared/codec.ts';
import { caseFn, loadSodium, SODIUM, sodiumAead, WEBCRYPTO, webcryptoAesGcm } from './references.ts';
import { filled, rawName, SIZES, type BenchCase, type Check, type GroupPlan, type PlanContext } from './core.ts';

/** One AEAD as a pair of functions: `encrypt(pt)` and `decrypt(ct)` with fixed key and nonce. */
interface Aead {
  encrypt(plaintext: Uint8Array): Uint8Array | Promise<Uint8Array>;
  decrypt(ciphertext: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

interface Algorithm {
  name: string;
  /** The implementations by crypto name, for the key material below. */
  impls(context: PlanContext): Record<string, Aead>;
  /** A known answer for the check, when only one implementation exists. */
  vector?: { key: Uint8Array; nonce: Uint8Array; aad: Uint8Array; plaintext: Uint8Array; ciphertext: Uint8Array };
}

const KEY = filled(32, 11);
const MAC_KEY = filled(32, 12);
const NONCE = filled(12, 13);
const XNONCE = filled(24, 14);
const IV = filled(16, 15);
const TAG = 16;
const MAC = 32;

/** node:crypto's AEAD call sequence, nothing else (the `node-raw` rows). */
function nodeRawAead(cipher: 'aes-256-gcm' | 'chacha20-poly1305'): Aead {
  return {
    // (Both branches make the same call: node's typings have one overload per cipher family,
    // and a union of the two names matches none of them.)
    encrypt(plaintext) {
      const c = cipher === 'aes-256-gcm' ? createCipheriv(cipher, KEY, NONCE, { authTagLength: TAG }) : createCipheriv(cipher, KEY, NONCE, { authTagLength: TAG });
      return concatBytes(c.update(plaintext), c.final(), c.getAuthTag());
    },
    decrypt(ciphertext) {
      const split = ciphertext.length - TAG;
      const d = cipher === 'aes-256-gcm' ? createDecipheriv(cipher, KEY, NONCE, { authTagLength: TAG }) : createDecipheriv(cipher, KEY, NONCE, { authTagLength: TAG });
      d.setAuthTag(ciphertext.subarray(split));
      return concatBytes(d.update(ciphertext.subarray(0, split)), d.final());
    },
  };
}

function backendCbcHmac(b: CryptoBackend): Aead {
  return {
    encrypt(plaintext) {
      const ct = b.aes256CbcEncrypt(KEY, IV, plaintext);
      return concatBytes(ct, b.hmacSha256(MAC_KEY, ct));
    },
    decrypt(sealed) {
      const ct = sealed.subarray(0, sealed.length - MAC);
      if (!equalBytes(b.hmacSha256(MAC_KEY, ct), sealed.subarray(sealed.length - MAC))) throw new Error('bad MAC');
      return b.aes256CbcDecrypt(KEY, IV, ct);
    },
  };
}

const ALGORITHMS: readonly Algorithm[] = [
  {
    name: 'aes-256-gcm',
    impls: ({ backends, raw }) => {
      const out: Record<string, Aead> = {};
      for (const b of backends) {
        out[b.name] = { encrypt: (pt) => b.aes256GcmEncrypt(KEY, NONCE, pt), decrypt: (ct) => b.aes256GcmDecrypt(KEY, NONCE, ct) };
        if (raw && b.name === 'node') out[rawName('node')] = nodeRawAead('aes-256-gcm');
        if (raw && b.name === 'noble') out[rawName('noble')] = { encrypt: (pt) => gcm(KEY, NONCE).encrypt(pt), decrypt: (ct) => gcm(KEY, NONCE).decrypt(ct) };
        if (raw && b.name === 'node') out[WEBCRYPTO] = webcryptoAesGcm(KEY, NONCE);
      }
      return out;
    },
  },
  {
    name: 'chacha20-poly1305',
    impls: ({ backends, raw }) => {
      const out: Record<string, Aead> = {};
      for (const b of backends) {
        out[b.name] = { encrypt: (pt) => b.chacha20Poly1305Encrypt(KEY, NONCE, pt), decrypt: (ct) => b.chacha20Poly1305Decrypt(KEY, NONCE, ct) };
        if (raw && b.name === 'node') out[rawName('node')] = nodeRawAead('chacha20-poly1305');
        if (raw && b.name === 'noble') {
          out[rawName('noble')] = { encrypt: (pt) => chacha20poly1305(KEY, NONCE).encrypt(pt), decrypt: (ct) => chacha20poly1305(KEY, NONCE).decrypt(ct) };
        }
      }
      const sodium = raw ? loadSodium() : null;
      if (sodium) out[SODIUM] = sodiumAead(sodium, 'chacha20', KEY, NONCE);
      return out;
    },
  },
  {
    name: 'xchacha20-poly1305',
    impls: ({ backends, raw }) => {
      // @noble/ciphers (whenever noble is among the measured backends) and libsodium.
      const out: Record<string, Aead> = {};
      if (backends.some((b) => b.name === 'noble')) {
        out[rawName('noble')] = { encrypt: (pt) => xchacha20poly1305(KEY, XNONCE).encrypt(pt), decrypt: (ct) => xchacha20poly1305(KEY, XNONCE).decrypt(ct) };
      }
      const sodium = raw ? loadSodium() : null;
      if (sodium) out[SODIUM] = sodiumAead(sodium, 'xchacha20', KEY, XNONCE);
      return out;
    },
    vector: {
      key: hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f'),
      nonce: hex('404142434445464748494a4b4c4d4e4f5051525354555657'),
      aad: hex('50515253c0c1c2c3c4c5c6c7'),
      plaintext: new TextEncoder().encode(
        "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
      ),
      ciphertext: hex(
        'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb' +
          '96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e' +
          'c0875924c1c7987947deafd8780acf49',
      ),
    },
  },
  {
    name: 'aes-256-cbc+hmac-sha256',
    impls: ({ backends, raw }) => {
      const out: Record<string, Aead> = {};
      for (const b of backends) {
        out[b.name] = backendCbcHmac(b);
        if (raw && b.name === 'node') {
          out[rawName('node')] = {
            encrypt(pt) {
              const c = createCipheriv('aes-256-cbc', KEY, IV);
              const ct = concatBytes(c.update(pt), c.final());
              return concatBytes(ct, createHmac('sha256', MAC_KEY).update(ct).digest());
            },
            decrypt(sealed) {
              const ct = sealed.subarray(0, sealed.length - MAC);
              if (!timingSafeEqual(createHmac('sha256', MAC_KEY).update(ct).digest(), sealed.subarray(sealed.length - MAC))) throw new Error('bad MAC');
              const d = createDecipheriv('aes-256-cbc', KEY, IV);
              return concatBytes(d.update(ct), d.final());
            },
          };
        }
        if (raw && b.name === 'noble') {
          out[rawName('noble')] = {
            encrypt(pt) {
              const ct = cbc(KEY, IV).encrypt(pt);
              return concatBytes(ct, hmac(sha256, MAC_KEY, ct));
            },
            decrypt(sealed) {
              const ct = sealed.subarray(0, sealed.length - MAC);
              if (!equalBytes(hmac(sha256, MAC_KEY, ct), sealed.subarray(sealed.length - MAC))) throw new Error('bad MAC');
              return cbc(KEY, IV).decrypt(ct);
            },
          };
        }
      }
      return out;
    },
  },
];

function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'hex'));
}

function tampered(bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice();
  copy[copy.length - 1]! ^= 1;
  return copy;
}

/** The check's output for one implementation: its ciphertext, its round trip, and whether it rejects a flipped bit. */
async function aeadCheck(aead: Aead, plaintext: Uint8Array): Promise<unknown> {
  const ciphertext = await aead.encrypt(plaintext);
  let rejects: boolean;
  try {
    await aead.decrypt(tampered(ciphertext));
    rejects = false;
  } catch {
    rejects = true;
  }
  return { ciphertext, roundTrip: await aead.decrypt(ciphertext), rejects };
}

export function aeadPlan(context: PlanContext): GroupPlan {
  const checks: Check[] = [];
  const cases: BenchCase[] = [];
  const notes = ['xchacha20-poly1305: @noble/ciphers and libsodium; node:crypto (OpenSSL) and WebCrypto have none, so there are no node rows', 'webcrypto: crypto.subtle, awaited per call; sodium: sodium-native (libsodium)'];
  const implsByAlgorithm = ALGORITHMS.map((algorithm) => ({ algorithm, impls: algorithm.impls(context) }));

  // Known-answer check for single-implementation algorithms (XChaCha20-Poly1305).
  for (const { algorithm, impls } of implsByAlgorithm) {
    const vector = algorithm.vector;
    if (!vector || Object.keys(impls).length === 0) continue;
    checks.push({
      id: `${algorithm.name} known answer`,
      impls: Object.fromEntries(
        Object.keys(impls).map((name) => {
          const sodium = name === SODIUM ? loadSodium() : null;
          return [name, sodium ? () => sodiumAead(sodium, 'xchacha20', vector.key, vector.nonce, vector.aad).encrypt(vector.plaintext) : () => xchacha20poly1305(vector.key, vector.nonce, vector.aad).encrypt(vector.plaintext)];
        }),
      ),
      expected: vector.ciphertext,
    });
  }

  for (const size of SIZES) {
    const plaintext = filled(size.bytes, size.bytes);
    for (const { algorithm, impls } of implsByAlgorithm) {
      if (Object.keys(impls).length === 0) continue;
      const checkId = `${algorithm.name} ${size.label}`;
      const extraChecks = algorithm.vector ? [`${algorithm.name} known answer`] : [];
      checks.push({
        id: checkId,
        impls: Object.fromEntries(Object.entries(impls).map(([name, aead]) => [name, () => aeadCheck(aead, plaintext)])),
        sane: (output) => {
          const { roundTrip, rejects } = output as { roundTrip: Uint8Array; rejects: boolean };
          if (!rejects) return 'accepted a ciphertext with a flipped bit';
          return Buffer.from(roundTrip).equals(plaintext) ? null : 'decrypt(encrypt(p)) is not p';
        },
      });
      for (const op of ['encrypt', 'decrypt'] as const) {
        for (const [name, aead] of Object.entries(impls)) {
          let ciphertext: Uint8Array | null = null;
          const sealed = async () => (ciphertext ??= await aead.encrypt(plaintext));
          cases.push({
            group: 'aead',
            task: `${algorithm.name} ${op} ${size.label}`,
            crypto: name,
            bytes: size.bytes,
            checks: [checkId, ...extraChecks],
            ...(op === 'decrypt' ? { prepare: async () => void (await sealed()) } : {}),
            fn: caseFn(name, op === 'encrypt' ? () => aead.encrypt(plaintext) : () => aead.decrypt(ciphertext!)),
          });
        }
      }
    }
  }
  return { group: 'aead', checks, cases, notes };
}
