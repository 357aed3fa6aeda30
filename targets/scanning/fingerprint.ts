/**
 * The text fingerprint a scanning client matches outgoing messages against: MinHash over
 * word shingles (Broder, "On the resemblance and containment of documents", 1997; Broder,
 * Glassman, Manasse & Zweig, "Syntactic clustering of the Web", 1997), the classic
 * locality-sensitive hash for Jaccard similarity. Near-duplicates (a word changed, a line
 * added) keep most shingles and so most minima, as a perceptual hash keeps most bits of a
 * re-encoded image; the list holds signatures, not texts.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';

/** How many hash functions (minima) a signature has. */
export const SIGNATURE_LENGTH = 64;
/** Words per shingle (w-shingling, Broder 1997 §2). */
export const SHINGLE_WIDTH = 2;
/** The estimated resemblance from which a message counts as a match. */
export const MATCH_RESEMBLANCE = 0.5;

/** The Mersenne prime 2^61 - 1: the universal hash family `(a*x + b) mod P` runs over it. */
const P = (1n << 61n) - 1n;
const FAMILY: readonly { a: bigint; b: bigint }[] = Array.from({ length: SIGNATURE_LENGTH }, (_, i) => {
  const digest = sha256(utf8ToBytes(`keyhole minhash ${i}`));
  return { a: (toBigint(digest.subarray(0, 8)) % (P - 1n)) + 1n, b: toBigint(digest.subarray(8, 16)) % P };
});

/**
 * The words of a text as the matcher sees them: Unicode-normalised (NFKD, marks dropped),
 * lower case, punctuation stripped; words holding a digit are dropped, since numbers, codes
 * and links vary between copies of the same content.
 */
export function normalisedWords(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .split(/\s+/u)
    .map((word) => word.replace(/[^\p{L}\p{N}]/gu, ''))
    .filter((word) => word.length > 0 && !/\p{N}/u.test(word));
}

function shingles(words: readonly string[]): Set<string> {
  const set = new Set<string>();
  if (words.length < SHINGLE_WIDTH) {
    if (words.length > 0) set.add(words.join(' '));
    return set;
  }
  for (let i = 0; i + SHINGLE_WIDTH <= words.length; i++) set.add(words.slice(i, i + SHINGLE_WIDTH).join(' '));
  return set;
}

/** The MinHash signature of a text: per hash function, the least hash over its shingles; 8 bytes each. */
export function fingerprint(text: string): Uint8Array {
  const minima = new Array<bigint>(SIGNATURE_LENGTH).fill(P);
  for (const shingle of shingles(normalisedWords(text))) {
    const x = toBigint(sha256(utf8ToBytes(shingle)).subarray(0, 8)) % P;
    FAMILY.forEach(({ a, b }, i) => {
      const h = (a * x + b) % P;
      if (h < minima[i]!) minima[i] = h;
    });
  }
  const out = new Uint8Array(SIGNATURE_LENGTH * 8);
  const view = new DataView(out.buffer);
  minima.forEach((m, i) => view.setBigUint64(i * 8, m));
  return out;
}

/** The estimated Jaccard resemblance of the texts behind two signatures: the share of equal minima. */
export function resemblance(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== SIGNATURE_LENGTH * 8 || b.length !== SIGNATURE_LENGTH * 8) return 0;
  const va = new DataView(a.buffer, a.byteOffset, a.byteLength);
  const vb = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let equal = 0;
  for (let i = 0; i < SIGNATURE_LENGTH; i++) if (va.getBigUint64(i * 8) === vb.getBigUint64(i * 8)) equal++;
  return equal / SIGNATURE_LENGTH;
}

/** Whether a text's signature matches any on the list. */
export function matchesList(signature: Uint8Array, list: readonly Uint8Array[]): boolean {
  return list.some((entry) => resemblance(signature, entry) >= MATCH_RESEMBLANCE);
}

function toBigint(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}
