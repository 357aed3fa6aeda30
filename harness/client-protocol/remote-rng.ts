/**
 * A client's random stream in the reference adapter: the bytes keyhole hands out for the
 * client (`random`), drawn ahead in blocks (the stream is a byte stream: how it is cut into
 * draws never changes its bytes). `int`, `pick` and `hex` are `Rng`'s own, on these bytes.
 */
import { Rng } from '../rng.ts';

/** Bytes drawn from keyhole at a time. */
const BLOCK = 1024;

export interface SyncCaller {
  callSync(op: string, fields: Record<string, unknown>): Record<string, unknown>;
}

export class RemoteRng {
  #buffer = new Uint8Array(0);
  #offset = 0;

  constructor(
    private readonly caller: SyncCaller,
    private readonly handle: string,
  ) {}

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let written = 0; written < length; ) {
      if (this.#offset === this.#buffer.length) {
        const answer = this.caller.callSync('random', { client: this.handle, n: Math.max(BLOCK, length - written) });
        this.#buffer = new Uint8Array(Buffer.from(String(answer.bytes), 'base64'));
        this.#offset = 0;
      }
      const take = Math.min(length - written, this.#buffer.length - this.#offset);
      out.set(this.#buffer.subarray(this.#offset, this.#offset + take), written);
      this.#offset += take;
      written += take;
    }
    return out;
  }

  int(bound: number): number {
    return Rng.prototype.int.call(this as unknown as Rng, bound);
  }

  pick<T>(items: readonly T[]): T {
    return Rng.prototype.pick.call(this as unknown as Rng, items) as T;
  }

  hex(length: number): string {
    return Rng.prototype.hex.call(this as unknown as Rng, length);
  }

  fork(): never {
    throw new Error('a client served over keyhole-client/1 has one random stream (keyhole forks streams)');
  }
}
