/**
 * Results of pure key computations (a key pair from its seed, a deterministic signature),
 * remembered across the runs of one audit. Every run of a scenario starts from the same seed,
 * so the runs of one target and scenario against each adversary derive the same prekeys: the
 * most expensive part of a run's set-up (ML-KEM key generation, XEdDSA in JavaScript). A
 * result depends only on its inputs, so a report is the same with the cache or without it.
 *
 * Off unless an audit turns it on (`enableKeyCache`): a benchmark must time the computation,
 * not the lookup. Each hit returns fresh copies, since a client may wipe its keys (secure
 * deletion). Bounded: the oldest entries go first.
 */
const LIMIT = 4_096;

let enabled = false;

/** Turns the cache on for this thread (the audit command and its worker threads). */
export function enableKeyCache(): void {
  enabled = true;
}

type Bytes = Uint8Array;

function key(parts: readonly Bytes[]): string {
  return parts.map((part) => Buffer.from(part.buffer, part.byteOffset, part.byteLength).toString('base64')).join('.');
}

/**
 * `compute` remembered by its inputs (byte strings) while the cache is on; `copy` makes the
 * fresh copy a hit returns (and the entry kept, so that the caller cannot alter it).
 */
export function cachedKeys<T>(name: string, copy: (value: T) => T, compute: (...inputs: Bytes[]) => T): (...inputs: Bytes[]) => T {
  const entries = new Map<string, T>();
  return (...inputs: Bytes[]): T => {
    if (!enabled) return compute(...inputs);
    const id = `${name}:${key(inputs)}`;
    const hit = entries.get(id);
    if (hit !== undefined) return copy(hit);
    const value = compute(...inputs);
    if (entries.size >= LIMIT) entries.delete(entries.keys().next().value!);
    entries.set(id, copy(value));
    return value;
  };
}

/** A copy of a key pair of byte strings. */
export function copyKeyPair(pair: { publicKey: Bytes; secretKey: Bytes }): { publicKey: Bytes; secretKey: Bytes } {
  return { publicKey: pair.publicKey.slice(), secretKey: pair.secretKey.slice() };
}

/** A copy of a byte string. */
export function copyBytes(bytes: Bytes): Bytes {
  return bytes.slice();
}
