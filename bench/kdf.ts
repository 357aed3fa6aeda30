/**
 * HMAC-SHA256 (RFC 2104) over 32 B, 1 KiB and 16 KiB, and HKDF-SHA256 (RFC 5869) from a
 * 32-byte secret to 32, 64 and 80 bytes: the sizes the Double Ratchet uses (chain keys are
 * HMACs of one byte, KDF_RK gives 64 bytes, a message key expands to 80, the message MAC
 * covers about a kilobyte).
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { caseFn, WEBCRYPTO, webcryptoHkdf, webcryptoHmac } from './references.ts';
import { filled, rawName, type BenchCase, type Check, type GroupPlan, type PlanContext } from './core.ts';

export const HMAC_SIZES = [
  { label: '32B', bytes: 32 },
  { label: '1KiB', bytes: 1024 },
  { label: '16KiB', bytes: 16 * 1024 },
] as const;

export const HKDF_OUTPUTS = [32, 64, 80] as const;

interface Kdf {
  hmac(key: Uint8Array, data: Uint8Array): Uint8Array | Promise<Uint8Array>;
  hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array | Promise<Uint8Array>;
}

const nodeRaw: Kdf = {
  hmac: (key, data) => new Uint8Array(createHmac('sha256', key).update(data).digest()),
  hkdf: (ikm, salt, info, length) => new Uint8Array(hkdfSync('sha256', ikm, salt, info, length)),
};

const nobleRaw: Kdf = {
  hmac: (key, data) => hmac(sha256, key, data),
  hkdf: (ikm, salt, info, length) => hkdf(sha256, ikm, salt, info, length),
};

export function kdfPlan(context: PlanContext): GroupPlan {
  const impls: Record<string, Kdf> = {};
  for (const b of context.backends) {
    impls[b.name] = { hmac: (k, d) => b.hmacSha256(k, d), hkdf: (i, s, n, l) => b.hkdfSha256(i, s, n, l) };
    if (context.raw && b.name === 'node') impls[rawName('node')] = nodeRaw;
    if (context.raw && b.name === 'noble') impls[rawName('noble')] = nobleRaw;
    if (context.raw && b.name === 'node') impls[WEBCRYPTO] = { hmac: webcryptoHmac, hkdf: webcryptoHkdf };
  }
  const key = filled(32, 31);
  const ikm = filled(32, 32);
  const salt = filled(32, 33);
  const info = new TextEncoder().encode('keyhole bench hkdf');
  const checks: Check[] = [];
  const cases: BenchCase[] = [];

  for (const size of HMAC_SIZES) {
    const data = filled(size.bytes, 34);
    const id = `hmac-sha256 ${size.label}`;
    checks.push({ id, impls: Object.fromEntries(Object.entries(impls).map(([name, k]) => [name, () => k.hmac(key, data)])) });
    for (const [name, k] of Object.entries(impls)) {
      cases.push({ group: 'kdf', task: id, crypto: name, bytes: size.bytes, checks: [id], fn: caseFn(name, () => k.hmac(key, data)) });
    }
  }
  for (const length of HKDF_OUTPUTS) {
    const id = `hkdf-sha256 ${length}B out`;
    checks.push({ id, impls: Object.fromEntries(Object.entries(impls).map(([name, k]) => [name, () => k.hkdf(ikm, salt, info, length)])) });
    for (const [name, k] of Object.entries(impls)) {
      cases.push({ group: 'kdf', task: id, crypto: name, checks: [id], fn: caseFn(name, () => k.hkdf(ikm, salt, info, length)) });
    }
  }
  return { group: 'kdf', checks, cases, notes: ['hkdf-sha256: 32-byte secret and salt, 18-byte info; the size is the output length'] };
}
