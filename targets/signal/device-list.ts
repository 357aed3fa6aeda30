/**
 * A user's device list, signed by the user's identity key (as WhatsApp's signed device
 * lists): senders encrypt only to devices the user itself vouches for, so a provider cannot
 * slip in a device of its own.
 */
import type { CryptoBackend } from '../../harness/crypto/backend.ts';
import { concatBytes, pack, unpack } from '../shared/codec.ts';
import { SignalError } from './errors.ts';
import { LABELS, type IdentityKeyPair, type IdentityPublic } from './primitives.ts';

export interface DeviceList {
  user: string;
  identity: IdentityPublic;
  version: number;
  devices: string[];
}

interface SignedDeviceList {
  list: Uint8Array;
  signature: Uint8Array;
}

export function signDeviceList(crypto: CryptoBackend, identity: IdentityKeyPair, list: DeviceList): Uint8Array {
  const encoded = pack(list);
  const signature = crypto.ed25519Sign(identity.signing.seed, concatBytes(LABELS.deviceList, encoded));
  return pack({ list: encoded, signature } satisfies SignedDeviceList);
}

/** Opens a signed list and checks its self-signature; the caller decides whether to trust the identity in it. */
export function openDeviceList(crypto: CryptoBackend, signed: Uint8Array, user: string): DeviceList {
  const { list, signature } = unpack<SignedDeviceList>(signed, 'signed device list');
  const decoded = unpack<DeviceList>(list, 'device list');
  if (decoded?.user !== user || !Array.isArray(decoded.devices) || !(decoded.identity?.signing instanceof Uint8Array)) {
    throw new SignalError('bad-signature', `device list is not ${user}'s`);
  }
  if (!(signature instanceof Uint8Array) || signature.length !== 64 || !crypto.ed25519Verify(decoded.identity.signing, concatBytes(LABELS.deviceList, list), signature)) {
    throw new SignalError('bad-signature', `${user}'s device list signature does not verify`);
  }
  return decoded;
}
