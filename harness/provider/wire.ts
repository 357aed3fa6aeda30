/**
 * The wire: every byte that crosses between a client and the provider, in order, with the
 * metadata a network observer sees (which device's connection, which direction, when, how
 * many bytes). The `network` adversary's recording is exactly this log.
 */
import { decodeMsgpack, encodeMsgpack, encodeMsgpackTransient } from '../msgpack.ts';
import { ByteArena } from './byte-arena.ts';
import type { DeviceAddress } from '../scenario/types.ts';

export type WireDirection = 'up' | 'down';

export interface WireRecord {
  seq: number;
  /** Scenario step during which it crossed (-1: set-up before the first step). */
  step: number;
  direction: WireDirection;
  /** The client end of the connection. */
  device: DeviceAddress;
  /** The provider operation: `send`, `deliver`, `fetch-bundle`, ... */
  op: string;
  readonly bytes: Uint8Array;
}

export class WireLog {
  readonly records: WireRecord[] = [];
  step = -1;
  /** Where recorded bytes live; the provider keeps what it stores here too. */
  readonly arena = new ByteArena();

  record(direction: WireDirection, device: DeviceAddress, op: string, payload: unknown): void {
    const encoded = encodeMsgpackTransient(payload);
    const { chunk, offset } = this.arena.place(encoded);
    this.records.push(new RecordedMessage(this.records.length, this.step, direction, device, op, chunk, offset, encoded.length));
  }
}

/** A record whose bytes sit in the log's arena; `bytes` is a fresh view on each read. */
class RecordedMessage implements WireRecord {
  constructor(
    readonly seq: number,
    readonly step: number,
    readonly direction: WireDirection,
    readonly device: DeviceAddress,
    readonly op: string,
    private readonly chunk: Uint8Array,
    private readonly offset: number,
    private readonly length: number,
  ) {}

  get bytes(): Uint8Array {
    return this.chunk.subarray(this.offset, this.offset + this.length);
  }
}

/** The provider protocol's encoding (MessagePack): public, so any observer can parse it. */
export function encodeWire(payload: unknown): Uint8Array {
  return encodeMsgpack(payload);
}

export function decodeWire<T>(bytes: Uint8Array): T {
  return decodeMsgpack(bytes) as T;
}

/**
 * Every byte string of `length` bytes in the recorded messages, looking inside nested
 * MessagePack too: the public keys an observer of the wire has seen.
 */
export function byteStringsSeen(records: readonly WireRecord[], length: number): Set<string> {
  const seen = new Set<string>();
  const visit = (value: unknown, depth: number): void => {
    if (value instanceof Uint8Array) {
      if (value.length === length) seen.add(Buffer.from(value).toString('hex'));
      else if (depth < 8 && value.length > length) {
        let nested: unknown;
        try {
          nested = decodeMsgpack(value);
        } catch {
          return;
        }
        visit(nested, depth + 1);
      }
    } else if (Array.isArray(value)) {
      for (const item of value) visit(item, depth);
    } else if (value !== null && typeof value === 'object') {
      for (const item of Object.values(value)) visit(item, depth);
    }
  };
  for (const record of records) visit(decodeWire(record.bytes), 0);
  return seen;
}
