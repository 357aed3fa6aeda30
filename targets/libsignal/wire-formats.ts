/**
 * What a `libsignal` device hands others, outside the library's own messages: the bundle it
 * publishes and its one-time prekeys (the public halves as the library serializes them), the
 * envelope body around a library message, and what a primary hands a device it links.
 */
import { unpack } from '../shared/codec.ts';
import { LibsignalError } from './errors.ts';

/** What a device publishes; the public halves as the library serializes them. */
export interface Bundle {
  registrationId: number;
  identityKey: Uint8Array;
  signedPrekey: { id: number; publicKey: Uint8Array; signature: Uint8Array };
  kyberPrekey: { id: number; publicKey: Uint8Array; signature: Uint8Array };
}

export interface OneTimePrekey {
  id: number;
  publicKey: Uint8Array;
}

export interface OneTimeKyberPrekey extends OneTimePrekey {
  signature: Uint8Array;
}

/** What travels in an envelope body: the library's message and its type. */
export interface WireMessage {
  type: number;
  body: Uint8Array;
}

/** What a primary hands a device it links, out of band: as in `targets/signal`, the contacts' identities as it knows and verified them. */
export interface Provisioning {
  identity: Uint8Array;
  deviceId: number;
  identities: [string, Uint8Array][];
  verifiedIdentities: [string, Uint8Array][];
  verification: [string, boolean][];
}

export function decodeWireMessage(body: Uint8Array): WireMessage {
  const wire = unpack<WireMessage>(body, 'libsignal message');
  if (typeof wire?.type !== 'number' || !(wire.body instanceof Uint8Array)) {
    throw new LibsignalError('invalid-message', 'malformed libsignal message');
  }
  return wire;
}
