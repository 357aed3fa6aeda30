/**
 * Splitting a byte stream into JSON lines, bounded: a line longer than the limit is an error
 * before it is buffered whole, so a peer cannot exhaust memory with one endless line.
 */
import { MAX_LINE_BYTES } from './limits.ts';

export class LineTooLongError extends Error {
  constructor(limit: number) {
    super(`a line longer than ${limit} bytes`);
    this.name = 'LineTooLongError';
  }
}

export class LineSplitter {
  #parts: Buffer[] = [];
  #length = 0;

  constructor(readonly limit: number = MAX_LINE_BYTES) {}

  /** The complete lines in `chunk` (with what came before it), without their `\n`. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let end = chunk.indexOf(10, start); end !== -1; end = chunk.indexOf(10, start)) {
      this.#append(chunk.subarray(start, end));
      lines.push(Buffer.concat(this.#parts, this.#length).toString('utf8'));
      this.#parts = [];
      this.#length = 0;
      start = end + 1;
    }
    this.#append(chunk.subarray(start));
    return lines;
  }

  /** Bytes of an unfinished line. */
  get pending(): number {
    return this.#length;
  }

  #append(part: Buffer): void {
    if (part.length === 0) return;
    if (this.#length + part.length > this.limit) throw new LineTooLongError(this.limit);
    this.#parts.push(part);
    this.#length += part.length;
  }
}
