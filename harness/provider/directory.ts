/**
 * The provider's public directory: each user's devices with their key bundles and one-time
 * key pools, and the user's signed device list. Every change is stored (the `server`
 * adversary sees it) and recorded in the directory's history for readers that look back.
 */
import { splitAddress as split, type DeviceAddress } from '../scenario/types.ts';
import type { DirectoryHistory } from './directory-history.ts';
import type { BundleResponse, DeviceListing, KeyUpload } from './api.ts';
import type { ItemStore } from './stored-items.ts';
import { ProviderError } from './provider-error.ts';

interface DeviceEntry {
  bundle: Uint8Array;
  pools: Map<string, Uint8Array[]>;
}

interface UserEntry {
  devices: Map<string, DeviceEntry>;
  signedList: Uint8Array | null;
}

export class Directory {
  readonly #users = new Map<string, UserEntry>();

  constructor(
    private readonly store: ItemStore,
    private readonly history: DirectoryHistory,
    /** The version of a directory change: reads made from this wire position on see it. */
    private readonly version: () => number,
  ) {}

  /** A device's published bundle. */
  bundleOf(address: DeviceAddress): Uint8Array {
    const { user, device } = split(address);
    const entry = this.#users.get(user)?.devices.get(device);
    if (!entry) throw new ProviderError(`no such device: ${address}`);
    return entry.bundle;
  }

  /** A device's bundle without taking a one-time key, as anyone may look it up (now, or as of wire record `asOf`). */
  peekBundle(address: DeviceAddress, asOf: number): BundleResponse {
    const oneTimeKeys: Record<string, Uint8Array | null> = {};
    if (asOf === Number.POSITIVE_INFINITY) return { address, bundle: this.bundleOf(address), oneTimeKeys };
    const bundle = this.history.bundle(address, asOf);
    if (!bundle) throw new ProviderError(`no such device: ${address}`);
    return { address, bundle, oneTimeKeys };
  }

  /** How many keys are left in each of a device's one-time key pools. */
  countOneTimeKeys(address: DeviceAddress): Record<string, number> {
    const { user, device } = split(address);
    const entry = this.#users.get(user)?.devices.get(device);
    if (!entry) throw new ProviderError(`no such device: ${address}`);
    return Object.fromEntries([...entry.pools].map(([pool, keys]) => [pool, keys.length]));
  }

  publishKeys(from: DeviceAddress, upload: KeyUpload): void {
    const { user, device } = split(from);
    const entry = this.#user(user);
    const existing = entry.devices.get(device);
    const pools = existing?.pools ?? new Map<string, Uint8Array[]>();
    for (const [pool, keys] of Object.entries(upload.oneTimeKeys ?? {})) {
      pools.set(pool, [...(pools.get(pool) ?? []), ...keys]);
      for (const key of keys) this.store.add('one-time-key', from, key);
    }
    entry.devices.set(device, { bundle: upload.bundle, pools });
    this.store.add('bundle', from, upload.bundle);
    this.history.bundleChanged(this.version(), from, upload.bundle);
    if (!existing) this.#listingChanged(user);
  }

  publishDeviceList(from: DeviceAddress, signedList: Uint8Array): void {
    const { user } = split(from);
    this.#user(user).signedList = signedList;
    this.store.add('device-list', from, signedList);
    this.#listingChanged(user);
  }

  /** A user's devices as the directory lists them: now, or as of wire record `asOf`. */
  listing(user: string, asOf: number): DeviceListing {
    const live = this.#users.get(user);
    const entry = asOf === Number.POSITIVE_INFINITY ? live && { devices: [...live.devices.keys()], signedList: live.signedList } : this.history.listing(user, asOf);
    if (!entry) throw new ProviderError(`no such user: ${user}`);
    return { user, devices: [...entry.devices], signedList: entry.signedList };
  }

  /** A device's bundle with one key taken from each of its one-time key pools (null where a pool is empty). */
  takeBundle(address: DeviceAddress): BundleResponse {
    const { user, device } = split(address);
    const entry = this.#users.get(user)?.devices.get(device);
    if (!entry) throw new ProviderError(`no such device: ${address}`);
    const oneTimeKeys: Record<string, Uint8Array | null> = {};
    // Each one-time key is handed out once, then forgotten (X3DH §3.3).
    for (const [pool, keys] of entry.pools) oneTimeKeys[pool] = keys.shift() ?? null;
    return { address, bundle: entry.bundle, oneTimeKeys };
  }

  /** Removes one of `user`'s devices; returns its address. */
  removeDevice(user: string, device: string): DeviceAddress {
    const address = `${user}.${device}` as DeviceAddress;
    this.#user(user).devices.delete(device);
    this.history.bundleChanged(this.version(), address, null);
    this.#listingChanged(user);
    return address;
  }

  hasDevice(address: DeviceAddress): boolean {
    const { user, device } = split(address);
    return this.#users.get(user)?.devices.has(device) ?? false;
  }

  #listingChanged(user: string): void {
    const entry = this.#user(user);
    this.history.listingChanged(this.version(), user, { devices: [...entry.devices.keys()], signedList: entry.signedList });
  }

  #user(user: string): UserEntry {
    let entry = this.#users.get(user);
    if (!entry) {
      entry = { devices: new Map(), signedList: null };
      this.#users.set(user, entry);
    }
    return entry;
  }
}
