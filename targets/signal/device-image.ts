/**
 * What of a device's state leaves it: the keys its image holds (what a seized device, or a
 * backup, gives whoever restores it), and the provisioning a primary hands a device it links
 * out of band (a QR code scanned in person). Both keep the layout they always had, field by
 * field and in order, so images and provisionings encode to the same bytes.
 */
import { pack, unpack } from '../shared/codec.ts';
import type { DeviceList } from './device-list.ts';
import type { SenderKeyGroups, SenderKeyState } from './groups.ts';
import type { Identities, KnownIdentities } from './identities.ts';
import type { OwnDeviceList } from './own-device-list.ts';
import type { Prekeys, PrekeyState } from './prekeys.ts';
import type { IdentityKeyPair } from './primitives.ts';
import type { Session, Sessions } from './sessions.ts';

/** A device image's keys. */
export interface SignalKeys extends PrekeyState, KnownIdentities, SenderKeyState {
  identity: IdentityKeyPair;
  sessions: [string, Session[]][];
  deviceList: DeviceList | null;
}

/** The parts of a client whose state an image holds. */
export interface ImageParts {
  identities: Identities;
  prekeys: Prekeys;
  sessions: Sessions;
  deviceList: OwnDeviceList;
  groups: SenderKeyGroups;
}

export function exportKeys(parts: ImageParts): SignalKeys {
  const { identities: contacts, verifiedIdentities } = parts.identities.export();
  const { ownSenderKeys, peerSenderKeys } = parts.groups.export();
  return {
    identity: parts.identities.own,
    ...parts.prekeys.export(),
    sessions: parts.sessions.export(),
    identities: contacts,
    verifiedIdentities,
    deviceList: parts.deviceList.export(),
    ownSenderKeys,
    peerSenderKeys,
  } satisfies SignalKeys;
}

export function importKeys(parts: ImageParts, keys: SignalKeys): void {
  parts.identities.own = keys.identity;
  parts.prekeys.import(keys);
  parts.sessions.import(keys.sessions);
  parts.identities.import(keys);
  parts.deviceList.import(keys.deviceList);
  parts.groups.import(keys);
}

/** What a primary hands a device it links: the identity key pair, and the contacts' identities and verification as it knows them. */
interface Provisioning extends KnownIdentities {
  identity: IdentityKeyPair;
  verification: [string, boolean][];
}

export function provisioningOf(identities: Identities, verification: ReadonlyMap<string, boolean>): Uint8Array {
  const { identities: contacts, verifiedIdentities } = identities.export();
  return pack({ identity: identities.own, identities: contacts, verifiedIdentities, verification: [...verification] } satisfies Provisioning);
}

/** On the linked device: take the identity, contacts and verification its primary handed over. */
export function acceptProvisioning(provisioning: Uint8Array, identities: Identities, verification: Map<string, boolean>): void {
  const provisioned = unpack<Provisioning>(provisioning, 'provisioning');
  identities.own = provisioned.identity;
  identities.import(provisioned);
  for (const [user, matched] of provisioned.verification) verification.set(user, matched);
}
