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
 *
 * The parts: whom the device trusts (`trust.ts`), its KeyPackages (`key-packages.ts`), its
 * groups and the commits it makes (`groups.ts`) and takes in (`commits.ts`), its image
 * (`image.ts`).
 */
import {
  createApplicationMessage,
  decodeMlsMessage,
  defaultKeyPackageEqualityConfig,
  defaultKeyRetentionConfig,
  defaultLifetimeConfig,
  defaultPaddingConfig,
  encodeMlsMessage,
  type CiphersuiteImpl,
  type ClientConfig,
  type Proposal,
} from 'ts-mls';
import { RejectionError } from '../../harness/errors.ts';
import type { Envelope } from '../../harness/provider/api.ts';
import type { DeviceAddress } from '../../harness/scenario/types.ts';
import { pack, utf8 } from '../shared/codec.ts';
import { MessageHistory } from '../shared/history.ts';
import { decodePayload, type Payload } from '../shared/pairwise-client.ts';
import { safetyNumber } from '../shared/safety-number.ts';
import { asRejection } from '../shared/wire.ts';
import type { Client, ClientContext, OutgoingMessage, ReceivedMessage, SendOutcome } from '../types.ts';
import { IncomingCommits } from './commits.ts';
import { MlsError, userOf, type MlsDevice } from './device.ts';
import { MlsGroups, type GroupRecord } from './groups.ts';
import { exportImage, restoreImage, type DeviceParts } from './image.ts';
import { libraryErrors } from './internals.ts';
import { KeyPackages } from './key-packages.ts';
import { seededSuite } from './suite.ts';
import { leafAddresses, leaves, leafUsers } from './tree.ts';
import { MlsTrust } from './trust.ts';

export { MlsError } from './device.ts';
export { ONE_TIME_KEY_PACKAGES } from './key-packages.ts';

export class MlsClient implements Client {
  readonly #context: ClientContext;
  readonly #device: MlsDevice;
  #suite: CiphersuiteImpl | null = null;
  #history: MessageHistory | null = null;
  readonly #trust: MlsTrust;
  readonly #keyPackages: KeyPackages;
  readonly #groups: MlsGroups;
  readonly #commits: IncomingCommits;

  constructor(context: ClientContext) {
    this.#context = context;
    this.#trust = new MlsTrust(context);
    const config: ClientConfig = {
      keyRetentionConfig: defaultKeyRetentionConfig,
      lifetimeConfig: defaultLifetimeConfig,
      keyPackageEqualityConfig: defaultKeyPackageEqualityConfig,
      paddingConfig: defaultPaddingConfig,
      authService: { validateCredential: (credential, key) => this.#trust.validCredential(credential, key) },
    };
    this.#device = { context, config, cs: () => this.#cs() };
    this.#keyPackages = new KeyPackages(this.#device, this.#trust);
    this.#groups = new MlsGroups(this.#device, this.#trust, this.#keyPackages);
    this.#commits = new IncomingCommits(this.#device, this.#trust);
  }

  // --- registration and devices -------------------------------------------------------

  async register(provisioning?: Uint8Array): Promise<void> {
    this.#history = await MessageHistory.open({ secureDelete: true });
    this.#trust.adoptIdentity(provisioning);
    await this.#keyPackages.publishNew();
    if (!provisioning) await this.#trust.startDeviceList();
  }

  async provisionDevice(device: string): Promise<Uint8Array> {
    return this.#trust.provisionDevice(device);
  }

  async unlinkDevice(device: string): Promise<void> {
    await this.#trust.unlinkDevice(device);
    await this.#context.provider.removeDevice(device);
  }

  // --- messages -----------------------------------------------------------------------

  async send(message: OutgoingMessage): Promise<SendOutcome> {
    const self = this.#context.user;
    let record: GroupRecord;
    if (message.to.kind === 'user') {
      const refused = this.#trust.refused([message.to.user]);
      if (refused) return refused;
      record = await this.#groups.conversationWith(message.to.user);
    } else {
      const found = this.#groups.activeGroup(`group:${message.to.group}`);
      // Never added (or removed): MLS gives this device no keys to send in the group with.
      if (!found) return { sent: false, reason: `${this.#context.address} is not a member of ${message.to.group} in MLS` };
      record = found;
      const refused = this.#trust.refused(leafUsers(record.state).filter((u) => u !== self));
      if (refused) return refused;
    }
    await this.#groups.syncDevices(record);
    if (record.dirty) await this.#groups.commit(record, []);
    const payload: Payload = { id: message.id, body: message.body, group: record.group, at: this.#context.now() };
    const result = await createApplicationMessage(record.state, pack(payload), await this.#cs());
    record.state = result.newState;
    const body = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_private_message', privateMessage: result.privateMessage });
    const recipients = leafAddresses(record.state).filter((a) => a !== this.#context.address);
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
      await this.#groups.join(decoded.welcome);
      return null;
    }
    if (decoded.wireformat !== 'mls_private_message') throw new MlsError(`unexpected ${decoded.wireformat}`);
    const pm = decoded.privateMessage;
    const id = utf8.decode(pm.groupId);
    const record = this.#groups.records.get(id);
    if (!record) throw new MlsError(`not a member of group ${id}`, 'no-session');
    if (await this.#commits.race(record, pm)) return null;
    const opened = await this.#groups.openApplication(record.state, pm);
    if (!opened) {
      await this.#commits.process(record, pm);
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
      conversation: record.group ?? (sender === this.#context.user ? this.#groups.peerOf(record) : sender),
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
    const theirs = await this.#trust.identityOf(peer);
    return safetyNumber(
      this.#context.crypto,
      { user: this.#context.user, key: this.#trust.requireIdentity().publicKey },
      { user: peer, key: theirs },
    );
  }

  async recordVerification(peer: string, matched: boolean): Promise<void> {
    await this.#trust.recordVerification(peer, matched);
  }

  // --- groups -------------------------------------------------------------------------

  async createGroup(group: string, members: readonly string[]): Promise<void> {
    await this.#context.provider.publishRoster(group, [...members], null);
    const record = await this.#groups.newGroup(`group:${group}:${this.#context.user}`, `group:${group}`, group, this.#context.user);
    const devices: DeviceAddress[] = [];
    for (const user of new Set([...members, this.#context.user])) devices.push(...(await this.#trust.signedDevices(user)));
    await this.#groups.addDevices(record, devices.filter((d) => d !== this.#context.address));
  }

  async addMember(group: string, user: string): Promise<void> {
    const record = this.#groups.requireGroup(group);
    await this.#groups.syncDevices(record);
    const present = new Set(leafAddresses(record.state));
    await this.#groups.addDevices(record, (await this.#trust.signedDevices(user)).filter((d) => !present.has(d)));
    const roster = await this.#context.provider.fetchRoster(group);
    await this.#context.provider.publishRoster(group, [...roster.members.filter((m) => m !== user), user], null);
  }

  async removeMember(group: string, user: string): Promise<void> {
    const record = this.#groups.requireGroup(group);
    const removes: Proposal[] = leaves(record.state)
      .filter((leaf) => userOf(leaf.address) === user)
      .map((leaf) => ({ proposalType: 'remove', remove: { removed: leaf.index } }));
    if (removes.length > 0) await this.#groups.commit(record, removes);
    const roster = await this.#context.provider.fetchRoster(group);
    await this.#context.provider.publishRoster(group, roster.members.filter((m) => m !== user), null);
  }

  // --- device image -------------------------------------------------------------------

  async exportState(): Promise<Uint8Array> {
    return exportImage(this.#parts(), () => this.#requireHistory());
  }

  /** Restore a device image into this fresh client. */
  async restore(bytes: Uint8Array): Promise<this> {
    this.#history = await restoreImage(bytes, this.#parts(), this.#device.config);
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
    const record = this.#groups.records.get(utf8.decode(pm.groupId));
    if (!record) return null;
    const opened = await this.#groups.openApplication(record.state, pm);
    if (!opened || opened.from !== this.#context.address) return null;
    record.state = opened.state;
    return decodePayload(opened.message).body;
  }

  // --- internals ----------------------------------------------------------------------

  async #cs(): Promise<CiphersuiteImpl> {
    this.#suite ??= await seededSuite(this.#context.rng, this.#context.crypto);
    return this.#suite;
  }

  #parts(): DeviceParts {
    return { trust: this.#trust, keyPackages: this.#keyPackages, groups: this.#groups };
  }

  #requireHistory(): MessageHistory {
    if (!this.#history) throw new Error(`${this.#context.address} is not registered`);
    return this.#history;
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
