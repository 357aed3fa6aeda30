/**
 * What travels in an envelope body: a pairwise Double Ratchet message (with the initiator's
 * PQXDH header until the peer replies), or a group message encrypted once with the sender's
 * sender key, with that key sealed pairwise the first time it goes to a device.
 */
import { unpack } from '../shared/codec.ts';
import { SignalError } from './errors.ts';
import { checkPrekeyHeader, type PrekeyHeader } from './pqxdh.ts';
import type { RatchetMessage } from './ratchet.ts';

export interface WireMessage {
  prekey: PrekeyHeader | null;
  message: RatchetMessage;
}

/** A group message: encrypted once with the sender key, plus the sender key itself (sealed pairwise) the first time. */
export interface GroupWireMessage {
  senderKey: GroupMessage;
}

export interface GroupMessage {
  group: string;
  /** The sender key's distribution, as a pairwise `WireMessage`; null once the device has it. */
  distribution: Uint8Array | null;
  message: Uint8Array;
}

export type SignalMessage = { kind: 'group'; message: GroupMessage } | { kind: 'pairwise'; message: WireMessage };

/** An envelope body of either kind; a malformed group message is refused before it is read as a pairwise one. */
export function decodeSignalMessage(body: Uint8Array): SignalMessage {
  const decoded = unpack<Partial<GroupWireMessage & WireMessage>>(body, 'signal message');
  const group = asGroupWireMessage(decoded);
  if (group) return { kind: 'group', message: group.senderKey };
  return { kind: 'pairwise', message: asWireMessage(decoded) };
}

export function decodeWireMessage(body: Uint8Array): WireMessage {
  return asWireMessage(unpack<Partial<WireMessage>>(body, 'signal message'));
}

function asGroupWireMessage(wire: Partial<GroupWireMessage> | null | undefined): GroupWireMessage | null {
  const inner = wire?.senderKey;
  if (!inner) return null;
  if (typeof inner.group !== 'string' || !(inner.message instanceof Uint8Array) || !(inner.distribution === null || inner.distribution instanceof Uint8Array)) {
    throw new SignalError('invalid-message', 'malformed group message');
  }
  return wire as GroupWireMessage;
}

function asWireMessage(wire: Partial<WireMessage> | null | undefined): WireMessage {
  if (!(wire?.message?.header instanceof Uint8Array) || !(wire.message.ciphertext instanceof Uint8Array)) {
    throw new SignalError('invalid-message', 'malformed signal message');
  }
  if (wire.prekey !== undefined && wire.prekey !== null) checkPrekeyHeader(wire.prekey);
  return wire as WireMessage;
}
