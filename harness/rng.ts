/**
 * The seeded random source behind every key, nonce, marker and generated text of a run.
 * A ChaCha20 keystream (RFC 8439) keyed by SHA-256 of the seed and a label: the same
 * seed and label always give the same bytes, and `fork` derives independent streams so
 * that one part of a run drawing more randomness never shifts another part's.
 */
import { chacha20 } from '@noble/ciphers/chacha.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';

const BLOCK = 64;
/** Most draws are small (a marker, a key): the first refill of a stream makes one block, later ones up to this many. */
const MAX_BUFFER_BLOCKS = 8;
const NONCE = new Uint8Array(12);

export class Rng {
  readonly #key: Uint8Array;
  #counter = 0;
  #buffer = new Uint8Array(0);
  #offset = 0;

  private constructor(key: Uint8Array) {
    this.#key = key;
  }

  /** The root stream of a run: `seed` and any labels that make the run distinct. */
  static fromSeed(seed: number | string, ...labels: string[]): Rng {
    return new Rng(sha256(utf8ToBytes(['keyhole-rng', String(seed), ...labels].join('\u0000'))));
  }

  /** An independent stream named `label`, not affected by how much this one has drawn. */
  fork(label: string): Rng {
    return new Rng(sha256(concatBytes(this.#key, utf8ToBytes(`\u0000${label}`))));
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    let written = 0;
    while (written < length) {
      if (this.#offset === this.#buffer.length) this.#refill(length - written);
      const take = Math.min(length - written, this.#buffer.length - this.#offset);
      out.set(this.#buffer.subarray(this.#offset, this.#offset + take), written);
      this.#offset += take;
      written += take;
    }
    return out;
  }

  /** A uniform integer in [0, bound), without modulo bias. */
  int(bound: number): number {
    if (!Number.isInteger(bound) || bound <= 0 || bound > 2 ** 32) {
      throw new RangeError(`"bound" expected an integer in 1..2^32, got ${bound}`);
    }
    const limit = 2 ** 32 - (2 ** 32 % bound);
    for (;;) {
      const b = this.bytes(4);
      const value = ((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!;
      if (value < limit) return value % bound;
    }
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  hex(length: number): string {
    return Buffer.from(this.bytes(Math.ceil(length / 2))).toString('hex').slice(0, length);
  }

  /**
   * The next blocks of the keystream: at least enough for `wanted` bytes (up to the maximum),
   * twice as many as last time otherwise. How the stream is cut into refills never changes its
   * bytes: block n is always ChaCha20 block n.
   */
  #refill(wanted: number): void {
    const blocks = Math.min(MAX_BUFFER_BLOCKS, Math.max(Math.ceil(wanted / BLOCK), (this.#buffer.length / BLOCK) * 2, 1));
    this.#buffer = chacha20(this.#key, NONCE, new Uint8Array(blocks * BLOCK), undefined, this.#counter);
    this.#counter += blocks;
    this.#offset = 0;
  }
}
