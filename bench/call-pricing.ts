/**
 * Pricing primitive calls with the primitive benchmarks of the run: each call's cost read off
 * its backend's rows, interpolated between the sizes they measured.
 */
import { SIZES, type BenchResult } from './core.ts';
import { HKDF_OUTPUTS, HMAC_SIZES } from './kdf.ts';
import type { PrimitiveCall } from './primitive-calls.ts';

interface Point {
  size: number;
  ns: number;
}

/** Piecewise-linear cost at `size`; flat below the smallest point, extended past the largest. */
function interpolate(points: Point[], size: number): number {
  const sorted = [...points].sort((a, b) => a.size - b.size);
  if (sorted.length === 1 || size <= sorted[0]!.size) return sorted[0]!.ns;
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1]!, sorted[i]!];
    if (size <= b.size || i === sorted.length - 1) return a.ns + ((b.ns - a.ns) * (size - a.size)) / (b.size - a.size);
  }
  return sorted[sorted.length - 1]!.ns;
}

/** Per-call prices from the primitive rows of one backend; throws naming a missing row. */
export function pricer(results: readonly BenchResult[], crypto: string): (call: PrimitiveCall) => number {
  const nsOf = (group: string, task: string): number => {
    const row = results.find((r) => r.group === group && r.task === task && r.crypto === crypto);
    if (!row) throw new Error(`needs the ${group} row "${task}" on ${crypto}`);
    return 1e9 / row.opsPerSec;
  };
  const curve = (group: string, tasks: { task: string; size: number }[]) => {
    const points = tasks.flatMap(({ task, size }) => {
      const row = results.find((r) => r.group === group && r.task === task && r.crypto === crypto);
      return row ? [{ size, ns: 1e9 / row.opsPerSec }] : [];
    });
    if (points.length === 0) nsOf(group, tasks[0]!.task); // throws, naming the row
    return points;
  };
  const cache = new Map<string, Point[]>();
  const lazy = (key: string, make: () => Point[]) => {
    let points = cache.get(key);
    if (!points) cache.set(key, (points = make()));
    return points;
  };
  const hmac = () => lazy('hmac', () => curve('kdf', HMAC_SIZES.map((s) => ({ task: `hmac-sha256 ${s.label}`, size: s.bytes }))));
  const hkdf = () => lazy('hkdf', () => curve('kdf', HKDF_OUTPUTS.map((n) => ({ task: `hkdf-sha256 ${n}B out`, size: n }))));
  const cbcHmac = (op: 'encrypt' | 'decrypt') =>
    lazy(`cbc-${op}`, () => curve('aead', SIZES.map((s) => ({ task: `aes-256-cbc+hmac-sha256 ${op} ${s.label}`, size: s.bytes }))));
  return (call) => {
    switch (call.method) {
      case 'x25519PublicKey':
        return nsOf('dh', 'x25519 keygen');
      case 'x25519':
        return nsOf('dh', 'x25519 shared secret');
      case 'hmacSha256':
        return interpolate(hmac(), call.size);
      case 'hkdfSha256':
        return interpolate(hkdf(), call.size);
      // AES-256-CBC alone: the encrypt-then-MAC row less the HMAC over the same bytes.
      case 'aes256CbcEncrypt':
        return Math.max(0, interpolate(cbcHmac('encrypt'), call.size) - interpolate(hmac(), call.size + 16));
      case 'aes256CbcDecrypt':
        return Math.max(0, interpolate(cbcHmac('decrypt'), call.size - 16) - interpolate(hmac(), call.size));
      default:
        throw new Error(`no benchmark prices ${call.method}`);
    }
  };
}
