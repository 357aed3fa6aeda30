/**
 * Whom a `libsignal` device trusts, the app layer the library leaves to its caller (as in
 * `targets/signal`): each user's devices as their signed device list names them, with the
 * numeric device ids the library addresses them by; the identity key in that list, pinned on
 * first use; the identities whose safety numbers the users compared; and, kept by the
 * primary, the list it signs itself.
 */
import { ProtocolAddress, PublicKey } from '@signalapp/libsignal-client';
import { splitAddress, type DeviceAddress } from '../../harness/scenario/types.ts';
import { alertEach, listChanges } from '../shared/alerts.ts';
import { concatBytes, equalBytes, pack, unpack, utf8 } from '../shared/codec.ts';
import type { ClientContext } from '../types.ts';
import { LibsignalError } from './errors.ts';
import { own, type DeviceStores } from './stores.ts';

/** What the device list signature covers before the list: it cannot pass for another signed message. */
const DEVICE_LIST_LABEL = utf8.encode('keyhole libsignal device list');

/** A user's devices with the numeric device ids libsignal addresses them by, signed by the user's identity key. */
export interface DeviceList {
  user: string;
  identity: Uint8Array;
  version: number;
  devices: { name: string; id: number }[];
  nextId: number;
}

interface SignedDeviceList {
  list: Uint8Array;
  signature: Uint8Array;
}

export class LibsignalTrust {
  /** Peer user -> the identity whose safety number the users compared and found matching. */
  readonly verifiedIdentities = new Map<string, Uint8Array>();
  /** Kept by the primary: the list it signs. */
  deviceList: DeviceList | null = null;
  /** The last signed list verified per user, and the device ids in it. */
  readonly #verifiedLists = new Map<string, { signed: Uint8Array; devices: Map<DeviceAddress, number> }>();
  readonly #context: ClientContext;
  readonly #stores: () => DeviceStores;
  /** The client's verification state (peer user -> whether the safety numbers matched). */
  readonly #verification: Map<string, boolean>;
  readonly #sign: (message: Uint8Array) => Uint8Array<ArrayBuffer>;

  constructor(context: ClientContext, stores: () => DeviceStores, verification: Map<string, boolean>, sign: (message: Uint8Array) => Uint8Array<ArrayBuffer>) {
    this.#context = context;
    this.#stores = stores;
    this.#verification = verification;
    this.#sign = sign;
  }

  // --- this user's list, kept by the primary ----------------------------------------------

  /** The primary's first list: itself alone, device id 1. */
  async startDeviceList(): Promise<void> {
    this.deviceList = {
      user: this.#context.user,
      identity: this.#stores().identity.identity.publicKey.serialize(),
      version: 1,
      devices: [{ name: this.#context.device, id: 1 }],
      nextId: 2,
    };
    await this.#publishDeviceList();
  }

  /** The primary lists a new device; its device id. */
  async addDevice(device: string): Promise<number> {
    const list = this.#requireDeviceList();
    const id = list.nextId;
    if (id > 127) throw new Error('libsignal device ids end at 127');
    this.deviceList = { ...list, version: list.version + 1, devices: [...list.devices, { name: device, id }], nextId: id + 1 };
    await this.#publishDeviceList();
    return id;
  }

  async removeDevice(device: string): Promise<void> {
    const list = this.#requireDeviceList();
    this.deviceList = { ...list, version: list.version + 1, devices: list.devices.filter((d) => d.name !== device) };
    await this.#publishDeviceList();
  }

  async #publishDeviceList(): Promise<void> {
    const list = pack(this.#requireDeviceList());
    const signed: SignedDeviceList = { list, signature: this.#sign(concatBytes(DEVICE_LIST_LABEL, list)) };
    await this.#context.provider.publishDeviceList(pack(signed));
  }

  #requireDeviceList(): DeviceList {
    if (!this.deviceList) throw new Error(`${this.#context.address} is not the primary device: it keeps no device list`);
    return this.deviceList;
  }

  // --- other users' lists and identities --------------------------------------------------

  /** The devices a user vouches for in its signed list, and their device ids; the identity in it is pinned on first use. */
  async deviceIds(user: string): Promise<Map<DeviceAddress, number>> {
    const listing = await this.#context.provider.fetchDevices(user);
    if (!listing.signedList) throw new LibsignalError('bad-signature', `${user} has no signed device list`);
    const cached = this.#verifiedLists.get(user);
    if (cached && equalBytes(cached.signed, listing.signedList)) return cached.devices;
    const list = openDeviceList(listing.signedList, user);
    this.#trustIdentity(user, PublicKey.deserialize(own(list.identity)));
    const devices = new Map(list.devices.map((d) => [`${user}.${d.name}` as DeviceAddress, d.id]));
    // The app layer is Signal's (targets/signal): a device linked to one's own account is announced.
    if (user === this.#context.user && cached) alertEach(this.#context, 'new-device', listChanges([...cached.devices.keys()], [...devices.keys()]).added);
    this.#verifiedLists.set(user, { signed: listing.signedList, devices });
    return devices;
  }

  /** The library's address of a device: only a device on its user's signed list has one. */
  async protocolAddress(device: DeviceAddress): Promise<ProtocolAddress> {
    const { user } = splitAddress(device);
    const id = (await this.deviceIds(user)).get(device);
    if (id === undefined) throw new LibsignalError('unknown-device', `${device} is not on ${user}'s signed device list`);
    return ProtocolAddress.new(user, id);
  }

  /** The identity key a user's bundles must be under: this device's own, or the one pinned. */
  identityOf(user: string): PublicKey | null {
    const stores = this.#stores();
    return user === this.#context.user ? stores.identity.identity.publicKey : stores.identity.pinned(user);
  }

  /** Pin a user's identity on first contact; a changed identity of a verified user breaks the verification. */
  #trustIdentity(user: string, identity: PublicKey): void {
    const stores = this.#stores();
    if (user === this.#context.user) {
      if (!identity.equals(stores.identity.identity.publicKey)) {
        throw new LibsignalError('untrusted-identity', `the provider lists a device list for ${user} under another identity`);
      }
      return;
    }
    const pinned = stores.identity.pinned(user);
    if (pinned && pinned.equals(identity)) return;
    const verified = this.verifiedIdentities.get(user);
    if (verified && !equalBytes(verified, identity.serialize())) this.#verification.set(user, false);
    // Signal's safety number change notice (targets/signal).
    if (pinned) this.#context.alert('identity-changed', user);
    stores.identity.pin(user, identity);
    if (pinned) stores.sessions.dropUser(user);
  }
}

/** Opens a signed list and checks its self-signature with the library; the caller decides whether to trust the identity in it. */
function openDeviceList(signed: Uint8Array, user: string): DeviceList {
  const { list, signature } = unpack<SignedDeviceList>(signed, 'signed device list');
  const decoded = unpack<DeviceList>(list, 'device list');
  if (decoded?.user !== user || !Array.isArray(decoded.devices) || !(decoded.identity instanceof Uint8Array)) {
    throw new LibsignalError('bad-signature', `device list is not ${user}'s`);
  }
  const identity = PublicKey.deserialize(own(decoded.identity));
  if (!(signature instanceof Uint8Array) || !identity.verify(own(concatBytes(DEVICE_LIST_LABEL, list)), own(signature))) {
    throw new LibsignalError('bad-signature', `${user}'s device list signature does not verify`);
  }
  return decoded;
}
