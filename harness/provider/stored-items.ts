/**
 * Everything the provider stored or processed, in order, all run long: the `server`
 * adversary holds all of it. The bytes sit in the wire log's arena, not in copies of their own.
 */
import type { WireLog } from './wire.ts';

/** One thing the provider stored or processed; the `server` adversary holds all of them. */
export interface StoredItem {
  readonly step: number;
  readonly kind: 'bundle' | 'one-time-key' | 'device-list' | 'roster' | 'envelope';
  readonly owner: string;
  readonly bytes: Uint8Array;
  /** For an envelope: the upload (one request of a client) it came in, numbered from 1. */
  readonly upload?: number;
  /** For a roster: the members the provider was given, which it routes by (signed or not, it reads them). */
  readonly members?: readonly string[];
}

/** A stored item whose bytes sit in the wire log's arena; `bytes` is a fresh view on each read. */
class ArenaItem implements StoredItem {
  constructor(
    readonly step: number,
    readonly kind: StoredItem['kind'],
    readonly owner: string,
    private readonly chunk: Uint8Array,
    private readonly offset: number,
    private readonly length: number,
    readonly upload?: number,
    readonly members?: readonly string[],
  ) {}

  get bytes(): Uint8Array {
    return this.chunk.subarray(this.offset, this.offset + this.length);
  }
}

/** Appends to the provider's list of stored items (`Provider.stored`), copying each item's bytes into the arena. */
export class ItemStore {
  constructor(
    private readonly wire: WireLog,
    readonly items: StoredItem[],
  ) {}

  /** Stores a copy of `bytes` at the current step; the caller may reuse `bytes` afterwards. */
  add(kind: StoredItem['kind'], owner: string, bytes: Uint8Array, upload?: number, members?: readonly string[]): void {
    const { chunk, offset } = this.wire.arena.place(bytes);
    this.items.push(new ArenaItem(this.wire.step, kind, owner, chunk, offset, bytes.length, upload, members));
  }
}
