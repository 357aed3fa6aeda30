/**
 * The primitive calls a message makes, seen through a proxy around a crypto backend: counted
 * with the size that drives each one's cost (to be priced by the primitive rows), or recorded
 * with their arguments (to be replayed and timed beside the message), and summarised.
 */
import type { CryptoBackend } from '../harness/crypto/backend.ts';

export interface PrimitiveCall {
  method: string;
  /** The size that drives its cost: bytes in (HMAC, AES), bytes out (HKDF); 0 for fixed-size calls. */
  size: number;
}

/** A backend that records every call it forwards. */
export function countingBackend(inner: CryptoBackend): { backend: CryptoBackend; calls: PrimitiveCall[] } {
  const calls: PrimitiveCall[] = [];
  const backend = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push({ method: String(property), size: callSize(String(property), args) });
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { backend, calls };
}

function callSize(method: string, args: unknown[]): number {
  const len = (i: number) => (args[i] instanceof Uint8Array ? (args[i] as Uint8Array).length : 0);
  switch (method) {
    case 'hmacSha256':
      return len(1);
    case 'hkdfSha256':
      return typeof args[3] === 'number' ? args[3] : 0;
    case 'aes256CbcEncrypt':
    case 'aes256CbcDecrypt':
    case 'aes256GcmEncrypt':
    case 'aes256GcmDecrypt':
    case 'chacha20Poly1305Encrypt':
    case 'chacha20Poly1305Decrypt':
      return len(2);
    case 'sha256':
    case 'sha512':
      return len(0);
    default:
      return 0;
  }
}

/** A backend that records every call with its arguments, to be replayed (`replayCalls`). */
export function recordingBackend(inner: CryptoBackend): { backend: CryptoBackend; calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  // One copy per array the calls were given (while its bytes stay the same), so that a key
  // passed to several calls is one array in the record too, as backends that cache by array see it.
  const copies = new WeakMap<Uint8Array, Uint8Array>();
  const copyOf = (a: unknown) => {
    if (!(a instanceof Uint8Array)) return a;
    const known = copies.get(a);
    if (known && Buffer.from(known).equals(a)) return known;
    const copy = a.slice();
    copies.set(a, copy);
    return copy;
  };
  const backend = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push({ method: String(property), args: args.map(copyOf) });
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { backend, calls };
}

export interface RecordedCall {
  method: string;
  args: unknown[];
}

/**
 * One replay of recorded calls on `backend`: the same calls with the same argument values,
 * from fresh copies each time (a backend that caches key objects by array, as node's does,
 * finds the keys new, as the message found them), the copy of one recorded array used for
 * each of its appearances within the replay.
 */
export function replayCalls(backend: CryptoBackend, calls: readonly RecordedCall[]): () => void {
  const table = backend as unknown as Record<string, (...a: unknown[]) => unknown>;
  return () => {
    const copies = new Map<unknown, Uint8Array>();
    const fresh = (a: unknown) => {
      if (!(a instanceof Uint8Array)) return a;
      let copy = copies.get(a);
      if (!copy) copies.set(a, (copy = a.slice()));
      return copy;
    };
    for (const call of calls) table[call.method]!.apply(backend, call.args.map(fresh));
  };
}

/** Calls per message, summarised: `hmacSha256 x4 (1 B..1.2 KiB)`. */
export function summariseCalls(calls: readonly PrimitiveCall[], messages: number): string {
  const byMethod = new Map<string, number[]>();
  for (const c of calls) byMethod.set(c.method, [...(byMethod.get(c.method) ?? []), c.size]);
  return [...byMethod]
    .map(([method, sizes]) => {
      const count = sizes.length / messages;
      const nonZero = sizes.filter((s) => s > 0);
      const [min, max] = [Math.min(...nonZero), Math.max(...nonZero)];
      const range = nonZero.length === 0 ? '' : min === max ? ` ${min}B` : ` ${min}..${max}B`;
      return `${method} x${Number.isInteger(count) ? count : count.toFixed(1)}${range}`;
    })
    .join(', ');
}
