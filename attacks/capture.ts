/** What passive capabilities yield, shared by the adversaries that have them. */
import { decodeWire } from '../harness/provider/wire.ts';
import { SEALED_SENDER, type Envelope, type OutgoingEnvelope } from '../harness/provider/api.ts';
import type { DeviceAddress } from '../harness/scenario/types.ts';
import type { Client } from '../targets/types.ts';
import type { AdversaryView, Holding, Position } from './types.ts';

export const NO_POSITION: Position = { strikeStep: null, compromisedDevice: null, removedMember: null };

/** The network recording: every wire record, searched for anything in clear (made as the judge reads). */
export function* wireHoldings(view: AdversaryView): Iterable<Holding> {
  for (const record of view.wire) yield { bytes: record.bytes, via: 'cleartext' };
}

/** The provider's stored data, searched for anything in clear (made as the judge reads). */
export function* serverHoldings(view: AdversaryView): Iterable<Holding> {
  for (const item of view.providerStored) yield { bytes: item.bytes, via: 'cleartext' };
}

/** Several sources of holdings, one after the other. */
export function* allHoldings(...sources: Iterable<Holding>[]): Iterable<Holding> {
  for (const source of sources) yield* source;
}

/**
 * An envelope captured on the wire: a delivery to a device, or one a device uploaded. The
 * envelope is as the provider stores and delivers it: a sealed-sender upload names no sender
 * (`SEALED_SENDER`); the connection it came over is `uploader`.
 */
export interface CapturedEnvelope {
  seq: number;
  step: number;
  direction: 'up' | 'down';
  envelope: Envelope;
  /** For an upload: the device whose connection carried it; null for a delivery. */
  uploader: DeviceAddress | null;
  /** Carried by a second connection registered as the device (a clone's). */
  twin?: boolean;
}

/** Parse the envelopes out of the network recording (the provider protocol is public). */
export function capturedEnvelopes(view: AdversaryView): CapturedEnvelope[] {
  return [...eachCapturedEnvelope(view)];
}

/** The same, parsed as they are read: for a single pass over a long recording. */
export function* eachCapturedEnvelope(view: AdversaryView): Iterable<CapturedEnvelope> {
  for (const record of view.wire) {
    if (record.op === 'deliver') {
      yield { seq: record.seq, step: record.step, direction: 'down', envelope: decodeWire<Envelope>(record.bytes), uploader: null, ...(record.twin && { twin: true }) };
    } else if (record.op === 'send') {
      for (const { to, body, sealed } of decodeWire<OutgoingEnvelope[]>(record.bytes)) {
        const envelope: Envelope = { from: sealed ? SEALED_SENDER : record.device, to, body };
        yield { seq: record.seq, step: record.step, direction: 'up', envelope, uploader: record.device, ...(record.twin && { twin: true }) };
      }
    }
  }
}

/**
 * Where a replay of the recording stands. A device restored with `cursor.asOf`
 * (`view.restoreDevice(address, image, cursor.asOf)`) reads the public directory as it stood
 * at the record being replayed, as the real device did when it met that envelope: a message
 * is checked against the roster and device lists of its moment, not those at the end of the run.
 */
export class ReplayCursor {
  /** The wire record being replayed; before and after a replay, the present. */
  seq = Number.POSITIVE_INFINITY;
  readonly asOf = (): number => this.seq;
}

/**
 * Every envelope on the wire that `address` could open, once each, in the order the device
 * met it (or would have): envelopes delivered to it, where first delivered; envelopes uploaded
 * to it and never delivered (queued while it was offline, or meant for a phone the adversary
 * keeps off the network), where they were uploaded; and envelopes it uploaded itself.
 *
 * An envelope is one envelope whether it is seen uploaded or delivered and however often a
 * provider delivers it: its identity is its sender, its recipient and its body bytes. Feeding
 * the same ciphertext to a client twice would only make it reject the copy as a replay.
 */
export function* deviceEnvelopes(view: AdversaryView, address: DeviceAddress): Iterable<CapturedEnvelope> {
  const identity = ({ from, to, body }: Envelope): string => `${from}>${to}:${Buffer.from(view.crypto.sha256(body)).toString('base64')}`;
  const delivered = new Set<string>();
  for (const record of view.wire) {
    // A delivery crosses the recipient's own connection.
    if (record.op === 'deliver' && record.device === address) delivered.add(identity(decodeWire<Envelope>(record.bytes)));
  }
  const tried = new Set<string>();
  for (const captured of eachCapturedEnvelope(view)) {
    const { direction, envelope } = captured;
    if (direction === 'up' && captured.uploader === address) {
      yield captured;
      continue;
    }
    if (envelope.to !== address) continue;
    const id = identity(envelope);
    // An upload that reaches the device later is tried where it is delivered.
    if ((direction === 'up' && delivered.has(id)) || tried.has(id)) continue;
    tried.add(id);
    yield captured;
  }
}

/**
 * Run the design's own code on the network recording: every envelope delivered to `address`
 * goes through `client.receive`, every envelope `address` uploaded through `client.openSent`,
 * in wire order, before and after any strike. What opens is recovered plaintext. With a
 * `cursor`, the client (restored with `cursor.asOf`) reads the directory of each envelope's moment.
 */
export async function replayThrough(client: Client, address: DeviceAddress, captured: Iterable<CapturedEnvelope>, via: string, cursor?: ReplayCursor): Promise<Holding[]> {
  const holdings: Holding[] = [];
  for (const { seq, direction, envelope, uploader } of captured) {
    if (cursor) cursor.seq = seq;
    try {
      if (direction === 'down' && envelope.to === address) {
        const received = await client.receive(envelope);
        if (received) holdings.push({ bytes: received.body, via });
      } else if (direction === 'up' && uploader === address) {
        const opened = await client.openSent(envelope);
        if (opened) holdings.push({ bytes: opened, via });
      }
    } catch {
      // The state does not open this one.
    }
  }
  if (cursor) cursor.seq = Number.POSITIVE_INFINITY;
  return holdings;
}
