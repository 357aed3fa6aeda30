/**
 * The MLS groups of an `mls` device: one per conversation (a one-to-one chat or a scenario
 * group), made by the first device that needs it, joined from Welcomes; the commits this
 * device makes (adds, removes, a fresh update path) and the application messages it opens.
 */
import {
  createCommit,
  createGroup,
  emptyPskIndex,
  encodeMlsMessage,
  joinGroup,
  type ClientState,
  type PrivateMessage,
  type Proposal,
  type Welcome,
} from 'ts-mls';

import type { DeviceAddress } from '../../harness/scenario/types.ts';
import { utf8 } from '../shared/codec.ts';
import { MlsError, userOf, type MlsDevice } from './device.ts';
import { addressOf } from './identity.ts';
import { unprotectPrivateMessage } from './internals.ts';
import type { KeyPackages } from './key-packages.ts';
import { leafAddresses, leaves, leafUsers } from './tree.ts';
import type { MlsTrust } from './trust.ts';

export interface GroupRecord {
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
   * the epoch it made: to settle two commits made in the same epoch (see `IncomingCommits.race`).
   */
  previous: { state: ClientState; committer: number } | null;
}

export class MlsGroups {
  readonly #device: MlsDevice;
  readonly #trust: MlsTrust;
  readonly #keyPackages: KeyPackages;
  /** Group id (text) -> the group. */
  readonly records = new Map<string, GroupRecord>();
  /** One-to-one groups this device made (their ids are unique by it). */
  counter = 0;

  constructor(device: MlsDevice, trust: MlsTrust, keyPackages: KeyPackages) {
    this.#device = device;
    this.#trust = trust;
    this.#keyPackages = keyPackages;
  }

  requireGroup(group: string): GroupRecord {
    const record = this.activeGroup(`group:${group}`);
    if (!record) throw new MlsError(`${this.#device.context.address} is not a member of ${group}`);
    return record;
  }

  /** The group this device uses for a conversation: of those it is an active member of, the lowest id (so all devices agree). */
  activeGroup(conversation: string): GroupRecord | undefined {
    const ids = [...this.records.keys()].filter((id) => {
      const record = this.records.get(id)!;
      return record.conversation === conversation && record.state.groupActiveState.kind === 'active';
    });
    ids.sort();
    return ids.length > 0 ? this.records.get(ids[0]!) : undefined;
  }

  async conversationWith(peer: string): Promise<GroupRecord> {
    const { context } = this.#device;
    const self = context.user;
    const conversation = `dm:${[self, peer].sort().join('|')}`;
    const existing = this.activeGroup(conversation);
    if (existing) return existing;
    const record = await this.newGroup(`${conversation}:${context.address}:${++this.counter}`, conversation, null, null);
    const devices = [...(await this.#trust.signedDevices(peer)), ...(await this.#trust.signedDevices(self))];
    await this.addDevices(record, devices.filter((d) => d !== context.address));
    return record;
  }

  peerOf(record: GroupRecord): string {
    const users = record.conversation.slice('dm:'.length).split('|');
    return users.find((u) => u !== this.#device.context.user) ?? this.#device.context.user;
  }

  async newGroup(id: string, conversation: string, group: string | null, admin: string | null): Promise<GroupRecord> {
    const cs = await this.#device.cs();
    const own = await this.#keyPackages.generate();
    const state = await createGroup(utf8.encode(id), own.publicPackage, own.privatePackage, [], cs, this.#device.config);
    const record: GroupRecord = { conversation, group, admin, dirty: false, state, previous: null };
    this.records.set(id, record);
    return record;
  }

  /** Add these devices with KeyPackages fetched from the directory; each gets a Welcome. */
  async addDevices(record: GroupRecord, devices: readonly DeviceAddress[]): Promise<void> {
    if (devices.length === 0) return;
    const adds: Proposal[] = [];
    const added: DeviceAddress[] = [];
    for (const device of devices) {
      const keyPackage = await this.#keyPackages.fetch(device);
      adds.push({ proposalType: 'add', add: { keyPackage } });
      added.push(device);
    }
    await this.commit(record, adds, added);
  }

  /** Bring the group in line with the signed device lists of the users in it. */
  async syncDevices(record: GroupRecord): Promise<void> {
    const present = leaves(record.state);
    const users = new Set(present.map((l) => userOf(l.address)));
    if (record.group === null) {
      for (const user of record.conversation.slice('dm:'.length).split('|')) users.add(user);
    }
    const removes: Proposal[] = [];
    const unlinked: DeviceAddress[] = [];
    const missing: DeviceAddress[] = [];
    for (const user of [...users].sort()) {
      const signed = await this.#trust.signedDevices(user);
      for (const leaf of present) {
        if (userOf(leaf.address) === user && !signed.includes(leaf.address)) {
          removes.push({ proposalType: 'remove', remove: { removed: leaf.index } });
          unlinked.push(leaf.address);
        }
      }
      for (const device of signed) {
        if (device !== this.#device.context.address && !present.some((l) => l.address === device)) missing.push(device);
      }
    }
    if (removes.length === 0 && missing.length === 0) return;
    const adds: Proposal[] = [];
    for (const device of missing) adds.push({ proposalType: 'add', add: { keyPackage: await this.#keyPackages.fetch(device) } });
    await this.commit(record, [...removes, ...adds], missing, unlinked);
  }

  /**
   * Commit these proposals (none: a fresh update path), send the Commit to every other
   * member device as it was before (removed devices learn of their removal; unlinked ones no
   * longer exist) and a Welcome to each added device.
   */
  async commit(record: GroupRecord, proposals: Proposal[], added: readonly DeviceAddress[] = [], unlinked: readonly DeviceAddress[] = []): Promise<void> {
    const { context } = this.#device;
    const cs = await this.#device.cs();
    const before = leafAddresses(record.state).filter((a) => a !== context.address && !unlinked.includes(a));
    const result = await createCommit({ state: record.state, cipherSuite: cs }, { extraProposals: proposals, ratchetTreeExtension: true });
    record.previous = { state: record.state, committer: record.state.privatePath.leafIndex };
    record.state = result.newState;
    // A commit without proposals, or with removes, carries an update path: this device's keys are fresh.
    if (proposals.length === 0 || proposals.some((p) => p.proposalType === 'remove')) record.dirty = false;
    if (before.length > 0) {
      const body = encodeMlsMessage(result.commit);
      await context.provider.send(before.map((to) => ({ to, body })));
    }
    if (added.length > 0) {
      if (!result.welcome) throw new MlsError('the commit produced no Welcome');
      const body = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome: result.welcome });
      await context.provider.send(added.map((to) => ({ to, body })));
    }
  }

  /** Join from a Welcome with one of this device's KeyPackages; one-time ones are deleted once used. */
  async join(welcome: Welcome): Promise<void> {
    const cs = await this.#device.cs();
    const { ref, entry, keyPackage } = this.#keyPackages.forWelcome(welcome);
    const state = await joinGroup(welcome, keyPackage, entry.private, emptyPskIndex, cs, undefined, undefined, this.#device.config);
    const id = utf8.decode(state.groupContext.groupId);
    const existing = this.records.get(id);
    // A replayed Welcome cannot bring back an older state (its KeyPackage is gone anyway once used).
    if (existing && existing.state.groupActiveState.kind === 'active' && existing.state.groupContext.epoch >= state.groupContext.epoch) {
      throw new MlsError(`already a member of ${id} (a replayed Welcome?)`, 'duplicate-message');
    }
    const users = leafUsers(state);
    let record: GroupRecord;
    const scenarioGroup = /^group:([^:]+):([^:]+)$/.exec(id);
    const dm = /^dm:([^|:]+)\|([^|:]+):/.exec(id);
    if (scenarioGroup) {
      const [, group, admin] = scenarioGroup as unknown as [string, string, string];
      if (!users.includes(admin)) throw new MlsError(`group ${group}'s admin ${admin} is not in it`);
      record = { conversation: `group:${group}`, group, admin, dirty: false, state, previous: null };
    } else if (dm) {
      const pair = [dm[1]!, dm[2]!];
      if (!pair.includes(this.#device.context.user) || users.some((u) => !pair.includes(u))) throw new MlsError(`a one-to-one group ${id} with others in it`);
      record = { conversation: `dm:${pair.join('|')}`, group: null, admin: null, dirty: false, state, previous: null };
    } else {
      throw new MlsError(`unknown kind of group ${id}`);
    }
    this.records.set(id, record);
    await this.#keyPackages.used(ref, entry);
  }

  /** Application messages are opened here, to learn their authenticated sender leaf; null for a handshake message. */
  async openApplication(state: ClientState, pm: PrivateMessage): Promise<{ message: Uint8Array; from: DeviceAddress; state: ClientState } | null> {
    const cs = await this.#device.cs();
    const config = state.clientConfig.keyRetentionConfig;
    if (pm.epoch < state.groupContext.epoch) {
      const old = state.historicalReceiverData.get(pm.epoch);
      if (!old) throw new MlsError('a message from an epoch too old');
      const result = await unprotectPrivateMessage(old.senderDataSecret, pm, old.secretTree, old.ratchetTree, old.groupContext, config, cs);
      if (result.content.content.contentType !== 'application') throw new MlsError('a handshake message from a former epoch');
      const historical = new Map(state.historicalReceiverData);
      historical.set(pm.epoch, { ...old, secretTree: result.tree });
      return { message: result.content.content.applicationData, from: senderOf(old.ratchetTree, result.content.content.sender), state: { ...state, historicalReceiverData: historical } };
    }
    const result = await unprotectPrivateMessage(state.keySchedule.senderDataSecret, pm, state.secretTree, state.ratchetTree, state.groupContext, config, cs);
    if (result.content.content.contentType !== 'application') return null;
    return { message: result.content.content.applicationData, from: senderOf(state.ratchetTree, result.content.content.sender), state: { ...state, secretTree: result.tree } };
  }
}

function senderOf(tree: ClientState['ratchetTree'], sender: { senderType: string; leafIndex?: number }): DeviceAddress {
  if (sender.senderType !== 'member' || sender.leafIndex === undefined) throw new MlsError('an application message not from a member');
  const node = tree[sender.leafIndex * 2];
  if (node?.nodeType !== 'leaf') throw new MlsError('an application message from an empty leaf');
  return addressOf(node.leaf.credential);
}
