/**
 * ML-KEM-768 (FIPS 203) benchmarks: key generation from a seed, encapsulation with given
 * randomness, decapsulation. Both backends use @noble/post-quantum (Node 20's node:crypto has
 * no ML-KEM), so `node`, `noble` and `noble-raw` measure the same code; the gap between them is
 * the backends' input checks.
 */
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import type { CryptoBackend } from '../harness/crypto/backend.ts';
import { filled, rawName, type BenchCase, type Check, type GroupPlan, type PlanContext } from './core.ts';

interface Kem {
  keygen(seed: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array };
  encapsulate(publicKey: Uint8Array, randomness: Uint8Array): { cipherText: Uint8Array; sharedSecret: Uint8Array };
  decapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array;
}

const nobleRaw: Kem = {
  keygen: (seed) => ml_kem768.keygen(seed),
  encapsulate: (publicKey, randomness) => ml_kem768.encapsulate(publicKey, randomness),
  decapsulate: (cipherText, secretKey) => ml_kem768.decapsulate(cipherText, secretKey),
};

function fromBackend(b: CryptoBackend): Kem {
  return {
    keygen: (seed) => b.mlKem768Keygen(seed),
    encapsulate: (publicKey, randomness) => b.mlKem768Encapsulate(publicKey, randomness),
    decapsulate: (cipherText, secretKey) => b.mlKem768Decapsulate(cipherText, secretKey),
  };
}

export function kemPlan(context: PlanContext): GroupPlan {
  const impls: Record<string, Kem> = {};
  for (const b of context.backends) impls[b.name] = fromBackend(b);
  if (context.raw && context.backends.some((b) => b.name === 'noble' || b.name === 'node')) impls[rawName('noble')] = nobleRaw;
  const seed = filled(64, 41);
  const randomness = filled(32, 42);
  const keys = ml_kem768.keygen(seed);
  const encapsulated = ml_kem768.encapsulate(keys.publicKey, randomness);

  const checks: Check[] = [
    {
      id: 'ml-kem-768',
      impls: Object.fromEntries(
        Object.entries(impls).map(([name, kem]) => [
          name,
          () => {
            const k = kem.keygen(seed);
            const e = kem.encapsulate(k.publicKey, randomness);
            return { publicKey: k.publicKey, secretKey: k.secretKey, cipherText: e.cipherText, sharedSecret: e.sharedSecret, decapsulated: kem.decapsulate(e.cipherText, k.secretKey) };
          },
        ]),
      ),
      sane: (output) => {
        const o = output as { sharedSecret: Uint8Array; decapsulated: Uint8Array };
        return Buffer.from(o.sharedSecret).equals(o.decapsulated) ? null : 'decapsulate does not give the encapsulated secret';
      },
    },
  ];
  const cases: BenchCase[] = [];
  for (const [name, kem] of Object.entries(impls)) {
    cases.push({ group: 'kem', task: 'ml-kem-768 keygen', crypto: name, checks: ['ml-kem-768'], fn: () => kem.keygen(seed) });
  }
  for (const [name, kem] of Object.entries(impls)) {
    cases.push({ group: 'kem', task: 'ml-kem-768 encapsulate', crypto: name, checks: ['ml-kem-768'], fn: () => kem.encapsulate(keys.publicKey, randomness) });
  }
  for (const [name, kem] of Object.entries(impls)) {
    cases.push({ group: 'kem', task: 'ml-kem-768 decapsulate', crypto: name, checks: ['ml-kem-768'], fn: () => kem.decapsulate(encapsulated.cipherText, keys.secretKey) });
  }
  return { group: 'kem', checks, cases, notes: ['ml-kem-768: node:crypto in Node 20 has none; every row runs @noble/post-quantum'] };
}
