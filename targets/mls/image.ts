/**
 * The device image of an `mls` device (what the `stolen-device` and `clone` adversaries copy):
 * its keys, KeyPackages, every group's state (and the state before its last commit), whom it
 * trusts, and its stored history; and a fresh client restored from one.
 */
import { decodeGroupState, encodeGroupState, type ClientConfig, type ClientState } from 'ts-mls';

import { pack, unpack } from '../shared/codec.ts';
import { MessageHistory } from '../shared/history.ts';
import { MlsError } from './device.ts';
import type { GroupRecord, MlsGroups } from './groups.ts';
import type { IdentityKey } from './identity.ts';
import type { KeyPackages, StoredKeyPackage } from './key-packages.ts';
import type { MlsTrust, SignedList } from './trust.ts';

interface Image {
  identity: IdentityKey;
  signing: IdentityKey;
  keyPackages: [string, StoredKeyPackage][];
  groups: [string, Omit<GroupRecord, 'state' | 'previous'> & { state: Uint8Array; previous: { state: Uint8Array; committer: number } | null }][];
  pinned: [string, Uint8Array][];
  verification: [string, boolean][];
  verifiedIdentities: [string, Uint8Array][];
  deviceList: SignedList | null;
  counter: number;
  history: Uint8Array;
}

/** The parts of a device an image holds. */
export interface DeviceParts {
  trust: MlsTrust;
  keyPackages: KeyPackages;
  groups: MlsGroups;
}

export function exportImage({ trust, keyPackages, groups }: DeviceParts, history: () => MessageHistory): Uint8Array {
  const image: Image = {
    identity: trust.requireIdentity(),
    signing: keyPackages.signing!,
    keyPackages: [...keyPackages.stored],
    groups: [...groups.records].map(([id, record]) => [
      id,
      {
        ...record,
        state: encodeGroupState(record.state),
        previous: record.previous && { state: encodeGroupState(record.previous.state), committer: record.previous.committer },
      },
    ]),
    pinned: [...trust.pinned],
    verification: [...trust.verification],
    verifiedIdentities: [...trust.verifiedIdentities],
    deviceList: trust.deviceList,
    counter: groups.counter,
    history: history().exportFile(),
  };
  return pack(image);
}

/** Restores an image into the parts of a fresh client; every group state gets `config`. Returns the restored history. */
export async function restoreImage(bytes: Uint8Array, { trust, keyPackages, groups }: DeviceParts, config: ClientConfig): Promise<MessageHistory> {
  const image = unpack<Image>(bytes, 'device image');
  trust.identity = image.identity;
  keyPackages.signing = image.signing;
  for (const [ref, entry] of image.keyPackages) keyPackages.stored.set(ref, entry);
  const decode = (id: string, bytes: Uint8Array): ClientState => {
    const decoded = decodeGroupState(bytes, 0)?.[0];
    if (!decoded) throw new MlsError(`the image's state of ${id} does not decode`);
    return { ...decoded, clientConfig: config };
  };
  for (const [id, record] of image.groups) {
    const previous = record.previous && { state: decode(id, record.previous.state), committer: record.previous.committer };
    groups.records.set(id, { ...record, state: decode(id, record.state), previous });
  }
  for (const [user, key] of image.pinned) trust.pinned.set(user, key);
  for (const [user, matched] of image.verification) trust.verification.set(user, matched);
  for (const [user, key] of image.verifiedIdentities) trust.verifiedIdentities.set(user, key);
  trust.deviceList = image.deviceList;
  groups.counter = image.counter;
  return MessageHistory.open({ secureDelete: true }, image.history);
}
