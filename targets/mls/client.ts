/**
 * The `mls` client: RFC 9420 Messaging Layer Security through ts-mls.
 *
 * - Every device is its own MLS leaf (multi-device as separate leaves). A device publishes
 *   KeyPackages: a last-resort one as its bundle and a pool of one-time ones.
 * - A one-to-one conversation is an MLS group of both users' devices, created by the first
 *   device that sends in it. A scenario group is an MLS group the admin's device creates,
 *   adding every member device. Welcome and Commit messages travel as envelopes to each
 *   device (`receive` returns null for them); application messages are PrivateMessages.
 * - Membership is the tree MLS authenticates: each leaf's credential is signed by its user's
 *   identity key (pinned on first use, compared through safety numbers), each added device must
 *   be on its user's signed device list, and a commit that adds a new user to a scenario group
 *   must come from the admin's device. The provider's roster is kept for the harness only.
 * - Before a device sends, it brings the group in line with the members' signed device lists
 *   (adds newly linked devices, removes unlinked ones), and if it has received messages since
 *   its last own commit, it commits a fresh update path first (post-compromise security: a
 *   stolen copy of its state falls behind at its next turn).
 * - Two commits made in the same epoch (both sent before either arrived) are settled without
 *   a delivery service: everyone keeps the one from the lowest leaf index.
 * - `openSent` opens this device's own application messages from its leaf's ratchet in the
 *   secret tree, as a copy of its state can (RFC 9420 §9.1-9.2: only consumed secrets are deleted).
 */
import {
  createApplicationMessage,
  createCommit,
  createGroup,
  decodeGroupState,
  defaultKeyPackageEqualityConfig,
  defaultKeyRetentionConfig,
  defaultLifetimeConfig,
  defaultPaddingConfig,
  decodeMlsMessage,
  defaultLifetime,
  emptyPskIndex,
  encodeGroupState,
  encodeMlsMessage,
  generateKeyPackageWithKey,
  joinGroup,
  processPrivateMessage,
  type CiphersuiteImpl,
  type ClientConfig,
  type ClientState,
  type Credential,
  type KeyPackage,
  type LeafNode,
  type PrivateKeyPackage,
  type PrivateMessage,
  type Proposal,
  type ProposalWithSender,
  type Welcome,
} from 'ts-mls';
import { RejectionError, type RejectionCode } from '../../harness/errors.ts';
import type { Envelope } from '../../harness/provider/api.ts';
import { splitAddress, type DeviceAddress } from '../../harness/scenario/types.ts';
import { alertEach, listChanges } from '../shared/alerts.ts';
import { equalBytes, pack, unpack, utf8 } from '../shared/codec.ts';
import { MessageHistory } from '../shared/history.ts';
import { decodePayload, type Payload } from '../shared/pairwise-client.ts';
import { safetyNumber } from '../shared/safety-number.ts';
import { asRejection } from '../shared/wire.ts';
import type { Client, ClientContext, OutgoingMessage, ReceivedMessage, SendOutcome } from '../types.ts';
import { addressOf, makeCredential, openCredential, openDeviceList, signDeviceList, MlsIdentityError, type IdentityKey } from './identity.ts';
import { libraryErrors, makeKeyPackageRef, unprotectPrivateMessage } from './internals.ts';
import { CAPABILITIES, seededSuite } from './suite.ts';

/** One-time KeyPackages each device publishes. */
export const ONE_TIME_KEY_PACKAGES = 4;
const POOL = 'key-package';

/** This client's rejections: the harness's coded rejection (`invalid-message` unless a site says better). */
export class MlsError extends RejectionError {
  constructor(message: string, code: RejectionCode = 'invalid-message') {
    super(code, message);
    this.name = 'MlsError';
  }
}

interface StoredKeyPackage {
  /** The KeyPackage as an encoded MLSMessage. */
  message: Uint8Array;
  private: PrivateKeyPackage;
  lastResort: boolean;
}

interface GroupRecord {
  /** `group:<name>` or `dm:<a>|<b>` (users sorted). */
  conversation: string;
  /** The scenario group's name, or null for a one-to-one conversation. */
  group: string | null;
  /** The scenario group's admin (from the group id, which every member's context authenticates). */
  admin: string | null;
  /** Received application messages since this device's last commit with an update path. */
  dirty: boolean;
  state: ClientState;
  /**
   * The state before the last commit and that commit's committer leaf, while the group is in
   * the epoch it made: to settle two commits made in the same epoch (see `#commitRace`).
   */
  previous: { state: ClientState; committer: number } | null;
}

interface Image {
  identity: IdentityKey;
  signing: IdentityKey;
  keyPackages: [string, StoredKeyPackage][];
  groups: [string, Omit<GroupRecord, 'state' | 'previous'> & { state: Uint8Array; previous: { state: Uint8Array; committer: number } | null }][];
  pinned: [string, Uint8Array][];
  verification: [string, boolean][];
  verifiedIdentities: [string, Uint8Array][];
  deviceList: { version: number; devices: string[] } | null;
  counter: number;
  history: Uint8Array;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const userOf = (address: string): string => splitAddress(address as DeviceAddress).user;

export class MlsClient implements Client {
  readonly #context: ClientContext;
  #suite: CiphersuiteImpl | null = null;
  #history: MessageHistory | null = null;
  #identity: IdentityKey | null = null;
  /** This device's leaf signature key. */
  #signing: IdentityKey | null = null;
  /** KeyPackageRef (hex) -> the KeyPackage and its private keys, until a Welcome uses it. */
  readonly #keyPackages = new Map<string, StoredKeyPackage>();
  /** Group id (text) -> the group. */
  readonly #groups = new Map<string, GroupRecord>();
  /** Peer user -> identity key, pinned at first contact (trust on first use). */
  readonly #pinned = new Map<string, Uint8Array>();
  readonly #verification = new Map<string, boolean>();
  readonly #verifiedIdentities = new Map<string, Uint8Array>();
  /** Kept by the primary: the list it signs. */
  #deviceList: { version: number; devices: string[] } | null = null;
  #counter = 0;
  /** The last signed list verified per user. */
  readonly #lists = new Map<string, { signed: Uint8Array; devices: DeviceAddress[] }>();
  /** Per user, the last device list refused for another identity (its alert already shown). */
  readonly #refusedLists = new Map<string, Uint8Array>();
  readonly #config: ClientConfig;

  constructor(context: ClientContext) {
    this.#context = context;
    this.#config = {
      keyRetentionConfig: defaultKeyRetentionConfig,
      lifetimeConfig: defaultLifetimeConfig,
      keyPackageEqualityConfig: defaultKeyPackageEqualityConfig,
      paddingConfig: defaultPaddingConfig,
      authService: { validateCredential: (credential, key) => this.#validCredential(credential, key) },
    };
  }

  // --- registration and devices -------------------------------------------------------

  async register(provisioning?: Uint8Array): Promise<void> {
    const { crypto, rng } = this.#context;
    this.#history = await MessageHistory.open({ secureDelete: true });
    if (provisioning) {
      this.#identity = unpack<{ identity: IdentityKey }>(provisioning, 'provisioning').identity;
    } else {
      const seed = rng.bytes(32);
      this.#identity = { seed, publicKey: crypto.ed25519PublicKey(seed) };
    }
    const signingSeed = rng.bytes(32);
    this.#signing = { seed: signingSeed, publicKey: crypto.ed25519PublicKey(signingSeed) };
    const bundle = await this.#newKeyPackage(true);
    const oneTime: Uint8Array[] = [];
    for (let i = 0; i < ONE_TIME_KEY_PACKAGES; i++) oneTime.push(await this.#newKeyPackage(false));
    await this.#context.provider.publishKeys({ bundle, oneTimeKeys: { [POOL]: oneTime } });
    if (!provisioning) {
      this.#deviceList = { version: 1, devices: [this.#context.device] };
      await this.#publishDeviceList();
    }
  }

  async provisionDevice(device: string): Promise<Uint8Array> {
    const list = this.#requireDeviceList();
    this.#deviceList = { version: list.version + 1, devices: [...list.devices, device] };
    await this.#publishDeviceList();
    // Out of band (a QR code scanned in person): the identity key moves to the new device.
    return pack({ identity: this.#requireIdentity() });
  }

  async unlinkDevice(device: string): Promise<void> {
    const list = this.#requireDeviceList();
    this.#deviceList = { version: list.version + 1, devices: list.devices.filter((d) => d !== device) };
    await this.#publishDeviceList();
    await this.#context.provider.removeDevice(device);
  }

  // --- messages -----------------------------------------------------------------------

  async send(message: OutgoingMessage): Promise<SendOutcome> {
    const self = this.#context.user;
    let record: GroupRecord;
    if (message.to.kind === 'user') {
      const refused = this.#refused([message.to.user]);
      if (refused) return refused;
      record = await this.#conversationWith(message.to.user);
    } else {
      const found = this.#activeGroup(`group:${message.to.group}`);
      // Never added (or removed): MLS gives this device no keys to send in the group with.
      if (!found) return { sent: false, reason: `${this.#context.address} is not a member of ${message.to.group} in MLS` };
      record = found;
      const refused = this.#refused(this.#leafUsers(record.state).filter((u) => u !== self));
      if (refused) return refused;
    }
    await this.#syncDevices(record);
    if (record.dirty) await this.#commit(record, []);
    const payload: Payload = { id: message.id, body: message.body, group: record.group, at: this.#context.now() };
    const result = await createApplicationMessage(record.state, pack(payload), await this.#cs());
    record.state = result.newState;
    const body = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_private_message', privateMessage: result.privateMessage });
    const recipients = this.#leafAddresses(record.state).filter((a) => a !== this.#context.address);
    await this.#context.provider.send(recipients.map((to) => ({ to, body })));
    this.#requireHistory().add({
      id: message.id,
      direction: 'out',
      conversation: record.group ?? (message.to.kind === 'user' ? message.to.user : ''),
      sender: this.#context.address,
      body: message.body,
      at: payload.at,
    });
    return { sent: true };
  }

  async receive(envelope: Envelope): Promise<ReceivedMessage | null> {
    try {
      return await this.#receive(envelope);
    } catch (error) {
      throw await asLibraryRejection(error);
    }
  }

  async #receive(envelope: Envelope): Promise<ReceivedMessage | null> {
    const decoded = decodeMlsMessage(envelope.body, 0)?.[0];
    if (!decoded) throw new MlsError('malformed MLS message', 'malformed-message');
    if (decoded.wireformat === 'mls_welcome') {
      await this.#join(decoded.welcome);
      return null;
    }
    if (decoded.wireformat !== 'mls_private_message') throw new MlsError(`unexpected ${decoded.wireformat}`);
    const pm = decoded.privateMessage;
    const id = utf8.decode(pm.groupId);
    const record = this.#groups.get(id);
    if (!record) throw new MlsError(`not a member of group ${id}`, 'no-session');
    if (await this.#commitRace(record, pm)) return null;
    const opened = await this.#openApplication(record.state, pm);
    if (!opened) {
      await this.#processCommit(record, pm);
      return null;
    }
    record.state = opened.state;
    const payload = decodePayload(opened.message);
    if (payload.group !== record.group) throw new MlsError(`a message for ${payload.group ?? 'a one-to-one chat'} arrived in ${id}`);
    record.dirty = true;
    const sender = userOf(opened.from);
    this.#requireHistory().add({
      id: payload.id,
      direction: sender === this.#context.user ? 'out' : 'in',
      conversation: record.group ?? (sender === this.#context.user ? this.#peerOf(record) : sender),
      sender: opened.from,
      body: payload.body,
      at: payload.at,
    });
    return { id: payload.id, from: opened.from, body: payload.body, group: record.group };
  }

  async deleteMessages(ids: readonly string[] | 'all'): Promise<void> {
    this.#requireHistory().delete(ids);
  }

  // --- safety numbers -----------------------------------------------------------------

  async safetyNumber(peer: string): Promise<string | null> {
    const theirs = await this.#identityOf(peer);
    return safetyNumber(
      this.#context.crypto,
      { user: this.#context.user, key: this.#requireIdentity().publicKey },
      { user: peer, key: theirs },
    );
  }

  async recordVerification(peer: string, matched: boolean): Promise<void> {
    this.#verification.set(peer, matched);
    // The comparison made on the primary is synced to the user's other devices; a device
    // that has not met the peer yet pins the identity now.
    if (matched) this.#verifiedIdentities.set(peer, await this.#identityOf(peer));
  }

  // --- groups -------------------------------------------------------------------------

  async createGroup(group: string, members: readonly string[]): Promise<void> {
    await this.#context.provider.publishRoster(group, [...members], null);
    const record = await this.#newGroup(`group:${group}:${this.#context.user}`, `group:${group}`, group, this.#context.user);
    const devices: DeviceAddress[] = [];
    for (const user of new Set([...members, this.#context.user])) devices.push(...(await this.#signedDevices(user)));
    await this.#addDevices(record, devices.filter((d) => d !== this.#context.address));
  }

  async addMember(group: string, user: string): Promise<void> {
    const record = this.#requireGroup(group);
    await this.#syncDevices(record);
    const present = new Set(this.#leafAddresses(record.state));
    await this.#addDevices(record, (await this.#signedDevices(user)).filter((d) => !present.has(d)));
    const roster = await this.#context.provider.fetchRoster(group);
    await this.#context.provider.publishRoster(group, [...roster.members.filter((m) => m !== user), user], null);
  }

  async removeMember(group: string, user: string): Promise<void> {
    const record = this.#requireGroup(group);
    const removes: Proposal[] = this.#leaves(record.state)
      .filter((leaf) => userOf(leaf.address) === user)
      .map((leaf) => ({ proposalType: 'remove', remove: { removed: leaf.index } }));
    if (removes.length > 0) await this.#commit(record, removes);
    const roster = await this.#context.provider.fetchRoster(group);
    await this.#context.provider.publishRoster(group, roster.members.filter((m) => m !== user), null);
  }

  // --- device image -------------------------------------------------------------------

  async exportState(): Promise<Uint8Array> {
    const image: Image = {
      identity: this.#requireIdentity(),
      signing: this.#signing!,
      keyPackages: [...this.#keyPackages],
      groups: [...this.#groups].map(([id, record]) => [
        id,
        {
          ...record,
          state: encodeGroupState(record.state),
          previous: record.previous && { state: encodeGroupState(record.previous.state), committer: record.previous.committer },
        },
      ]),
      pinned: [...this.#pinned],
      verification: [...this.#verification],
      verifiedIdentities: [...this.#verifiedIdentities],
      deviceList: this.#deviceList,
      counter: this.#counter,
      history: this.#requireHistory().exportFile(),
    };
    return pack(image);
  }

  /** Restore a device image into this fresh client. */
  async restore(bytes: Uint8Array): Promise<this> {
    const image = unpack<Image>(bytes, 'device image');
    this.#identity = image.identity;
    this.#signing = image.signing;
    for (const [ref, entry] of image.keyPackages) this.#keyPackages.set(ref, entry);
    const decode = (id: string, bytes: Uint8Array): ClientState => {
      const decoded = decodeGroupState(bytes, 0)?.[0];
      if (!decoded) throw new MlsError(`the image's state of ${id} does not decode`);
      return { ...decoded, clientConfig: this.#config };
    };
    for (const [id, record] of image.groups) {
      const previous = record.previous && { state: decode(id, record.previous.state), committer: record.previous.committer };
      this.#groups.set(id, { ...record, state: decode(id, record.state), previous });
    }
    for (const [user, key] of image.pinned) this.#pinned.set(user, key);
    for (const [user, matched] of image.verification) this.#verification.set(user, matched);
    for (const [user, key] of image.verifiedIdentities) this.#verifiedIdentities.set(user, key);
    this.#deviceList = image.deviceList;
    this.#counter = image.counter;
    this.#history = await MessageHistory.open({ secureDelete: true }, image.history);
    return this;
  }

  /**
   * Open an application message this device sent. The secret tree holds a ratchet for every
   * leaf, this device's own included (RFC 9420 §9); the deletion schedule (§9.2) deletes a
   * ratchet secret once its key and nonce are derived, but keeps the next one, so the state
   * holds the generation its next message will use. A copy of the state derives the key and
   * nonce of every message the device sends later in the epoch, for the generation that
   * message's sender data carries (§9.1), as a receiver does for any other sender. What it
   * sent before the copy stays closed (those generations are consumed), and so does what it
   * sends after its own next commit: the commit's fresh path secret never reaches the copy.
   */
  async openSent(envelope: Envelope): Promise<Uint8Array | null> {
    const decoded = decodeMlsMessage(envelope.body, 0)?.[0];
    if (decoded?.wireformat !== 'mls_private_message' || decoded.privateMessage.contentType !== 'application') return null;
    const pm = decoded.privateMessage;
    const record = this.#groups.get(utf8.decode(pm.groupId));
    if (!record) return null;
    const opened = await this.#openApplication(record.state, pm);
    if (!opened || opened.from !== this.#context.address) return null;
    record.state = opened.state;
    return decodePayload(opened.message).body;
  }

  // --- internals: groups --------------------------------------------------------------

  async #cs(): Promise<CiphersuiteImpl> {
    this.#suite ??= await seededSuite(this.#context.rng, this.#context.crypto);
    return this.#suite;
  }

  #refused(users: readonly string[]): SendOutcome | null {
    const refused = users.filter((u) => this.#verification.get(u) === false);
    return refused.length > 0 ? { sent: false, reason: `safety number with ${refused.join(', ')} did not match` } : null;
  }

  #requireGroup(group: string): GroupRecord {
    const record = this.#activeGroup(`group:${group}`);
    if (!record) throw new MlsError(`${this.#context.address} is not a member of ${group}`);
    return record;
  }

  /** The group this device uses for a conversation: of those it is an active member of, the lowest id (so all devices agree). */
  #activeGroup(conversation: string): GroupRecord | undefined {
    const ids = [...this.#groups.keys()].filter((id) => {
      const record = this.#groups.get(id)!;
      return record.conversation === conversation && record.state.groupActiveState.kind === 'active';
    });
    ids.sort();
    return ids.length > 0 ? this.#groups.get(ids[0]!) : undefined;
  }

  async #conversationWith(peer: string): Promise<GroupRecord> {
    const self = this.#context.user;
    const conversation = `dm:${[self, peer].sort().join('|')}`;
    const existing = this.#activeGroup(conversation);
    if (existing) return existing;
    const record = await this.#newGroup(`${conversation}:${this.#context.address}:${++this.#counter}`, conversation, null, null);
    const devices = [...(await this.#signedDevices(peer)), ...(await this.#signedDevices(self))];
    await this.#addDevices(record, devices.filter((d) => d !== this.#context.address));
    return record;
  }

  #peerOf(record: GroupRecord): string {
    const users = record.conversation.slice('dm:'.length).split('|');
    return users.find((u) => u !== this.#context.user) ?? this.#context.user;
  }

  async #newGroup(id: string, conversation: string, group: string | null, admin: string | null): Promise<GroupRecord> {
    const cs = await this.#cs();
    const own = await this.#generateKeyPackage();
    const state = await createGroup(utf8.encode(id), own.publicPackage, own.privatePackage, [], cs, this.#config);
    const record: GroupRecord = { conversation, group, admin, dirty: false, state, previous: null };
    this.#groups.set(id, record);
    return record;
  }

  /** Add these devices with KeyPackages fetched from the directory; each gets a Welcome. */
  async #addDevices(record: GroupRecord, devices: readonly DeviceAddress[]): Promise<void> {
    if (devices.length === 0) return;
    const adds: Proposal[] = [];
    const added: DeviceAddress[] = [];
    for (const device of devices) {
      const keyPackage = await this.#fetchKeyPackage(device);
      adds.push({ proposalType: 'add', add: { keyPackage } });
      added.push(device);
    }
    await this.#commit(record, adds, added);
  }

  /** Bring the group in line with the signed device lists of the users in it. */
  async #syncDevices(record: GroupRecord): Promise<void> {
    const leaves = this.#leaves(record.state);
    const users = new Set(leaves.map((l) => userOf(l.address)));
    if (record.group === null) {
      for (const user of record.conversation.slice('dm:'.length).split('|')) users.add(user);
    }
    const removes: Proposal[] = [];
    const unlinked: DeviceAddress[] = [];
    const missing: DeviceAddress[] = [];
    for (const user of [...users].sort()) {
      const signed = await this.#signedDevices(user);
      for (const leaf of leaves) {
        if (userOf(leaf.address) === user && !signed.includes(leaf.address)) {
          removes.push({ proposalType: 'remove', remove: { removed: leaf.index } });
          unlinked.push(leaf.address);
        }
      }
      for (const device of signed) {
        if (device !== this.#context.address && !leaves.some((l) => l.address === device)) missing.push(device);
      }
    }
    if (removes.length === 0 && missing.length === 0) return;
    const adds: Proposal[] = [];
    for (const device of missing) adds.push({ proposalType: 'add', add: { keyPackage: await this.#fetchKeyPackage(device) } });
    await this.#commit(record, [...removes, ...adds], missing, unlinked);
  }

  /**
   * Commit these proposals (none: a fresh update path), send the Commit to every other
   * member device as it was before (removed devices learn of their removal; unlinked ones no
   * longer exist) and a Welcome to each added device.
   */
  async #commit(record: GroupRecord, proposals: Proposal[], added: readonly DeviceAddress[] = [], unlinked: readonly DeviceAddress[] = []): Promise<void> {
    const cs = await this.#cs();
    const before = this.#leafAddresses(record.state).filter((a) => a !== this.#context.address && !unlinked.includes(a));
    const result = await createCommit({ state: record.state, cipherSuite: cs }, { extraProposals: proposals, ratchetTreeExtension: true });
    record.previous = { state: record.state, committer: record.state.privatePath.leafIndex };
    record.state = result.newState;
    // A commit without proposals, or with removes, carries an update path: this device's keys are fresh.
    if (proposals.length === 0 || proposals.some((p) => p.proposalType === 'remove')) record.dirty = false;
    if (before.length > 0) {
      const body = encodeMlsMessage(result.commit);
      await this.#context.provider.send(before.map((to) => ({ to, body })));
    }
    if (added.length > 0) {
      if (!result.welcome) throw new MlsError('the commit produced no Welcome');
      const body = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome: result.welcome });
      await this.#context.provider.send(added.map((to) => ({ to, body })));
    }
  }

  async #fetchKeyPackage(device: DeviceAddress): Promise<KeyPackage> {
    const response = await this.#context.provider.fetchBundle(device);
    const bytes = response.oneTimeKeys[POOL] ?? response.bundle;
    const decoded = decodeMlsMessage(bytes, 0)?.[0];
    if (decoded?.wireformat !== 'mls_key_package') throw new MlsError(`${device}'s bundle is not a KeyPackage`);
    const leaf = decoded.keyPackage.leafNode;
    const claims = openCredential(this.#context.crypto, leaf.credential, leaf.signaturePublicKey);
    if (!claims || claims.address !== device) throw new MlsError(`the KeyPackage handed out for ${device} is not ${device}'s`);
    return decoded.keyPackage;
  }

  /** Join from a Welcome with one of this device's KeyPackages; one-time ones are deleted once used. */
  async #join(welcome: Welcome): Promise<void> {
    const cs = await this.#cs();
    const ref = welcome.secrets.map((s) => hex(s.newMember)).find((r) => this.#keyPackages.has(r));
    if (!ref) throw new MlsError('a Welcome for none of this device\'s KeyPackages', 'invalid-prekey');
    const entry = this.#keyPackages.get(ref)!;
    const keyPackage = decodeKeyPackage(entry.message);
    const state = await joinGroup(welcome, keyPackage, entry.private, emptyPskIndex, cs, undefined, undefined, this.#config);
    const id = utf8.decode(state.groupContext.groupId);
    const existing = this.#groups.get(id);
    // A replayed Welcome cannot bring back an older state (its KeyPackage is gone anyway once used).
    if (existing && existing.state.groupActiveState.kind === 'active' && existing.state.groupContext.epoch >= state.groupContext.epoch) {
      throw new MlsError(`already a member of ${id} (a replayed Welcome?)`, 'duplicate-message');
    }
    const users = this.#leafUsers(state);
    let record: GroupRecord;
    const scenarioGroup = /^group:([^:]+):([^:]+)$/.exec(id);
    const dm = /^dm:([^|:]+)\|([^|:]+):/.exec(id);
    if (scenarioGroup) {
      const [, group, admin] = scenarioGroup as unknown as [string, string, string];
      if (!users.includes(admin)) throw new MlsError(`group ${group}'s admin ${admin} is not in it`);
      record = { conversation: `group:${group}`, group, admin, dirty: false, state, previous: null };
    } else if (dm) {
      const pair = [dm[1]!, dm[2]!];
      if (!pair.includes(this.#context.user) || users.some((u) => !pair.includes(u))) throw new MlsError(`a one-to-one group ${id} with others in it`);
      record = { conversation: `dm:${pair.join('|')}`, group: null, admin: null, dirty: false, state, previous: null };
    } else {
      throw new MlsError(`unknown kind of group ${id}`);
    }
    this.#groups.set(id, record);
    if (!entry.lastResort) this.#keyPackages.delete(ref);
    else await this.#rotateLastResort(ref);
  }

  /** A used last-resort KeyPackage is replaced, so a later copy of this device cannot join from old Welcomes. */
  async #rotateLastResort(ref: string): Promise<void> {
    try {
      const bundle = await this.#newKeyPackage(true);
      await this.#context.provider.publishKeys({ bundle });
      this.#keyPackages.delete(ref);
    } catch {
      // A restored copy cannot publish; it keeps what the image held.
    }
  }

  /** Application messages are opened here, to learn their authenticated sender leaf; null for a handshake message. */
  async #openApplication(state: ClientState, pm: PrivateMessage): Promise<{ message: Uint8Array; from: DeviceAddress; state: ClientState } | null> {
    const cs = await this.#cs();
    const config = state.clientConfig.keyRetentionConfig;
    if (pm.epoch < state.groupContext.epoch) {
      const old = state.historicalReceiverData.get(pm.epoch);
      if (!old) throw new MlsError('a message from an epoch too old');
      const result = await unprotectPrivateMessage(old.senderDataSecret, pm, old.secretTree, old.ratchetTree, old.groupContext, config, cs);
      if (result.content.content.contentType !== 'application') throw new MlsError('a handshake message from a former epoch');
      const historical = new Map(state.historicalReceiverData);
      historical.set(pm.epoch, { ...old, secretTree: result.tree });
      return { message: result.content.content.applicationData, from: this.#senderOf(old.ratchetTree, result.content.content.sender), state: { ...state, historicalReceiverData: historical } };
    }
    const result = await unprotectPrivateMessage(state.keySchedule.senderDataSecret, pm, state.secretTree, state.ratchetTree, state.groupContext, config, cs);
    if (result.content.content.contentType !== 'application') return null;
    return { message: result.content.content.applicationData, from: this.#senderOf(state.ratchetTree, result.content.content.sender), state: { ...state, secretTree: result.tree } };
  }

  #senderOf(tree: ClientState['ratchetTree'], sender: { senderType: string; leafIndex?: number }): DeviceAddress {
    if (sender.senderType !== 'member' || sender.leafIndex === undefined) throw new MlsError('an application message not from a member');
    const node = tree[sender.leafIndex * 2];
    if (node?.nodeType !== 'leaf') throw new MlsError('an application message from an empty leaf');
    return addressOf(node.leaf.credential);
  }

  /** Process a Commit; it takes effect only if every change in it is one its committer may make. */
  async #processCommit(record: GroupRecord, pm: PrivateMessage): Promise<void> {
    const applied = await this.#applyCommit(record, record.state, pm);
    if (!applied) return; // a proposal: nothing to apply until a commit
    this.#showRosterChange(record, record.state, applied.state);
    record.previous = { state: record.state, committer: applied.committer };
    record.state = applied.state;
  }

  /**
   * What the app shows when a commit changes the roster (RFC 9420 §12.1: Add and Remove
   * proposals are the only way a leaf joins or leaves): a group's members added or removed,
   * and a new device of a user already in the conversation (as MLS messengers such as Wire
   * show "started using a new device").
   */
  #showRosterChange(record: GroupRecord, before: ClientState, after: ClientState): void {
    const users = listChanges(this.#leafUsers(before), this.#leafUsers(after));
    if (record.group !== null && users.added.length > 0) this.#context.alert('member-added', record.group);
    if (record.group !== null && users.removed.length > 0) this.#context.alert('member-removed', record.group);
    const known = new Set(this.#leafUsers(before));
    const devices = listChanges(this.#leafAddresses(before), this.#leafAddresses(after)).added.filter((d) => known.has(userOf(d)) && d !== this.#context.address);
    alertEach(this.#context, 'new-device', devices);
  }

  /**
   * Two members committed in the same epoch (one was offline, or both sent before either
   * commit arrived): without a delivery service that orders handshake messages, every
   * member settles on the same one, the commit of the lowest leaf index. A member still in
   * the epoch the other commit made rolls back and applies the winner; application
   * messages sent in the losing epoch are lost, as in any MLS fork. False when `pm` is not
   * a commit for the epoch before the current one.
   */
  async #commitRace(record: GroupRecord, pm: PrivateMessage): Promise<boolean> {
    const previous = record.previous;
    if (!previous || pm.epoch !== previous.state.groupContext.epoch || pm.epoch + 1n !== record.state.groupContext.epoch) return false;
    if (pm.contentType !== 'commit') return false;
    const applied = await this.#applyCommit(record, previous.state, pm);
    if (!applied) return false;
    if (applied.committer >= previous.committer) throw new MlsError(`a commit for epoch ${pm.epoch} that lost to leaf ${previous.committer}'s`);
    this.#showRosterChange(record, record.state, applied.state);
    record.previous = { state: previous.state, committer: applied.committer };
    record.state = applied.state;
    return true;
  }

  async #applyCommit(record: GroupRecord, state: ClientState, pm: PrivateMessage): Promise<{ state: ClientState; committer: number } | null> {
    const cs = await this.#cs();
    let seen: { committer: number | undefined; proposals: ProposalWithSender[] } | null = null;
    const result = await processPrivateMessage(state, pm, emptyPskIndex, cs, (incoming) => {
      if (incoming.kind === 'commit') seen = { committer: incoming.senderLeafIndex, proposals: incoming.proposals };
      return 'accept';
    });
    if (result.kind !== 'newState') throw new MlsError('expected a handshake message');
    if (seen === null) return null;
    const commit: { committer: number | undefined; proposals: ProposalWithSender[] } = seen;
    await this.#checkCommit(record, state, commit);
    return { state: result.newState, committer: commit.committer! };
  }

  async #checkCommit(record: GroupRecord, state: ClientState, { committer, proposals }: { committer: number | undefined; proposals: ProposalWithSender[] }): Promise<void> {
    const leaves = this.#leaves(state);
    const by = leaves.find((l) => l.index === committer);
    if (!by) throw new MlsError('a commit from outside the group');
    const committerUser = userOf(by.address);
    const members = new Set(leaves.map((l) => userOf(l.address)));
    const removedUsers = new Map<string, number>();
    for (const { proposal } of proposals) {
      switch (proposal.proposalType) {
        case 'add': {
          const leaf = proposal.add.keyPackage.leafNode;
          const claims = openCredential(this.#context.crypto, leaf.credential, leaf.signaturePublicKey);
          if (!claims) throw new MlsError('a commit adds a device without a valid credential');
          const user = userOf(claims.address);
          if (!(await this.#signedDevices(user)).includes(claims.address)) {
            throw new MlsError(`${by.address} added ${claims.address}, which ${user} does not list`);
          }
          const allowed = members.has(user) || (record.group !== null ? committerUser === record.admin : record.conversation.split(/[:|]/).includes(user));
          if (!allowed) throw new MlsError(`${by.address} added ${user} to ${record.group ?? record.conversation}, but only the admin may`);
          break;
        }
        case 'remove': {
          const leaf = leaves.find((l) => l.index === proposal.remove.removed);
          if (!leaf) throw new MlsError('a commit removes an empty leaf');
          const user = userOf(leaf.address);
          removedUsers.set(user, (removedUsers.get(user) ?? 0) + 1);
          const unlinked = !(await this.#signedDevices(user)).includes(leaf.address);
          if (!unlinked && committerUser !== user && committerUser !== record.admin) {
            throw new MlsError(`${by.address} removed ${leaf.address}, which it may not`);
          }
          break;
        }
        case 'update':
          break;
        default:
          throw new MlsError(`a ${proposal.proposalType} proposal is not accepted`);
      }
    }
    for (const [user, count] of removedUsers) {
      const all = leaves.filter((l) => userOf(l.address) === user).length;
      if (count === all && committerUser !== record.admin) throw new MlsError(`${by.address} removed ${user} from the group, but only the admin may`);
    }
  }

  #leaves(state: ClientState): { index: number; address: DeviceAddress; leaf: LeafNode }[] {
    const leaves: { index: number; address: DeviceAddress; leaf: LeafNode }[] = [];
    state.ratchetTree.forEach((node, nodeIndex) => {
      if (node?.nodeType === 'leaf') leaves.push({ index: nodeIndex / 2, address: addressOf(node.leaf.credential), leaf: node.leaf });
    });
    return leaves;
  }

  #leafAddresses(state: ClientState): DeviceAddress[] {
    return this.#leaves(state).map((l) => l.address);
  }

  #leafUsers(state: ClientState): string[] {
    return [...new Set(this.#leafAddresses(state).map(userOf))];
  }

  // --- internals: identities ----------------------------------------------------------

  /** ts-mls's authentication service: a credential signed by its user's identity as this device knows it. */
  async #validCredential(credential: Credential, leafKey: Uint8Array): Promise<boolean> {
    try {
      const claims = openCredential(this.#context.crypto, credential, leafKey);
      if (!claims) return false;
      return equalBytes(claims.identity, await this.#identityOf(userOf(claims.address)));
    } catch {
      return false;
    }
  }

  /** A user's identity key: own, pinned, or pinned now from the user's signed device list (trust on first use). */
  async #identityOf(user: string): Promise<Uint8Array> {
    if (user === this.#context.user) return this.#requireIdentity().publicKey;
    const pinned = this.#pinned.get(user);
    if (pinned) return pinned;
    await this.#signedDevices(user);
    return this.#pinned.get(user)!;
  }

  /** The devices a user vouches for in its signed list; its identity is pinned on first use and must not change. */
  async #signedDevices(user: string): Promise<DeviceAddress[]> {
    const listing = await this.#context.provider.fetchDevices(user);
    if (!listing.signedList) throw new MlsIdentityError(`${user} has no signed device list`);
    const cached = this.#lists.get(user);
    if (cached && equalBytes(cached.signed, listing.signedList)) return cached.devices;
    const list = openDeviceList(this.#context.crypto, listing.signedList, user);
    const expected = user === this.#context.user ? this.#requireIdentity().publicKey : this.#pinned.get(user);
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
    if (!expected) this.#pinned.set(user, list.identity);
    const devices = list.devices.map((device) => `${user}.${device}` as DeviceAddress);
    this.#lists.set(user, { signed: listing.signedList, devices });
    return devices;
  }

  async #publishDeviceList(): Promise<void> {
    const list = this.#requireDeviceList();
    const identity = this.#requireIdentity();
    await this.#context.provider.publishDeviceList(
      signDeviceList(this.#context.crypto, identity, { user: this.#context.user, identity: identity.publicKey, ...list }),
    );
  }

  // --- internals: key packages --------------------------------------------------------

  async #generateKeyPackage(): Promise<{ publicPackage: KeyPackage; privatePackage: PrivateKeyPackage }> {
    const signing = this.#signing!;
    const credential = makeCredential(this.#context.crypto, this.#requireIdentity(), this.#context.address, signing.publicKey);
    return generateKeyPackageWithKey(credential, CAPABILITIES, defaultLifetime, [], { signKey: signing.seed, publicKey: signing.publicKey }, await this.#cs());
  }

  /** A fresh KeyPackage, kept with its private keys; returns it encoded for the directory. */
  async #newKeyPackage(lastResort: boolean): Promise<Uint8Array> {
    const { publicPackage, privatePackage } = await this.#generateKeyPackage();
    const message = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: publicPackage });
    const ref = hex(await makeKeyPackageRef(publicPackage, (await this.#cs()).hash));
    this.#keyPackages.set(ref, { message, private: privatePackage, lastResort });
    return message;
  }

  #requireIdentity(): IdentityKey {
    if (!this.#identity) throw new Error(`${this.#context.address} has no identity yet`);
    return this.#identity;
  }

  #requireHistory(): MessageHistory {
    if (!this.#history) throw new Error(`${this.#context.address} is not registered`);
    return this.#history;
  }

  #requireDeviceList(): { version: number; devices: string[] } {
    if (!this.#deviceList) throw new Error(`${this.#context.address} is not the primary device: it keeps no device list`);
    return this.#deviceList;
  }
}

/**
 * At the client boundary: ts-mls's own errors (its `MlsError` family: a message that does not
 * decode, validate or verify) and what the cryptography refuses become the coded rejection,
 * their message kept (reports quote it). Anything else, a TypeError above all, stays a crash.
 */
async function asLibraryRejection(error: unknown): Promise<unknown> {
  const library = await libraryErrors();
  if (error instanceof library.MlsError) {
    return new RejectionError(error instanceof library.CodecError ? 'malformed-message' : 'invalid-message', error.message, { cause: error });
  }
  return asRejection(error);
}

function decodeKeyPackage(message: Uint8Array): KeyPackage {
  const decoded = decodeMlsMessage(message, 0)?.[0];
  if (decoded?.wireformat !== 'mls_key_package') throw new MlsError('a stored KeyPackage does not decode');
  return decoded.keyPackage;
}
