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
  readonly direction: WireDirection;
  /** The client end of the connection. */
  readonly device: DeviceAddress;
  /** The provider operation: `send`, `deliver`, `fetch-bundle`, ... */
  readonly op: string;
  readonly bytes: Uint8Array;
  /** Carried by a second connection registered as the device (a clone's): a tap tells the two apart. */
  readonly twin: boolean;
}

export class WireLog {
  readonly records: WireRecord[] = [];
  step = -1;
  /** Where recorded bytes live; the provider keeps what it stores here too. */
  readonly arena = new ByteArena();
  /** One shared description of each connection end, direction and operation. */
  readonly #channels = new Map<string, Channel>();

  record(direction: WireDirection, device: DeviceAddress, op: string, payload: unknown, twin = false): void {
    const encoded = encodeMsgpackTransient(payload);
    const channel = this.#channel(direction, device, op, twin);
    // A message the same as a recent one on its channel (a device list fetched again) is the
    // same bytes: the record points at the copy already kept.
    const place = channel.recent.find((p) => p.length === encoded.length && Buffer.compare(p.chunk.subarray(p.offset, p.offset + p.length), encoded) === 0) ?? this.#keep(channel, encoded);
    this.records.push(new RecordedMessage(this.records.length, this.step, channel, place.chunk, place.offset, place.length));
  }

  /** A copy of `encoded` in the arena, remembered as one of the channel's recent messages. */
  #keep(channel: Channel, encoded: Uint8Array): Place {
    const place = { ...this.arena.place(encoded), length: encoded.length };
    if (channel.recent.unshift(place) > RECENT_PER_CHANNEL) channel.recent.pop();
    return place;
  }

  #channel(direction: WireDirection, device: DeviceAddress, op: string, twin: boolean): Channel {
    const key = `${direction} ${device} ${op}${twin ? ' twin' : ''}`;
    let channel = this.#channels.get(key);
    if (!channel) {
      channel = { direction, device, op, twin, recent: [] };
      this.#channels.set(key, channel);
    }
    return channel;
  }
}

/**
 * How many of a channel's latest messages a new one is compared with: a device asks the same
 * few questions again and again (the device lists of each user it writes to).
 */
const RECENT_PER_CHANNEL = 4;

interface Place {
  chunk: Uint8Array;
  offset: number;
  length: number;
}

/** A connection end, direction and operation, and where its latest distinct messages lie. */
interface Channel {
  readonly direction: WireDirection;
  readonly device: DeviceAddress;
  readonly op: string;
  readonly twin: boolean;
  readonly recent: Place[];
}

/**
 * A record whose bytes sit in the log's arena; `bytes` is a fresh view on each read. A long
 * run keeps millions of them, so each holds only what differs from record to record.
 */
class RecordedMessage implements WireRecord {
  constructor(
    readonly seq: number,
    readonly step: number,
    private readonly channel: Channel,
    private readonly chunk: Uint8Array,
    private readonly offset: number,
    private readonly length: number,
  ) {}

  get direction(): WireDirection {
    return this.channel.direction;
  }

  get device(): DeviceAddress {
    return this.channel.device;
  }

  get op(): string {
    return this.channel.op;
  }

  get twin(): boolean {
    return this.channel.twin;
  }

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
