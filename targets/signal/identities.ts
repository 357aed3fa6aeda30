/**
 * The identities a device knows, and the checks it makes with them: its own identity key
 * pair; each contact's identity, pinned at first contact (trust on first use) and, once the
 * users compared safety numbers, verified; the devices each user's signed list vouches for
 * (and whatever more the device trust policy takes); safety numbers.
 */
import type { DeviceAddress } from '../../harness/scenario/types.ts';
import { alertEach, listChanges } from '../shared/alerts.ts';
import { concatBytes, equalBytes } from '../shared/codec.ts';
import { userOf } from '../shared/pairwise-client.ts';
import { safetyNumber } from '../shared/safety-number.ts';
import type { ClientContext } from '../types.ts';
import { openDeviceList } from './device-list.ts';
import { SignalError } from './errors.ts';
import { identityPublic, type IdentityKeyPair, type IdentityPublic } from './primitives.ts';
import type { DeviceTrustPolicy } from './trust.ts';

/** The client's own step for a user's devices, which a design built on it may override (and which then calls `Identities.devicesOf`). */
export type DevicesOf = (user: string) => Promise<DeviceAddress[]>;

/** The contacts' identities as an image and a provisioning carry them. */
export interface KnownIdentities {
  identities: [string, IdentityPublic][];
  verifiedIdentities: [string, IdentityPublic][];
}

export class Identities {
  #own: IdentityKeyPair | null = null;
  /** Peer user -> identity, pinned at first contact (trust on first use). */
  readonly #pinned = new Map<string, IdentityPublic>();
  /** Peer user -> the identity whose safety number the users compared and found matching. */
  readonly #verified = new Map<string, IdentityPublic>();
  /** The last signed list verified per user, to skip verifying the same bytes again. */
  readonly #verifiedLists = new Map<string, { signed: Uint8Array; devices: DeviceAddress[] }>();

  constructor(
    private readonly context: ClientContext,
    /** Whether the provider's word goes beyond the signed lists (ghost mode). */
    readonly policy: DeviceTrustPolicy,
    /** Peer user -> whether the last safety-number comparison matched (the client's). */
    private readonly verification: Map<string, boolean>,
    /** A known contact's identity changed: its sessions are of the old identity. */
    private readonly onIdentityChanged: (user: string) => void,
  ) {}

  get own(): IdentityKeyPair {
    if (!this.#own) throw new Error(`${this.context.address} has no identity yet`);
    return this.#own;
  }

  set own(identity: IdentityKeyPair) {
    this.#own = identity;
  }

  get ownPublic(): IdentityPublic {
    return identityPublic(this.own);
  }

  /** Whether a peer user's identity is pinned. */
  knows(user: string): boolean {
    return this.#pinned.has(user);
  }

  /** The identity pinned for a peer user, if any. */
  pinned(user: string): IdentityPublic | undefined {
    return this.#pinned.get(user);
  }

  /** This user's own identity, or the one pinned for a peer. */
  identityOf(user: string): IdentityPublic | undefined {
    return user === this.context.user ? this.ownPublic : this.#pinned.get(user);
  }

  vouchedDevices(user: string): readonly DeviceAddress[] | undefined {
    return this.#verifiedLists.get(user)?.devices;
  }

  /** The devices a user vouches for in its signed list (and what the policy adds); the identity in it is pinned on first use. */
  async devicesOf(user: string): Promise<DeviceAddress[]> {
    const listing = await this.context.provider.fetchDevices(user);
    if (!listing.signedList) throw new SignalError('bad-signature', `${user} has no signed device list`);
    const cached = this.#verifiedLists.get(user);
    let devices: DeviceAddress[];
    if (cached && equalBytes(cached.signed, listing.signedList)) devices = cached.devices;
    else {
      const list = openDeviceList(this.context.crypto, listing.signedList, user);
      this.#trust(user, list.identity);
      devices = list.devices.map((device) => `${user}.${device}` as DeviceAddress);
      // Signal tells a user when a device is linked to their own account ("Linked devices":
      // a notice on the phone). A contact's new device shows nothing: the safety number
      // belongs to the account's identity key, which linked devices share.
      if (user === this.context.user) alertEach(this.context, 'new-device', listChanges(cached?.devices, devices).added);
      this.#verifiedLists.set(user, { signed: listing.signedList, devices });
    }
    return this.policy.devicesToTake(user, devices, listing.devices);
  }

  /** Pin a user's identity on first contact; a changed identity of a verified user breaks the verification. */
  #trust(user: string, identity: IdentityPublic): void {
    const pinned = this.#pinned.get(user);
    if (pinned && sameIdentity(pinned, identity)) return;
    if (user === this.context.user) {
      if (!sameIdentity(identity, this.ownPublic)) {
        throw new SignalError('untrusted-identity', `the provider lists a device list for ${user} under another identity`);
      }
      return;
    }
    const verified = this.#verified.get(user);
    if (verified && !sameIdentity(verified, identity)) this.verification.set(user, false);
    // "Your safety number with Bob has changed": Signal shows it in the conversation (and
    // marks a verified contact unverified) whenever a known contact's identity key changes.
    if (pinned) this.context.alert('identity-changed', user);
    this.#pinned.set(user, identity);
    if (pinned) this.onIdentityChanged(user);
  }

  /** A fetched prekey bundle must carry its user's identity (unless the policy takes any). */
  checkBundle(device: DeviceAddress, identity: IdentityPublic): void {
    const expected = this.identityOf(userOf(device));
    if (!this.policy.acceptsAnyIdentity(device) && (!expected || !sameIdentity(expected, identity))) {
      throw new SignalError('untrusted-identity', `${device}'s bundle is not signed by ${userOf(device)}'s identity`);
    }
  }

  /** A device starting a session must be on its user's signed list and present that user's identity (unless the policy takes any). */
  async checkSessionStart(from: DeviceAddress, identity: IdentityPublic, devicesOf: DevicesOf): Promise<void> {
    const sender = userOf(from);
    if (await this.policy.acceptsAnyIdentityAtSessionStart(from, devicesOf)) return; // accepted silently
    if (sender === this.context.user) {
      if (!sameIdentity(identity, this.ownPublic)) {
        throw new SignalError('untrusted-identity', `${from} does not hold this user's identity`);
      }
      // A device of this account it has not seen yet (a newly linked one syncing): the app
      // reads its own signed list again, and shows the new device (devicesOf).
      if (!(this.vouchedDevices(sender)?.includes(from) ?? false) && !(await devicesOf(sender)).includes(from)) {
        throw new SignalError('unknown-device', `${from} is not on this user's signed device list`);
      }
      return;
    }
    const devices = await devicesOf(sender);
    if (!devices.includes(from)) throw new SignalError('unknown-device', `${from} is not on ${sender}'s signed device list`);
    const expected = this.identityOf(sender);
    if (!expected || !sameIdentity(expected, identity)) {
      throw new SignalError('untrusted-identity', `${from} presented an identity that is not ${sender}'s`);
    }
  }

  /**
   * A sealed sender certificate must be under the identity pinned for its user. Under another
   * one, the user's signed list is read again first, as an envelope that names its sender
   * makes the client do (`checkSessionStart`), so a changed key is taken with the app's
   * notice, not refused.
   */
  async checkSealedSender(sender: DeviceAddress, identity: IdentityPublic, devicesOf: DevicesOf): Promise<void> {
    const user = userOf(sender);
    const known = this.identityOf(user);
    if (!known || !sameIdentity(known, identity)) await devicesOf(user);
    const pinned = this.identityOf(user);
    if (!pinned || !sameIdentity(pinned, identity)) throw new SignalError('untrusted-identity', `a sealed sender certificate for ${sender} under an identity that is not ${user}'s`);
  }

  async safetyNumber(peer: string, devicesOf: DevicesOf): Promise<string> {
    if (!this.knows(peer)) await devicesOf(peer);
    const theirs = this.#pinned.get(peer)!;
    const own = this.ownPublic;
    return safetyNumber(
      this.context.crypto,
      { user: this.context.user, key: concatBytes(own.dh, own.signing) },
      { user: peer, key: concatBytes(theirs.dh, theirs.signing) },
    );
  }

  /** The users compared safety numbers and they matched: the pinned identity is the verified one. */
  markVerified(peer: string): void {
    const identity = this.#pinned.get(peer);
    if (identity) this.#verified.set(peer, identity);
  }

  export(): KnownIdentities {
    return { identities: [...this.#pinned], verifiedIdentities: [...this.#verified] };
  }

  import(known: KnownIdentities): void {
    for (const [user, identity] of known.identities) this.#pinned.set(user, identity);
    for (const [user, identity] of known.verifiedIdentities) this.#verified.set(user, identity);
  }
}

function sameIdentity(a: IdentityPublic, b: IdentityPublic): boolean {
  return equalBytes(a.dh, b.dh) && equalBytes(a.signing, b.signing);
}
