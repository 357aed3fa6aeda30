/**
 * Append-only storage for the many small byte strings a run keeps to its end (the wire log,
 * what the provider stored): they are copied into shared chunks, so each costs a view rather
 * than an allocation of its own. A long scenario records millions of them; one ArrayBuffer
 * each would take several times their size in bookkeeping.
 *
 * A holder keeps the place (chunk and offset) and makes a view when it is read.
 */
const CHUNK_BYTES = 1 << 20;
/** Larger strings get a buffer of their own rather than waste the rest of a chunk. */
const OWN_BUFFER_FROM = CHUNK_BYTES / 8;

export class ByteArena {
  #chunk = new Uint8Array(0);
  #used = 0;

  /**
   * A copy of `bytes` at `chunk[offset ..]`, for a holder that keeps the place and makes the
   * view when it is read (a view costs about a hundred bytes; millions of them add up).
   */
  place(bytes: Uint8Array): { chunk: Uint8Array; offset: number } {
    if (bytes.length >= OWN_BUFFER_FROM) return { chunk: bytes.slice(), offset: 0 };
    if (this.#used + bytes.length > this.#chunk.length) {
      this.#chunk = new Uint8Array(CHUNK_BYTES);
      this.#used = 0;
    }
    const offset = this.#used;
    this.#chunk.set(bytes, offset);
    this.#used += bytes.length;
    return { chunk: this.#chunk, offset };
  }
}
