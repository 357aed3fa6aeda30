/**
 * X25519 (RFC 7748) benchmarks, keyed as a Double Ratchet step uses them:
 * - `x25519 keygen`: the public key of a private key never seen before (a fresh array each call).
 * - `x25519 shared secret`: a private key whose key pair was made earlier (so its public key
 *   was computed and sent) with a peer public key not seen recently (the public keys cycle
 *   through more keys than any backend cache holds). `node-raw` keeps the private keys as
 *   KeyObjects made once, as an application using node:crypto would, and imports the peer's
 *   key on each call; noble takes bytes.
 */
import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import type { CryptoBackend } from '../harness/crypto/backend.ts';
import { caseFn, loadSodium, SODIUM, WEBCRYPTO, webcryptoX25519, type Sodium } from './references.ts';
import { filled, rawName, type BenchCase, type Check, type GroupPlan, type PlanContext } from './core.ts';

/** More keys than the node backend's public-key cache (512) holds, so peer keys are always new to it. */
const POOL = 640;

interface Dh {
  publicKey(privateKey: Uint8Array): Uint8Array | Promise<Uint8Array>;
  shared(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** The key pair of `privateKey` is made (before it is used for a shared secret). */
  prime(privateKey: Uint8Array): void;
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

function importPrivate(privateKey: Uint8Array): KeyObject {
  return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64url(privateKey), x: '' }, format: 'jwk' });
}

/** node:crypto: JWK import of raw bytes, then the OpenSSL call; private keys made into KeyObjects once. */
function nodeRaw(): Dh {
  const keyObjects = new Map<Uint8Array, KeyObject>();
  return {
    publicKey(privateKey) {
      return new Uint8Array(Buffer.from(createPublicKey(importPrivate(privateKey)).export({ format: 'jwk' }).x!, 'base64url'));
    },
    shared(privateKey, publicKey) {
      let key = keyObjects.get(privateKey);
      if (!key) keyObjects.set(privateKey, (key = importPrivate(privateKey)));
      return new Uint8Array(diffieHellman({ privateKey: key, publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64url(publicKey) }, format: 'jwk' }) }));
    },
    prime(privateKey) {
      keyObjects.set(privateKey, importPrivate(privateKey));
    },
  };
}

/** libsodium's crypto_scalarmult (X25519, RFC 7748). */
function sodiumDh(s: Sodium): Dh {
  return {
    publicKey(privateKey) {
      const out = new Uint8Array(32);
      s.crypto_scalarmult_base(out, privateKey);
      return out;
    },
    shared(privateKey, publicKey) {
      const out = new Uint8Array(32);
      s.crypto_scalarmult(out, privateKey, publicKey);
      return out;
    },
    prime: () => {},
  };
}

const nobleRaw: Dh = {
  publicKey: (privateKey) => x25519.getPublicKey(privateKey),
  shared: (privateKey, publicKey) => x25519.getSharedSecret(privateKey, publicKey),
  prime: () => {},
};

function fromBackend(b: CryptoBackend): Dh {
  return { publicKey: (k) => b.x25519PublicKey(k), shared: (k, p) => b.x25519(k, p), prime: (k) => void b.x25519PublicKey(k) };
}

export function dhImpls(context: PlanContext): Record<string, Dh> {
  const out: Record<string, Dh> = {};
  for (const b of context.backends) {
    out[b.name] = fromBackend(b);
    if (context.raw && b.name === 'node') out[rawName('node')] = nodeRaw();
    if (context.raw && b.name === 'noble') out[rawName('noble')] = nobleRaw;
    if (context.raw && b.name === 'node') out[WEBCRYPTO] = { ...webcryptoX25519, prime: () => {} };
  }
  const sodium = context.raw ? loadSodium() : null;
  if (sodium) out[SODIUM] = sodiumDh(sodium);
  return out;
}

export function dhPlan(context: PlanContext): GroupPlan {
  const privateKeys = Array.from({ length: POOL }, (_, i) => filled(32, 1000 + i));
  // Peer public keys, made on first use (a plan is built even when a filter skips it).
  let peers: Uint8Array[] | null = null;
  const publicKeys = (): Uint8Array[] => (peers ??= privateKeys.map((k) => nodeRaw().publicKey(k) as Uint8Array));
  const impls = dhImpls(context);
  const checks: Check[] = [
    {
      id: 'x25519 keygen',
      impls: Object.fromEntries(Object.entries(impls).map(([name, dh]) => [name, () => Promise.all(privateKeys.slice(0, 8).map((k) => dh.publicKey(k.slice())))])),
    },
    {
      id: 'x25519 shared secret',
      impls: Object.fromEntries(
        Object.entries(impls).map(([name, dh]) => [name, () => Promise.all(privateKeys.slice(0, 8).map((k, i) => dh.shared(k, publicKeys()[(i * 7 + 3) % POOL]!)))]),
      ),
    },
  ];
  const cases: BenchCase[] = [];
  for (const [name, dh] of Object.entries(impls)) {
    let i = 0;
    cases.push({
      group: 'dh',
      task: 'x25519 keygen',
      crypto: name,
      checks: ['x25519 keygen'],
      fn: caseFn(name, () => dh.publicKey(privateKeys[i++ % POOL]!.slice())),
    });
  }
  for (const [name, dh] of Object.entries(impls)) {
    let i = 0;
    let peerKeys: Uint8Array[] = [];
    cases.push({
      group: 'dh',
      task: 'x25519 shared secret',
      crypto: name,
      checks: ['x25519 shared secret'],
      prepare: async () => {
        peerKeys = publicKeys();
        privateKeys.forEach((k) => dh.prime(k));
      },
      fn: caseFn(name, () => {
        const k = i++;
        return dh.shared(privateKeys[k % POOL]!, peerKeys[(k * 7 + 3) % POOL]!);
      }),
    });
  }
  return { group: 'dh', checks, cases, notes: ['x25519 keygen: a new private key every call; shared secret: own key pair made earlier, the peer key new (as in a ratchet step)'] };
}
