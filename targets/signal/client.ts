/**
 * The reference messenger's client: PQXDH session set-up, a Double Ratchet session per
 * peer device, signed device lists, safety numbers, and a message history deleted securely.
 * Options turn it into the weakened designs of the exceptional-access debate.
 */
import type { CryptoBackend } from '../../harness/crypto/backend.ts';
import type { Envelope, KeyUpload, OutgoingEnvelope } from '../../harness/provider/api.ts';
import type { Addressee, DeviceAddress } from '../../harness/scenario/types.ts';
import { alertEach, alertRejection, listChanges } from '../shared/alerts.ts';
import { concatBytes, equalBytes, pack, unpack } from '../shared/codec.ts';
import { PairwiseClient, userOf } from '../shared/pairwise-client.ts';
import { safetyNumber } from '../shared/safety-number.ts';
import type { ClientContext, ReceivedMessage } from '../types.ts';
import { asRejection } from '../shared/wire.ts';
import { SEALED_SENDER, sealedLayer, sealSender, unsealAsRecipient, unsealAsSender, unsealWithOracle, type SealedContent } from './sealed-sender.ts';
import { openDeviceList, signDeviceList, type DeviceList } from './device-list.ts';
import { SignalError } from './errors.ts';
import { checkPrekeyHeader, initiate, prekeySignedBytes, respond, type OneTimeKyberPrekey, type OneTimePrekey, type PrekeyBundle, type PrekeyHeader } from './pqxdh.ts';
import { POOLS, Prekeys, type OneTimeBatch, type PrekeyState } from './prekeys.ts';
import {
  generateIdentity,
  identityPublic,
  LABELS,
  LIMITS,
  type DhKeyPair,
  type IdentityKeyPair,
  type IdentityPublic,
} from './primitives.ts';
import * as ratchet from './ratchet.ts';
import { openRoster, signRoster } from './roster.ts';
import {
  acceptDistribution,
  createSenderKey,
  decodeDistribution,
  decryptGroup,
  distributionOf,
  encryptGroup,
  type OwnSenderKey,
  type PeerSenderKey,
  type SenderKeyDistribution,
} from './sender-keys.ts';

export interface SignalOptions {
  /** Delete history with SQLite's secure_delete (the reference does). */
  secureDelete: boolean;
  /**
   * Also trust devices the provider lists for a user without the user's signature, and let
   * them present any identity, silently (the GCHQ "ghost user" proposal, Levy & Robinson
   * 2018). Devices on the user's signed list are still checked against its identity.
   */
  trustProviderDeviceList?: boolean;
  /**
   * Make a new sender key after a member leaves a group (the reference does; turning it off
   * shows what the rotation protects).
   */
  rotateSenderKeys?: boolean;
  /**
   * Mix PQXDH's ML-KEM shared secret into every session key (PQXDH §3.3; the reference does).
   * Off: X3DH alone, whose four Diffie-Hellman values a discrete-log oracle breaks.
   */
  postQuantum?: boolean;
  /**
   * Sealed sender: envelopes to other users carry the sender's address and identity inside
   * the encryption and name only the recipient; each message received is answered with a
   * sealed delivery receipt to its sender, as the app does. Copies to the user's own devices
   * go as before (Signal sends them as sync messages over the authenticated connection).
   */
  sealedSender?: boolean;
}

/** One Double Ratchet session with a peer device. */
interface Session {
  ratchet: ratchet.RatchetState;
  /** The initiator's PQXDH header, sent with every message until the peer replies. */
  pending: PrekeyHeader | null;
  baseKey: Uint8Array;
  remoteIdentity: IdentityPublic;
}

/** What travels in an envelope body. */
interface WireMessage {
  prekey: PrekeyHeader | null;
  message: ratchet.RatchetMessage;
}

/** What a primary hands a device it links, out of band. */
interface Provisioning {
  identity: IdentityKeyPair;
  identities: [string, IdentityPublic][];
  verifiedIdentities: [string, IdentityPublic][];
  verification: [string, boolean][];
}

/** A group message: encrypted once with the sender key, plus the sender key itself (sealed pairwise) the first time. */
interface GroupWireMessage {
  senderKey: { group: string; distribution: Uint8Array | null; message: Uint8Array };
}

/** This device's sender key for a group, the members it was made for, and the devices that have it. */
interface OwnGroupKey {
  key: OwnSenderKey;
  members: string[];
  distributedTo: DeviceAddress[];
}

interface Keys extends PrekeyState {
  identity: IdentityKeyPair;
  sessions: [string, Session[]][];
  identities: [string, IdentityPublic][];
  verifiedIdentities: [string, IdentityPublic][];
  deviceList: DeviceList | null;
  ownSenderKeys: [string, OwnGroupKey][];
  peerSenderKeys: [string, PeerSenderKey][];
}

export class SignalClient extends PairwiseClient {
  #identity: IdentityKeyPair | null = null;
  /** The signed, last-resort and one-time prekeys, and their upkeep on the run's clock. */
  readonly #prekeys: Prekeys;
  /** Peer device -> sessions, current first. */
  readonly #sessions = new Map<string, Session[]>();
  /** Peer user -> identity, pinned at first contact (trust on first use). */
  readonly #identities = new Map<string, IdentityPublic>();
  /** Peer user -> the identity whose safety number the users compared and found matching. */
  readonly #verifiedIdentities = new Map<string, IdentityPublic>();
  /** Kept by the primary: the list it signs. */
  #deviceList: DeviceList | null = null;
  /** The last signed list verified per user, to skip verifying the same bytes again. */
  readonly #verifiedLists = new Map<string, { signed: Uint8Array; devices: DeviceAddress[] }>();

  readonly #trustProviderDeviceList: boolean;
  readonly #rotateSenderKeys: boolean;
  readonly #postQuantum: boolean;
  readonly #sealedSender: boolean;
  /** Group -> this device's sender key. */
  readonly #ownSenderKeys = new Map<string, OwnGroupKey>();
  /** Own sender keys this image read back out of its own distributions (see `#openOwnGroupMessage`), by group. */
  readonly #handedOverSenderKeys = new Map<string, SenderKeyDistribution[]>();
  /** `device|group` -> the sender key another device handed us. */
  readonly #peerSenderKeys = new Map<string, PeerSenderKey>();
  /** The last signed roster verified per group. */
  readonly #verifiedRosters = new Map<string, { signed: Uint8Array; members: string[] }>();
  /** The members of each group as this device's app last showed them, and (ghost mode) those it took silently. */
  readonly #shownMembers = new Map<string, string[]>();
  readonly #silentMembers = new Map<string, Set<string>>();
  /** `device|group` -> a sender key derived again from a session start (`openSessionStart` only). */
  readonly #rederivedSenderKeys = new Map<string, PeerSenderKey>();

  constructor(context: ClientContext, options: SignalOptions) {
    super(context, { secureDelete: options.secureDelete });
    this.#prekeys = new Prekeys(context.crypto, context.rng);
    this.#trustProviderDeviceList = options.trustProviderDeviceList ?? false;
    this.#rotateSenderKeys = options.rotateSenderKeys ?? true;
    this.#postQuantum = options.postQuantum ?? true;
    this.#sealedSender = options.sealedSender ?? false;
  }

  // --- registration and devices -------------------------------------------------------

  protected async createKeys(provisioning?: Uint8Array): Promise<KeyUpload> {
    const { crypto, rng } = this.context;
    if (provisioning) {
      const provisioned = unpack<Provisioning>(provisioning, 'provisioning');
      this.#identity = provisioned.identity;
      for (const [user, identity] of provisioned.identities) this.#identities.set(user, identity);
      for (const [user, identity] of provisioned.verifiedIdentities) this.#verifiedIdentities.set(user, identity);
      for (const [user, matched] of provisioned.verification) this.verification.set(user, matched);
    } else {
      this.#identity = generateIdentity(crypto, rng);
    }
    return this.#upload(this.#prekeys.create(this.context.now()));
  }

  /** What to publish: the bundle (current signed and last-resort prekeys, signed) and new one-time prekeys, if any. */
  #upload(batch: OneTimeBatch | null): KeyUpload {
    const signed = this.#prekeys.signedPrekey;
    const lastResort = this.#prekeys.lastResort;
    const bundle: PrekeyBundle = {
      identity: identityPublic(this.#requireIdentity()),
      signedPrekey: { id: signed.id, publicKey: signed.pair.publicKey, signature: this.#sign(LABELS.signedPrekey, signed.id, signed.pair.publicKey) },
      kyberPrekey: { id: lastResort.id, publicKey: lastResort.publicKey, signature: this.#sign(LABELS.kyberPrekey, lastResort.id, lastResort.publicKey) },
    };
    if (!batch) return { bundle: pack(bundle) };
    return {
      bundle: pack(bundle),
      oneTimeKeys: {
        [POOLS.prekey]: batch.prekeys.map((prekey) => pack(prekey satisfies OneTimePrekey)),
        [POOLS.kyber]: batch.kyber.map(({ id, publicKey }) => pack({ id, publicKey, signature: this.#sign(LABELS.kyberPrekey, id, publicKey) } satisfies OneTimeKyberPrekey)),
      },
    };
  }

  /**
   * PQXDH §3.2, on the run's clock: a new signed prekey and last-resort ML-KEM prekey when
   * theirs are due, replaced ones deleted after the grace period, and one-time prekeys
   * refilled when the provider runs low.
   */
  async maintain(): Promise<void> {
    await this.#publishPrekeys(this.#prekeys.rotate(this.context.now()));
  }

  /** After a session start used up a one-time prekey: refill them if the provider is running low. */
  async #refillIfLow(): Promise<void> {
    try {
      await this.#publishPrekeys(false);
    } catch {
      // Off the provider (a restored copy): the stock is refilled at the next upkeep, if ever.
    }
  }

  /** Publish the bundle if it changed, with new one-time prekeys for each pool the provider runs low on. */
  async #publishPrekeys(bundleChanged: boolean): Promise<void> {
    const batch = this.#prekeys.refill(await this.context.provider.countOneTimeKeys());
    if (bundleChanged || batch) await this.context.provider.publishKeys(this.#upload(batch));
  }

  override async register(provisioning?: Uint8Array): Promise<void> {
    await super.register(provisioning);
    if (!provisioning) {
      this.#deviceList = { user: this.context.user, identity: identityPublic(this.#requireIdentity()), version: 1, devices: [this.context.device] };
      await this.#publishDeviceList();
    }
  }

  override async provisionDevice(device: string): Promise<Uint8Array> {
    const list = this.#requireDeviceList();
    this.#deviceList = { ...list, version: list.version + 1, devices: [...list.devices, device] };
    await this.#publishDeviceList();
    // Out of band (a QR code scanned in person): the identity key pair moves to the new
    // device, with the contacts' identities as this device knows and verified them.
    return pack({
      identity: this.#requireIdentity(),
      identities: [...this.#identities],
      verifiedIdentities: [...this.#verifiedIdentities],
      verification: [...this.verification],
    } satisfies Provisioning);
  }

  override async unlinkDevice(device: string): Promise<void> {
    const list = this.#requireDeviceList();
    this.#deviceList = { ...list, version: list.version + 1, devices: list.devices.filter((d) => d !== device) };
    await this.#publishDeviceList();
    await super.unlinkDevice(device);
  }

  /** The devices a user vouches for in its signed list; the identity in it is pinned on first use. */
  protected override async devicesOf(user: string): Promise<DeviceAddress[]> {
    const listing = await this.context.provider.fetchDevices(user);
    if (!listing.signedList) throw new SignalError('bad-signature', `${user} has no signed device list`);
    const cached = this.#verifiedLists.get(user);
    let devices: DeviceAddress[];
    if (cached && equalBytes(cached.signed, listing.signedList)) devices = cached.devices;
    else {
      const list = openDeviceList(this.context.crypto, listing.signedList, user);
      this.#trustIdentity(user, list.identity);
      devices = list.devices.map((device) => `${user}.${device}` as DeviceAddress);
      // Signal tells a user when a device is linked to their own account ("Linked devices":
      // a notice on the phone). A contact's new device shows nothing: the safety number
      // belongs to the account's identity key, which linked devices share.
      if (user === this.context.user) alertEach(this.context, 'new-device', listChanges(cached?.devices, devices).added);
      this.#verifiedLists.set(user, { signed: listing.signedList, devices });
    }
    if (!this.#trustProviderDeviceList) return devices;
    // Ghost mode: whatever else the provider lists is taken too, without telling the user.
    const added = listing.devices.map((device) => `${user}.${device}` as DeviceAddress).filter((d) => !devices.includes(d));
    return [...devices, ...added];
  }

  /** Ghost mode only: a device the provider lists for a user that the user's signed list does not vouch for. */
  #providerAdded(address: DeviceAddress): boolean {
    if (!this.#trustProviderDeviceList) return false;
    const signed = this.#verifiedLists.get(userOf(address));
    return signed !== undefined && !signed.devices.includes(address);
  }

  // --- messages -----------------------------------------------------------------------

  protected async seal(to: DeviceAddress, plaintext: Uint8Array): Promise<Uint8Array> {
    let session = this.#sessions.get(to)?.[0];
    if (!session) session = await this.#startSession(to);
    const message = ratchet.encrypt(session.ratchet, this.context.crypto, plaintext, this.context.rng);
    return pack({ prekey: session.pending, message } satisfies WireMessage);
  }

  protected async open(envelope: Envelope): Promise<Uint8Array> {
    const decoded = unpack<Partial<GroupWireMessage & WireMessage>>(envelope.body, 'signal message');
    const group = asGroupWireMessage(decoded);
    if (group) return this.#openGroup(envelope, group.senderKey);
    return this.#openPairwise(envelope, asWireMessage(decoded));
  }

  async #openPairwise(envelope: Envelope, wire: WireMessage = decodeWireMessage(envelope.body)): Promise<Uint8Array> {
    const sessions = this.#sessions.get(envelope.from) ?? [];
    if (wire.prekey) {
      const existing = sessions.find((s) => equalBytes(s.baseKey, wire.prekey!.baseKey));
      if (existing) return this.#decryptIn(existing, wire);
      return this.#acceptSession(envelope.from, wire.prekey, wire.message);
    }
    let lastError: unknown = null;
    for (const session of sessions) {
      try {
        return this.#decryptIn(session, wire);
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError ?? new SignalError('no-session', `no session with ${envelope.from}`);
  }

  // --- sealed sender -------------------------------------------------------------------

  /** An envelope to another user, its sender sealed inside; copies to this user's own devices stay as they are. */
  #sealEnvelope(envelope: OutgoingEnvelope): OutgoingEnvelope {
    const user = userOf(envelope.to);
    const identity = this.#identities.get(user);
    if (user === this.context.user || !identity) return envelope;
    return { to: envelope.to, body: this.#sealTo(envelope.to, identity, { body: envelope.body, receipt: null }), sealed: true };
  }

  #sealTo(to: DeviceAddress, identity: IdentityPublic, content: SealedContent): Uint8Array {
    const own = this.#requireIdentity();
    return sealSender(this.context.crypto, this.context.rng, { address: this.context.address, identity: own, identityPublic: identityPublic(own) }, { address: to, identity }, content);
  }

  /** A sealed envelope: who sent it, checked against the identity pinned for that user, and what. */
  async #unseal(envelope: Envelope): Promise<{ sender: DeviceAddress; identity: IdentityPublic; content: SealedContent }> {
    const layer = sealedLayer(envelope.body);
    if (!layer) throw new SignalError('invalid-message', 'an envelope without a sender that is not sealed');
    const opened = unsealAsRecipient(this.context.crypto, { address: this.context.address, identity: this.#requireIdentity() }, layer);
    const user = userOf(opened.sender);
    // A certificate under another identity than the pinned one: read the user's signed list
    // again, as an envelope that names its sender makes the client do (#acceptSession), so a
    // changed key is taken with the app's notice, not refused.
    const known = this.#identityOf(user);
    if (!known || !sameIdentity(known, opened.identity)) await this.devicesOf(user);
    const pinned = this.#identityOf(user);
    if (!pinned || !sameIdentity(pinned, opened.identity)) throw new SignalError('untrusted-identity', `a sealed sender certificate for ${opened.sender} under an identity that is not ${user}'s`);
    return opened;
  }

  override async receive(envelope: Envelope): Promise<ReceivedMessage | null> {
    if (envelope.from !== SEALED_SENDER) return super.receive(envelope);
    let unsealed;
    try {
      unsealed = await this.#unseal(envelope);
    } catch (error) {
      throw asRejection(error);
    }
    const { sender, identity, content } = unsealed;
    if (content.receipt !== null) return null; // a delivery receipt: nothing to show
    const received = await super.receive({ ...envelope, from: sender, body: content.body! });
    if (received && userOf(sender) !== this.context.user) {
      try {
        // The app acknowledges delivery at once, sealed, to the device that sent it.
        await this.context.provider.send([{ to: sender, body: this.#sealTo(sender, identity, { body: null, receipt: received.id }), sealed: true }]);
      } catch {
        // A restored copy in an adversary's hands cannot send.
      }
    }
    return received;
  }

  override async openSent(envelope: Envelope): Promise<Uint8Array | null> {
    const layer = sealedLayer(envelope.body);
    if (layer) {
      // The recipient's identity, from the directory if this state never pinned it (the device met that user later).
      const user = userOf(envelope.to);
      if (!this.#identityOf(user)) await this.devicesOf(user).catch(() => null);
      const identity = this.#identityOf(user);
      if (!identity) return null;
      let content: SealedContent;
      try {
        content = unsealAsSender(this.context.crypto, { address: this.context.address, identity: this.#requireIdentity() }, { address: envelope.to, identity }, layer);
      } catch {
        return null;
      }
      // A sealed upload names no sender: this device sent it.
      return content.body ? this.#openSentUnsealed({ ...envelope, from: this.context.address, body: content.body }) : null;
    }
    return this.#openSentUnsealed(envelope);
  }

  #openSentUnsealed(envelope: Envelope): Uint8Array | null {
    const group = groupWireMessage(envelope.body);
    if (group) return this.#openOwnGroupMessage(envelope, group.senderKey);
    return this.#openOwnPairwise(envelope.to, decodeWireMessage(envelope.body));
  }

  /** With this device's sending chains (an image of it), open what it sent later to `to`. */
  #openOwnPairwise(to: DeviceAddress, wire: WireMessage): Uint8Array | null {
    const { privateKeyOf } = this.context;
    for (const session of this.#sessions.get(to) ?? []) {
      try {
        return privateKeyOf
          ? ratchet.decryptOwnFollowing(session.ratchet, this.context.crypto, wire.message, privateKeyOf)
          : ratchet.decryptOwn(session.ratchet, this.context.crypto, wire.message);
      } catch {
        // not this session's sending chain
      }
    }
    return null;
  }

  /** "A message from Bob could not be delivered": a decryption error shows in the conversation. */
  protected override rejected(envelope: Envelope, rejection: unknown): void {
    alertRejection(this.context, envelope.from, rejection);
  }

  // --- safety numbers -----------------------------------------------------------------

  override async safetyNumber(peer: string): Promise<string | null> {
    if (!this.#identities.has(peer)) await this.devicesOf(peer);
    const theirs = this.#identities.get(peer)!;
    const own = identityPublic(this.#requireIdentity());
    return safetyNumber(
      this.context.crypto,
      { user: this.context.user, key: concatBytes(own.dh, own.signing) },
      { user: peer, key: concatBytes(theirs.dh, theirs.signing) },
    );
  }

  override async recordVerification(peer: string, matched: boolean, verifiedNumber?: string): Promise<void> {
    // A device that has not met the peer yet pins the peer now, and must arrive at the number
    // its user verified (synced from the primary); otherwise it was handed another identity.
    const agrees = verifiedNumber === undefined || (await this.safetyNumber(peer)) === verifiedNumber;
    await super.recordVerification(peer, matched && agrees);
    // The safety number the users compared did not match (or this device's view disagrees).
    if (!(matched && agrees)) this.context.alert('verification-failed', peer);
    const identity = this.#identities.get(peer);
    if (matched && agrees && identity) this.#verifiedIdentities.set(peer, identity);
  }

  // --- device image -------------------------------------------------------------------

  protected exportKeys(): unknown {
    return {
      identity: this.#requireIdentity(),
      ...this.#prekeys.export(),
      sessions: [...this.#sessions],
      identities: [...this.#identities],
      verifiedIdentities: [...this.#verifiedIdentities],
      deviceList: this.#deviceList,
      ownSenderKeys: [...this.#ownSenderKeys],
      peerSenderKeys: [...this.#peerSenderKeys],
    } satisfies Keys;
  }

  protected importKeys(state: unknown): void {
    const keys = state as Keys;
    this.#identity = keys.identity;
    this.#prekeys.import(keys);
    for (const [device, sessions] of keys.sessions) this.#sessions.set(device, sessions);
    for (const [user, identity] of keys.identities) this.#identities.set(user, identity);
    for (const [user, identity] of keys.verifiedIdentities) this.#verifiedIdentities.set(user, identity);
    this.#deviceList = keys.deviceList;
    for (const [group, key] of keys.ownSenderKeys) this.#ownSenderKeys.set(group, key);
    for (const [id, key] of keys.peerSenderKeys) this.#peerSenderKeys.set(id, key);
  }

  // --- groups: signed rosters and sender keys -------------------------------------------

  protected override async signRoster(group: string, members: readonly string[]): Promise<Uint8Array | null> {
    return signRoster(this.context.crypto, this.#requireIdentity(), { group, admin: this.context.user, members: [...members] });
  }

  /** The members the group's admin vouches for in its signed roster (and, in ghost mode, whoever else the provider lists). */
  protected override async groupMembers(group: string): Promise<string[]> {
    const roster = await this.context.provider.fetchRoster(group);
    let members: string[];
    const cached = this.#verifiedRosters.get(group);
    if (roster.signed && cached && equalBytes(cached.signed, roster.signed)) {
      members = cached.members;
    } else {
      if (!roster.signed) throw new SignalError('bad-signature', `${group} has no signed roster`);
      if (!this.#identities.has(roster.admin) && roster.admin !== this.context.user) await this.devicesOf(roster.admin);
      const admin = this.#identityOf(roster.admin);
      if (!admin) throw new SignalError('untrusted-identity', `no identity for ${group}'s admin ${roster.admin}`);
      members = openRoster(this.context.crypto, roster.signed, group, admin).members;
      this.#verifiedRosters.set(group, { signed: roster.signed, members });
    }
    // Ghost mode: members the provider adds are taken too, without telling the user.
    const extras = this.#trustProviderDeviceList ? roster.members.filter((m) => !members.includes(m)) : [];
    const shown = [...members, ...extras];
    // Signal shows a group's membership changes in the conversation ("Alice added Dave"); a
    // ghost client says nothing of a member the provider slipped in, even once an admin's
    // client has signed it into the roster along with the others.
    const previous = this.#shownMembers.get(group);
    const { added, removed } = listChanges(previous, shown);
    const joined = added.filter((m) => !extras.includes(m) && !(this.#silentMembers.get(group)?.has(m) ?? false));
    if (joined.length > 0) this.context.alert('member-added', group, joined);
    if (removed.length > 0) this.context.alert('member-removed', group, removed);
    this.#shownMembers.set(group, shown);
    if (extras.length > 0) this.#silentMembers.set(group, new Set([...(this.#silentMembers.get(group) ?? []), ...extras]));
    return shown;
  }

  /**
   * A group message is encrypted once with this device's sender key. Devices that do not have
   * the key yet get it sealed over the pairwise session in the same envelope. After a member
   * was removed, a fresh sender key is made first, so the removed member's copy is useless.
   */
  protected override async sealAll(devices: readonly DeviceAddress[], plaintext: Uint8Array, to: Addressee, users: readonly string[]): Promise<OutgoingEnvelope[]> {
    const envelopes = to.kind === 'group' ? await this.#encryptForGroup(devices, plaintext, to, users) : await super.sealAll(devices, plaintext, to, users);
    return this.#sealedSender ? envelopes.map((envelope) => this.#sealEnvelope(envelope)) : envelopes;
  }

  async #encryptForGroup(devices: readonly DeviceAddress[], plaintext: Uint8Array, to: Extract<Addressee, { kind: 'group' }>, users: readonly string[]): Promise<OutgoingEnvelope[]> {
    const { crypto, rng } = this.context;
    let own = this.#ownSenderKeys.get(to.group);
    if (!own || (this.#rotateSenderKeys && own.members.some((member) => !users.includes(member)))) {
      own = { key: createSenderKey(crypto, rng), members: [...users], distributedTo: [] };
      this.#ownSenderKeys.set(to.group, own);
    }
    own.members = [...users];
    const distribution = pack(distributionOf(to.group, own.key));
    const message = encryptGroup(crypto, own.key, plaintext, groupAssociatedData(to.group, this.context.address));
    const envelopes: OutgoingEnvelope[] = [];
    for (const device of devices) {
      const sealed = own.distributedTo.includes(device) ? null : await this.seal(device, distribution);
      if (sealed) own.distributedTo.push(device);
      envelopes.push({ to: device, body: pack({ senderKey: { group: to.group, distribution: sealed, message } } satisfies GroupWireMessage) });
    }
    return envelopes;
  }

  async #openGroup(envelope: Envelope, wire: GroupWireMessage['senderKey']): Promise<Uint8Array> {
    const sender = userOf(envelope.from);
    if (sender !== this.context.user && !(await this.groupMembers(wire.group)).includes(sender)) {
      throw new SignalError('unknown-device', `${sender} is not a member of ${wire.group}`);
    }
    const id = `${envelope.from}|${wire.group}`;
    if (wire.distribution) {
      const distribution = decodeDistribution(await this.#openPairwise({ ...envelope, body: wire.distribution }));
      if (distribution.group !== wire.group) throw new SignalError('invalid-message', 'sender key for another group');
      const known = this.#peerSenderKeys.get(id);
      if (!known || known.keyId !== distribution.keyId) this.#peerSenderKeys.set(id, acceptDistribution(distribution));
    }
    const key = this.#peerSenderKeys.get(id);
    if (!key) throw new SignalError('no-session', `no sender key from ${envelope.from} for ${wire.group}`);
    return decryptGroup(this.context.crypto, key, wire.message, groupAssociatedData(wire.group, envelope.from));
  }

  /**
   * With this device's own sender key (an image of it), open what it sends later in that
   * group; or with a sender key it made later (after a removal, say), when the envelope hands
   * that key over on a pairwise sending chain the image still holds (Double Ratchet §6.2: the
   * chain is the image's until a fresh ratchet key replaces it).
   */
  #openOwnGroupMessage(envelope: Envelope, wire: GroupWireMessage['senderKey']): Uint8Array | null {
    const keys: SenderKeyDistribution[] = [];
    const own = this.#ownSenderKeys.get(wire.group);
    if (own) keys.push(distributionOf(wire.group, own.key));
    if (wire.distribution) {
      try {
        const handedOver = this.#openOwnPairwise(envelope.to, decodeWireMessage(wire.distribution));
        if (handedOver) {
          // Later messages under that key carry no distribution: the holder keeps the key it read.
          const distribution = decodeDistribution(handedOver);
          const learned = this.#handedOverSenderKeys.get(wire.group) ?? [];
          if (!learned.some((known) => known.keyId === distribution.keyId)) learned.push(distribution);
          this.#handedOverSenderKeys.set(wire.group, learned);
        }
      } catch {
        // not a distribution this state opens
      }
    }
    keys.push(...(this.#handedOverSenderKeys.get(wire.group) ?? []));
    for (const key of keys) {
      try {
        return decryptGroup(this.context.crypto, acceptDistribution(key), wire.message, groupAssociatedData(wire.group, envelope.from));
      } catch {
        // not this sender key
      }
    }
    return null;
  }

  // --- internals ----------------------------------------------------------------------

  /** PQXDH §3.3 with a fresh bundle: verify its signatures and identity, then start a ratchet. */
  async #startSession(to: DeviceAddress): Promise<Session> {
    const { crypto, rng } = this.context;
    const response = await this.context.provider.fetchBundle(to);
    const bundle = unpack<PrekeyBundle>(response.bundle, 'prekey bundle');
    const expected = this.#identityOf(userOf(to));
    // A provider-added device (ghost mode) may present any identity; signed-list devices are checked.
    if (!this.#providerAdded(to) && (!expected || !sameIdentity(expected, bundle.identity))) {
      throw new SignalError('untrusted-identity', `${to}'s bundle is not signed by ${userOf(to)}'s identity`);
    }
    this.#verifyPrekey(bundle.identity, LABELS.signedPrekey, bundle.signedPrekey);
    const oneTime = response.oneTimeKeys['prekey'] ? unpack<OneTimePrekey>(response.oneTimeKeys['prekey'], 'one-time prekey') : null;
    const oneTimeKyber = response.oneTimeKeys['kyber'] ? unpack<OneTimeKyberPrekey>(response.oneTimeKeys['kyber'], 'one-time kyber prekey') : null;
    const kyber = oneTimeKyber ?? bundle.kyberPrekey;
    if (this.#postQuantum) this.#verifyPrekey(bundle.identity, LABELS.kyberPrekey, kyber);
    const kem = this.#postQuantum ? { id: kyber.id, publicKey: kyber.publicKey, oneTime: oneTimeKyber !== null } : null;
    const agreement = initiate(crypto, rng, this.#requireIdentity(), bundle, oneTime, kem);
    const session: Session = {
      ratchet: ratchet.initInitiator(crypto, rng, agreement.sharedSecret, agreement.remoteRatchetKey, agreement.associatedData),
      pending: agreement.header,
      baseKey: agreement.header.baseKey,
      remoteIdentity: bundle.identity,
    };
    this.#storeSession(to, session);
    return session;
  }

  /** PQXDH §3.4: a first message from a device; its prekeys are consumed only if it decrypts. */
  async #acceptSession(from: DeviceAddress, header: PrekeyHeader, message: ratchet.RatchetMessage): Promise<Uint8Array> {
    const sender = userOf(from);
    // Ghost mode: a device the provider lists but the user never signed may present any identity.
    const ghost = this.#trustProviderDeviceList && (await this.devicesOf(sender)).includes(from) && this.#providerAdded(from);
    if (ghost) {
      // accepted silently
    } else if (sender === this.context.user) {
      if (!sameIdentity(header.identity, identityPublic(this.#requireIdentity()))) {
        throw new SignalError('untrusted-identity', `${from} does not hold this user's identity`);
      }
      // A device of this account it has not seen yet (a newly linked one syncing): the app
      // reads its own signed list again, and shows the new device (devicesOf).
      if (!(this.#verifiedLists.get(sender)?.devices.includes(from) ?? false) && !(await this.devicesOf(sender)).includes(from)) {
        throw new SignalError('unknown-device', `${from} is not on this user's signed device list`);
      }
    } else {
      const devices = await this.devicesOf(sender);
      if (!devices.includes(from)) throw new SignalError('unknown-device', `${from} is not on ${sender}'s signed device list`);
      const expected = this.#identityOf(sender);
      if (!expected || !sameIdentity(expected, header.identity)) {
        throw new SignalError('untrusted-identity', `${from} presented an identity that is not ${sender}'s`);
      }
    }
    const started = this.#respond(header, from);
    if (!started) throw new SignalError('invalid-prekey', `${from} used a prekey this device no longer has`);
    const session: Session = { ratchet: started, pending: null, baseKey: header.baseKey, remoteIdentity: header.identity };
    const plaintext = ratchet.decrypt(session.ratchet, this.context.crypto, this.context.rng, message, this.context.privateKeyOf);
    // One-time prekeys are deleted once used (PQXDH §3.4); the last-resort ML-KEM key stays.
    this.#prekeys.consume(header.oneTimePrekeyId, header.kyberPrekeyId);
    this.#storeSession(from, session);
    if (header.oneTimePrekeyId !== null) await this.#refillIfLow();
    return plaintext;
  }

  /** PQXDH §3.4 with the prekeys a header names: the responder's new ratchet, or null if one of them is gone. */
  #respond(header: PrekeyHeader, from: string): ratchet.RatchetState | null {
    const signedPrekey = this.#prekeys.signed(header.signedPrekeyId);
    const oneTime = header.oneTimePrekeyId === null ? null : this.#prekeys.oneTime(header.oneTimePrekeyId);
    // Without the post-quantum KEM (a test design: X3DH alone), no KEM prekey takes part.
    const kyber = this.#postQuantum ? this.#prekeys.kyber(header.kyberPrekeyId) : null;
    if (!signedPrekey || oneTime === undefined || kyber === undefined || (kyber && kyber.oneTime !== header.kyberOneTime)) return null;
    if (kyber && header.kyberCiphertext.length === 0) {
      // PQXDH §3.4: the KEM ciphertext is part of every session start; none would be a downgrade to X3DH.
      throw new SignalError('malformed-message', `${from} started a session without the ML-KEM ciphertext`);
    }
    const agreement = respond(this.context.crypto, this.#requireIdentity(), header, signedPrekey, oneTime, kyber?.pair ?? null);
    return ratchet.initResponder(agreement.sharedSecret, signedPrekey, agreement.associatedData);
  }

  /**
   * With this state's prekeys alone: the first message of a session a peer started on them,
   * derived again as if there were no session (the sessions and sender keys the client uses
   * are not changed). A sender key handed over in such a session start is derived with it,
   * and kept aside for that sender's later group messages.
   */
  async openSessionStart(envelope: Envelope): Promise<Uint8Array | null> {
    if (envelope.from === SEALED_SENDER) {
      const { sender, content } = await this.#unseal(envelope);
      if (!content.body) return null;
      envelope = { ...envelope, from: sender, body: content.body };
    }
    const decoded = unpack<Partial<GroupWireMessage & WireMessage>>(envelope.body, 'signal message');
    const group = asGroupWireMessage(decoded);
    if (!group) return this.#rederive(asWireMessage(decoded));
    const { distribution, message, group: name } = group.senderKey;
    const id = `${envelope.from}|${name}`;
    const opened = distribution && this.#rederive(decodeWireMessage(distribution));
    if (opened) this.#rederivedSenderKeys.set(id, acceptDistribution(decodeDistribution(opened)));
    const key = this.#rederivedSenderKeys.get(id);
    return key ? decryptGroup(this.context.crypto, key, message, groupAssociatedData(name, envelope.from)) : null;
  }

  #rederive(wire: WireMessage): Uint8Array | null {
    const started = wire.prekey && this.#respond(wire.prekey, 'a recorded session start');
    return started ? ratchet.decrypt(started, this.context.crypto, this.context.rng, wire.message, this.context.privateKeyOf) : null;
  }

  #decryptIn(session: Session, wire: WireMessage): Uint8Array {
    const plaintext = ratchet.decrypt(session.ratchet, this.context.crypto, this.context.rng, wire.message, this.context.privateKeyOf);
    if (!wire.prekey) session.pending = null; // the peer answered on this session: no need to resend the header
    return plaintext;
  }

  #storeSession(device: DeviceAddress, session: Session): void {
    const sessions = [session, ...(this.#sessions.get(device) ?? []).filter((s) => s !== session)];
    this.#sessions.set(device, sessions.slice(0, LIMITS.archivedSessions + 1));
  }

  /** Pin a user's identity on first contact; a changed identity of a verified user breaks the verification. */
  #trustIdentity(user: string, identity: IdentityPublic): void {
    const pinned = this.#identities.get(user);
    if (pinned && sameIdentity(pinned, identity)) return;
    if (user === this.context.user) {
      if (!sameIdentity(identity, identityPublic(this.#requireIdentity()))) {
        throw new SignalError('untrusted-identity', `the provider lists a device list for ${user} under another identity`);
      }
      return;
    }
    const verified = this.#verifiedIdentities.get(user);
    if (verified && !sameIdentity(verified, identity)) this.verification.set(user, false);
    // "Your safety number with Bob has changed": Signal shows it in the conversation (and
    // marks a verified contact unverified) whenever a known contact's identity key changes.
    if (pinned) this.context.alert('identity-changed', user);
    this.#identities.set(user, identity);
    this.#sessions.forEach((_, device) => {
      if (userOf(device) === user && pinned) this.#sessions.delete(device);
    });
  }

  #identityOf(user: string): IdentityPublic | undefined {
    return user === this.context.user ? identityPublic(this.#requireIdentity()) : this.#identities.get(user);
  }

  #verifyPrekey(identity: IdentityPublic, label: Uint8Array, prekey: { id: number; publicKey: Uint8Array; signature: Uint8Array }): void {
    const valid = prekey.signature?.length === 64 && this.context.crypto.ed25519Verify(identity.signing, prekeySignedBytes(label, prekey.id, prekey.publicKey), prekey.signature);
    if (!valid) throw new SignalError('bad-signature', `prekey ${prekey.id} is not signed by its identity`);
  }

  #sign(label: Uint8Array, id: number, publicKey: Uint8Array): Uint8Array {
    return this.context.crypto.ed25519Sign(this.#requireIdentity().signing.seed, prekeySignedBytes(label, id, publicKey));
  }

  async #publishDeviceList(): Promise<void> {
    await this.context.provider.publishDeviceList(signDeviceList(this.context.crypto, this.#requireIdentity(), this.#requireDeviceList()));
  }

  #requireIdentity(): IdentityKeyPair {
    if (!this.#identity) throw new Error(`${this.context.address} has no identity yet`);
    return this.#identity;
  }

  #requireDeviceList(): DeviceList {
    if (!this.#deviceList) throw new Error(`${this.context.address} is not the primary device: it keeps no device list`);
    return this.#deviceList;
  }
}

function sameIdentity(a: IdentityPublic, b: IdentityPublic): boolean {
  return equalBytes(a.dh, b.dh) && equalBytes(a.signing, b.signing);
}

function groupWireMessage(body: Uint8Array): GroupWireMessage | null {
  return asGroupWireMessage(unpack<Partial<GroupWireMessage>>(body, 'signal message'));
}

function asGroupWireMessage(wire: Partial<GroupWireMessage> | null | undefined): GroupWireMessage | null {
  const inner = wire?.senderKey;
  if (!inner) return null;
  if (typeof inner.group !== 'string' || !(inner.message instanceof Uint8Array) || !(inner.distribution === null || inner.distribution instanceof Uint8Array)) {
    throw new SignalError('invalid-message', 'malformed group message');
  }
  return wire as GroupWireMessage;
}

function groupAssociatedData(group: string, sender: string): Uint8Array {
  return new TextEncoder().encode(`${group}|${sender}`);
}

function decodeWireMessage(body: Uint8Array): WireMessage {
  return asWireMessage(unpack<Partial<WireMessage>>(body, 'signal message'));
}

function asWireMessage(wire: Partial<WireMessage> | null | undefined): WireMessage {
  if (!(wire?.message?.header instanceof Uint8Array) || !(wire.message.ciphertext instanceof Uint8Array)) {
    throw new SignalError('invalid-message', 'malformed signal message');
  }
  if (wire.prekey !== undefined && wire.prekey !== null) checkPrekeyHeader(wire.prekey);
  return wire as WireMessage;
}

/**
 * For the `quantum` adversary: a device rebuilt from its published bundle and one-time
 * prekeys, with every X25519 private half the oracle gives. The identity's signing seed and
 * the ML-KEM secret keys cannot be recovered from a discrete-log oracle, so they are absent.
 */
export async function reconstructSignalDevice(
  client: SignalClient,
  upload: KeyUpload,
  privateKeyOf: (publicKey: Uint8Array) => Uint8Array | null,
): Promise<SignalClient> {
  const bundle = unpack<PrekeyBundle>(upload.bundle, 'prekey bundle');
  const recover = (publicKey: Uint8Array): DhKeyPair => {
    const privateKey = privateKeyOf(publicKey);
    if (!privateKey) throw new Error('a published key was not captured');
    return { privateKey, publicKey };
  };
  const oneTimePrekeys: [number, DhKeyPair][] = (upload.oneTimeKeys?.['prekey'] ?? []).map((bytes) => {
    const prekey = unpack<OneTimePrekey>(bytes, 'one-time prekey');
    return [prekey.id, recover(prekey.publicKey)];
  });
  const keys: Keys = {
    identity: { dh: recover(bundle.identity.dh), signing: { seed: new Uint8Array(32), publicKey: bundle.identity.signing } },
    signedPrekey: { id: bundle.signedPrekey.id, pair: recover(bundle.signedPrekey.publicKey) },
    oneTimePrekeys,
    kyberPrekeys: [],
    nextPrekeyId: 1,
    sessions: [],
    identities: [],
    verifiedIdentities: [],
    deviceList: null,
    ownSenderKeys: [],
    peerSenderKeys: [],
  };
  return client.adopt(keys);
}

/** `Design.openOuterLayer` for sealed sender: the sealed layer, opened with the recipient's published identity key and the oracle. */
export function openSealedLayer(crypto: CryptoBackend, envelope: Envelope, recipientBundles: readonly Uint8Array[], privateKeyOf: (publicKey: Uint8Array) => Uint8Array | null): Uint8Array | null {
  if (envelope.from !== SEALED_SENDER) return null;
  const identities: Uint8Array[] = [];
  for (const bytes of recipientBundles) {
    try {
      const dh = unpack<PrekeyBundle>(bytes, 'prekey bundle')?.identity?.dh;
      if (dh instanceof Uint8Array) identities.push(dh);
    } catch {
      // not a bundle of this design
    }
  }
  return unsealWithOracle(crypto, envelope.to, envelope.body, identities, privateKeyOf);
}
