/** What passive capabilities yield, shared by the adversaries that have them. */
import { decodeWire } from '../harness/provider/wire.ts';
import type { Envelope } from '../harness/provider/api.ts';
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

/** An envelope captured on the wire: a delivery to a device, or one a device uploaded. */
export interface CapturedEnvelope {
  seq: number;
  step: number;
  direction: 'up' | 'down';
  envelope: Envelope;
}

/** Parse the envelopes out of the network recording (the provider protocol is public). */
export function capturedEnvelopes(view: AdversaryView): CapturedEnvelope[] {
  return [...eachCapturedEnvelope(view)];
}

/** The same, parsed as they are read: for a single pass over a long recording. */
export function* eachCapturedEnvelope(view: AdversaryView): Iterable<CapturedEnvelope> {
  for (const record of view.wire) {
    if (record.op === 'deliver') {
      yield { seq: record.seq, step: record.step, direction: 'down', envelope: decodeWire<Envelope>(record.bytes) };
    } else if (record.op === 'send') {
      for (const outgoing of decodeWire<{ to: Envelope['to']; body: Uint8Array }[]>(record.bytes)) {
        yield { seq: record.seq, step: record.step, direction: 'up', envelope: { from: record.device, ...outgoing } };
      }
    }
  }
}

/**
 * Run the design's own code on the network recording: every envelope delivered to `address`
 * goes through `client.receive`, every envelope `address` uploaded through `client.openSent`,
 * in wire order, before and after any strike. What opens is recovered plaintext.
 */
export async function replayThrough(client: Client, address: DeviceAddress, captured: Iterable<CapturedEnvelope>, via: string): Promise<Holding[]> {
  const holdings: Holding[] = [];
  for (const { direction, envelope } of captured) {
    try {
      if (direction === 'down' && envelope.to === address) {
        const received = await client.receive(envelope);
        if (received) holdings.push({ bytes: received.body, via });
      } else if (direction === 'up' && envelope.from === address) {
        const opened = await client.openSent(envelope);
        if (opened) holdings.push({ bytes: opened, via });
      }
    } catch {
      // The state does not open this one.
    }
  }
  return holdings;
}
