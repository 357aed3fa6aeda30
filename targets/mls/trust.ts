/**
 * Whom an `mls` device trusts: its user's identity key, the identity keys of the users it
 * meets (pinned on first use from their signed device lists, compared through safety
 * numbers), the devices each user's signed list vouches for, and, kept by the primary, the
 * list it signs itself. ts-mls's authentication service asks it whether a leaf's credential
 * is signed by its user's identity.
 */
import type { Credential } from 'ts-mls';

import type { DeviceAddress } from '../../harness/scenario/types.ts';
import { equalBytes, pack, unpack } from '../shared/codec.ts';
import type { ClientContext, SendOutcome } from '../types.ts';
import { userOf } from './device.ts';
import { openCredential, openDeviceList, signDeviceList, MlsIdentityError, type IdentityKey } from './identity.ts';

export interface SignedList {
  version: number;
  devices: string[];
}

export class MlsTrust {
  readonly #context: ClientContext;
  identity: IdentityKey | null = null;
  /** Peer user -> identity key, pinned at first contact (trust on first use). */
  readonly pinned = new Map<string, Uint8Array>();
  readonly verification = new Map<string, boolean>();
  readonly verifiedIdentities = new Map<string, Uint8Array>();
  /** Kept by the primary: the list it signs. */
  deviceList: SignedList | null = null;
  /** The last signed list verified per user. */
  readonly #lists = new Map<string, { signed: Uint8Array; devices: DeviceAddress[] }>();
  /** Per user, the last device list refused for another identity (its alert already shown). */
  readonly #refusedLists = new Map<string, Uint8Array>();

  constructor(context: ClientContext) {
    this.#context = context;
  }

  /** The identity key moved here from the primary, or (a primary) a new one. */
  adoptIdentity(provisioning: Uint8Array | undefined): void {
    const { crypto, rng } = this.#context;
    if (provisioning) {
      this.identity = unpack<{ identity: IdentityKey }>(provisioning, 'provisioning').identity;
    } else {
      const seed = rng.bytes(32);
      this.identity = { seed, publicKey: crypto.ed25519PublicKey(seed) };
    }
  }

  /** The primary's first list: itself alone. */
  async startDeviceList(): Promise<void> {
    this.deviceList = { version: 1, devices: [this.#context.device] };
    await this.#publishDeviceList();
  }

  /** The primary lists a new device and hands it the identity key. */
  async provisionDevice(device: string): Promise<Uint8Array> {
    const list = this.#requireDeviceList();
    this.deviceList = { version: list.version + 1, devices: [...list.devices, device] };
    await this.#publishDeviceList();
    // Out of band (a QR code scanned in person): the identity key moves to the new device.
    return pack({ identity: this.requireIdentity() });
  }

  async unlinkDevice(device: string): Promise<void> {
    const list = this.#requireDeviceList();
    this.deviceList = { version: list.version + 1, devices: list.devices.filter((d) => d !== device) };
    await this.#publishDeviceList();
  }

  /** A send refused because a safety number with one of `users` did not match; null when none. */
  refused(users: readonly string[]): SendOutcome | null {
    const refused = users.filter((u) => this.verification.get(u) === false);
    return refused.length > 0 ? { sent: false, reason: `safety number with ${refused.join(', ')} did not match` } : null;
  }

  async recordVerification(peer: string, matched: boolean): Promise<void> {
    this.verification.set(peer, matched);
    // The comparison made on the primary is synced to the user's other devices; a device
    // that has not met the peer yet pins the identity now.
    if (matched) this.verifiedIdentities.set(peer, await this.identityOf(peer));
  }

  /** ts-mls's authentication service: a credential signed by its user's identity as this device knows it. */
  async validCredential(credential: Credential, leafKey: Uint8Array): Promise<boolean> {
    try {
      const claims = openCredential(this.#context.crypto, credential, leafKey);
      if (!claims) return false;
      return equalBytes(claims.identity, await this.identityOf(userOf(claims.address)));
    } catch {
      return false;
    }
  }

  /** A user's identity key: own, pinned, or pinned now from the user's signed device list (trust on first use). */
  async identityOf(user: string): Promise<Uint8Array> {
    if (user === this.#context.user) return this.requireIdentity().publicKey;
    const pinned = this.pinned.get(user);
    if (pinned) return pinned;
    await this.signedDevices(user);
    return this.pinned.get(user)!;
  }

  /** The devices a user vouches for in its signed list; its identity is pinned on first use and must not change. */
  async signedDevices(user: string): Promise<DeviceAddress[]> {
    const listing = await this.#context.provider.fetchDevices(user);
    if (!listing.signedList) throw new MlsIdentityError(`${user} has no signed device list`);
    const cached = this.#lists.get(user);
    if (cached && equalBytes(cached.signed, listing.signedList)) return cached.devices;
    const list = openDeviceList(this.#context.crypto, listing.signedList, user);
    const expected = user === this.#context.user ? this.requireIdentity().publicKey : this.pinned.get(user);
    if (expected && !equalBytes(expected, list.identity)) {
      // The pinned identity never changes here: the app warns the user once per list and
      // keeps to the devices it verified last (none yet: the list is refused).
      if (!equalBytes(this.#refusedLists.get(user) ?? new Uint8Array(0), listing.signedList)) {
        this.#refusedLists.set(user, listing.signedList);
        this.#context.alert('identity-changed', user);
      }
      if (cached) return cached.devices;
      throw new MlsIdentityError(`${user}'s device list is signed by another identity`, 'untrusted-identity');
    }
    if (!expected) this.pinned.set(user, list.identity);
    const devices = list.devices.map((device) => `${user}.${device}` as DeviceAddress);
    this.#lists.set(user, { signed: listing.signedList, devices });
    return devices;
  }

  requireIdentity(): IdentityKey {
    if (!this.identity) throw new Error(`${this.#context.address} has no identity yet`);
    return this.identity;
  }

  async #publishDeviceList(): Promise<void> {
    const list = this.#requireDeviceList();
    const identity = this.requireIdentity();
    await this.#context.provider.publishDeviceList(
      signDeviceList(this.#context.crypto, identity, { user: this.#context.user, identity: identity.publicKey, ...list }),
    );
  }

  #requireDeviceList(): SignedList {
    if (!this.deviceList) throw new Error(`${this.#context.address} is not the primary device: it keeps no device list`);
    return this.deviceList;
  }
}
