/**
 * Ed25519 (RFC 8032) benchmarks: sign and verify a 64-byte message under a long-term key, as
 * a device signs its prekeys and device list with its identity key. node:crypto keeps the key
 * as a KeyObject made once (`node-raw`), @noble/curves takes the bytes (`noble-raw`); the
 * backends take bytes and do their own caching and, for verify, the strict key checks both
 * backends share (so `node` and `noble` accept exactly the same signatures).
 */
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import type { CryptoBackend } from '../harness/crypto/backend.ts';
import { caseFn, loadSodium, SODIUM, WEBCRYPTO, webcryptoEd25519 } from './references.ts';
import { filled, rawName, type BenchCase, type Check, type GroupPlan, type PlanContext } from './core.ts';

const MESSAGE_BYTES = 64;

interface Signer {
  sign(message: Uint8Array): Uint8Array | Promise<Uint8Array>;
  verify(message: Uint8Array, signature: Uint8Array): boolean | Promise<boolean>;
}

export function sigPlan(context: PlanContext): GroupPlan {
  const seed = filled(32, 21);
  const publicKey = ed25519.getPublicKey(seed);
  const messages = Array.from({ length: 4 }, (_, i) => filled(MESSAGE_BYTES, 22 + i));
  const message = messages[0]!;

  const impls: Record<string, Signer> = {};
  const fromBackend = (b: CryptoBackend): Signer => ({
    sign: (m) => b.ed25519Sign(seed, m),
    verify: (m, s) => b.ed25519Verify(publicKey, m, s),
  });
  for (const b of context.backends) {
    impls[b.name] = fromBackend(b);
    if (context.raw && b.name === 'node') {
      const privateKeyObject = createPrivateKey({
        key: { kty: 'OKP', crv: 'Ed25519', d: Buffer.from(seed).toString('base64url'), x: Buffer.from(publicKey).toString('base64url') },
        format: 'jwk',
      });
      const publicKeyObject = createPublicKey(privateKeyObject);
      impls[rawName('node')] = {
        sign: (m) => new Uint8Array(sign(null, m, privateKeyObject)),
        verify: (m, s) => verify(null, m, publicKeyObject, s),
      };
    }
    if (context.raw && b.name === 'noble') {
      impls[rawName('noble')] = { sign: (m) => ed25519.sign(m, seed), verify: (m, s) => ed25519.verify(s, m, publicKey) };
    }
    if (context.raw && b.name === 'node') {
      impls[WEBCRYPTO] = { sign: (m) => webcryptoEd25519.sign(seed, m), verify: (m, s) => webcryptoEd25519.verify(publicKey, m, s) };
    }
  }
  const sodium = context.raw ? loadSodium() : null;
  if (sodium) {
    const sodiumPublic = new Uint8Array(32);
    const sodiumSecret = new Uint8Array(64);
    sodium.crypto_sign_seed_keypair(sodiumPublic, sodiumSecret, seed);
    impls[SODIUM] = {
      sign(m) {
        const out = new Uint8Array(64);
        sodium.crypto_sign_detached(out, m, sodiumSecret);
        return out;
      },
      verify: (m, s) => sodium.crypto_sign_verify_detached(s, m, sodiumPublic),
    };
  }

  const checks: Check[] = [
    {
      id: 'ed25519 sign',
      impls: Object.fromEntries(Object.entries(impls).map(([name, s]) => [name, () => Promise.all(messages.map((m) => s.sign(m)))])),
    },
    {
      id: 'ed25519 verify',
      impls: Object.fromEntries(
        Object.entries(impls).map(([name, s]) => [
          name,
          async () => {
            // A valid signature (made by noble) verifies; one with a flipped bit, or over another message, does not.
            const good = ed25519.sign(message, seed);
            const bad = good.slice();
            bad[5]! ^= 4;
            return [await s.verify(message, good), await s.verify(message, bad), await s.verify(messages[1]!, good)];
          },
        ]),
      ),
      expected: [true, false, false],
    },
  ];
  const cases: BenchCase[] = [];
  const signature = ed25519.sign(message, seed);
  for (const [name, s] of Object.entries(impls)) {
    cases.push({ group: 'sig', task: `ed25519 sign ${MESSAGE_BYTES}B`, crypto: name, bytes: MESSAGE_BYTES, checks: ['ed25519 sign'], fn: caseFn(name, () => s.sign(message)) });
  }
  for (const [name, s] of Object.entries(impls)) {
    cases.push({
      group: 'sig',
      task: `ed25519 verify ${MESSAGE_BYTES}B`,
      crypto: name,
      bytes: MESSAGE_BYTES,
      checks: ['ed25519 verify'],
      fn:
        name === WEBCRYPTO
          ? async () => {
              if (!(await s.verify(message, signature))) throw new Error('a valid signature did not verify');
            }
          : () => {
              if (!s.verify(message, signature)) throw new Error('a valid signature did not verify');
            },
    });
  }
  return { group: 'sig', checks, cases, notes: [] };
}
