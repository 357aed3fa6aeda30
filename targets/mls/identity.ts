/**
 * Who a leaf is. Each user has an Ed25519 identity key (made by its primary, moved to linked
 * devices out of band as in `signal`); each device is its own MLS leaf with its own signature
 * key, and its basic credential carries the device address, the user's identity key and the
 * identity's signature over (address, leaf signature key). The primary signs the user's device
 * list with the identity key, so a provider cannot slip a device of its own into a group.
 */
import type { Credential } from 'ts-mls';
import type { CryptoBackend } from '../../harness/crypto/backend.ts';
import { RejectionError, type RejectionCode } from '../../harness/errors.ts';
import type { DeviceAddress } from '../../harness/scenario/types.ts';
import { concatBytes, pack, unpack, utf8 } from '../shared/codec.ts';

export interface IdentityKey {
  seed: Uint8Array;
  publicKey: Uint8Array;
}

export interface DeviceCredential {
  address: DeviceAddress;
  identity: Uint8Array;
  signature: Uint8Array;
}

export interface DeviceList {
  user: string;
  identity: Uint8Array;
  version: number;
  devices: string[];
}

const CREDENTIAL_LABEL = utf8.encode('keyhole-mls credential v1\0');
const DEVICE_LIST_LABEL = utf8.encode('keyhole-mls device list v1\0');

/** A credential or device list that does not check out: the harness's coded rejection. */
export class MlsIdentityError extends RejectionError {
  constructor(message: string, code: RejectionCode = 'bad-signature') {
    super(code, message);
    this.name = 'MlsIdentityError';
  }
}

function credentialBytes(address: string, leafKey: Uint8Array): Uint8Array {
  return concatBytes(CREDENTIAL_LABEL, utf8.encode(address), new Uint8Array([0]), leafKey);
}

export function makeCredential(crypto: CryptoBackend, identity: IdentityKey, address: DeviceAddress, leafKey: Uint8Array): Credential {
  const signature = crypto.ed25519Sign(identity.seed, credentialBytes(address, leafKey));
  return { credentialType: 'basic', identity: pack({ address, identity: identity.publicKey, signature } satisfies DeviceCredential) };
}

/** The credential's claims, its signature checked; null when it is not a well-formed, self-consistent one. */
export function openCredential(crypto: CryptoBackend, credential: Credential, leafKey: Uint8Array): DeviceCredential | null {
  if (credential.credentialType !== 'basic') return null;
  let claims: DeviceCredential;
  try {
    claims = unpack<DeviceCredential>(credential.identity, 'mls credential');
  } catch {
    return null;
  }
  if (typeof claims?.address !== 'string' || !claims.address.includes('.')) return null;
  if (!(claims.identity instanceof Uint8Array) || claims.identity.length !== 32) return null;
  if (!(claims.signature instanceof Uint8Array) || claims.signature.length !== 64) return null;
  return crypto.ed25519Verify(claims.identity, credentialBytes(claims.address, leafKey), claims.signature) ? claims : null;
}

/** The device address a leaf's credential names, without checking it (for leaves already validated). */
export function addressOf(credential: Credential): DeviceAddress {
  if (credential.credentialType !== 'basic') throw new MlsIdentityError('not a basic credential');
  return unpack<DeviceCredential>(credential.identity, 'mls credential').address;
}

export function signDeviceList(crypto: CryptoBackend, identity: IdentityKey, list: DeviceList): Uint8Array {
  const encoded = pack(list);
  return pack({ list: encoded, signature: crypto.ed25519Sign(identity.seed, concatBytes(DEVICE_LIST_LABEL, encoded)) });
}

/** A signed list, its self-signature checked; whether to trust the identity in it is the caller's decision. */
export function openDeviceList(crypto: CryptoBackend, signed: Uint8Array, user: string): DeviceList {
  const { list, signature } = unpack<{ list: Uint8Array; signature: Uint8Array }>(signed, 'signed device list');
  if (!(list instanceof Uint8Array) || !(signature instanceof Uint8Array)) throw new MlsIdentityError(`${user}'s device list is malformed`);
  const decoded = unpack<DeviceList>(list, 'device list');
  if (decoded?.user !== user || !Array.isArray(decoded.devices) || !(decoded.identity instanceof Uint8Array) || decoded.identity.length !== 32) {
    throw new MlsIdentityError(`device list is not ${user}'s`);
  }
  if (signature.length !== 64 || !crypto.ed25519Verify(decoded.identity, concatBytes(DEVICE_LIST_LABEL, list), signature)) {
    throw new MlsIdentityError(`${user}'s device list signature does not verify`);
  }
  return decoded;
}
