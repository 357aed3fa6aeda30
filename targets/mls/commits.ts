/**
 * Commits other members make, as an `mls` device takes them in: a commit takes effect only
 * if every change in it is one its committer may make (an added device on its user's signed
 * list, a new user only by the admin, a device removed by its own user, the admin, or because
 * its user unlinked it); the app shows the roster changes; two commits made in the same epoch
 * are settled the same way by every member.
 */
import { emptyPskIndex, processPrivateMessage, type ClientState, type PrivateMessage, type ProposalWithSender } from 'ts-mls';

import { alertEach, listChanges } from '../shared/alerts.ts';
import { MlsError, userOf, type MlsDevice } from './device.ts';
import type { GroupRecord } from './groups.ts';
import { openCredential } from './identity.ts';
import { leafAddresses, leaves, leafUsers } from './tree.ts';
import type { MlsTrust } from './trust.ts';

interface SeenCommit {
  committer: number | undefined;
  proposals: ProposalWithSender[];
}

export class IncomingCommits {
  readonly #device: MlsDevice;
  readonly #trust: MlsTrust;

  constructor(device: MlsDevice, trust: MlsTrust) {
    this.#device = device;
    this.#trust = trust;
  }

  /** Process a Commit; it takes effect only if every change in it is one its committer may make. */
  async process(record: GroupRecord, pm: PrivateMessage): Promise<void> {
    const applied = await this.#apply(record, record.state, pm);
    if (!applied) return; // a proposal: nothing to apply until a commit
    this.#showRosterChange(record, record.state, applied.state);
    record.previous = { state: record.state, committer: applied.committer };
    record.state = applied.state;
  }

  /**
   * Two members committed in the same epoch (one was offline, or both sent before either
   * commit arrived): without a delivery service that orders handshake messages, every
   * member settles on the same one, the commit of the lowest leaf index. A member still in
   * the epoch the other commit made rolls back and applies the winner; application
   * messages sent in the losing epoch are lost, as in any MLS fork. False when `pm` is not
   * a commit for the epoch before the current one.
   */
  async race(record: GroupRecord, pm: PrivateMessage): Promise<boolean> {
    const previous = record.previous;
    if (!previous || pm.epoch !== previous.state.groupContext.epoch || pm.epoch + 1n !== record.state.groupContext.epoch) return false;
    if (pm.contentType !== 'commit') return false;
    const applied = await this.#apply(record, previous.state, pm);
    if (!applied) return false;
    if (applied.committer >= previous.committer) throw new MlsError(`a commit for epoch ${pm.epoch} that lost to leaf ${previous.committer}'s`);
    this.#showRosterChange(record, record.state, applied.state);
    // Messages of epoch `pm.epoch` opened since the losing commit consumed their keys in the
    // losing branch's copy of that epoch; the rolled-back state would hold them again, and a
    // replay would open (RFC 9420 §9.2: a consumed key is deleted). That copy carries over.
    const opened = record.state.historicalReceiverData.get(pm.epoch);
    const state = opened ? { ...applied.state, historicalReceiverData: new Map(applied.state.historicalReceiverData).set(pm.epoch, opened) } : applied.state;
    record.previous = { state: previous.state, committer: applied.committer };
    record.state = state;
    return true;
  }

  /**
   * What the app shows when a commit changes the roster (RFC 9420 §12.1: Add and Remove
   * proposals are the only way a leaf joins or leaves): a group's members added or removed,
   * and a new device of a user already in the conversation (as MLS messengers such as Wire
   * show "started using a new device").
   */
  #showRosterChange(record: GroupRecord, before: ClientState, after: ClientState): void {
    const { context } = this.#device;
    const users = listChanges(leafUsers(before), leafUsers(after));
    if (record.group !== null && users.added.length > 0) context.alert('member-added', record.group);
    if (record.group !== null && users.removed.length > 0) context.alert('member-removed', record.group);
    const known = new Set(leafUsers(before));
    const devices = listChanges(leafAddresses(before), leafAddresses(after)).added.filter((d) => known.has(userOf(d)) && d !== context.address);
    alertEach(context, 'new-device', devices);
  }

  async #apply(record: GroupRecord, state: ClientState, pm: PrivateMessage): Promise<{ state: ClientState; committer: number } | null> {
    const cs = await this.#device.cs();
    let seen: SeenCommit | null = null;
    const result = await processPrivateMessage(state, pm, emptyPskIndex, cs, (incoming) => {
      if (incoming.kind === 'commit') seen = { committer: incoming.senderLeafIndex, proposals: incoming.proposals };
      return 'accept';
    });
    if (result.kind !== 'newState') throw new MlsError('expected a handshake message');
    if (seen === null) return null;
    const commit: SeenCommit = seen;
    await this.#check(record, state, commit);
    return { state: result.newState, committer: commit.committer! };
  }

  async #check(record: GroupRecord, state: ClientState, { committer, proposals }: SeenCommit): Promise<void> {
    const present = leaves(state);
    const by = present.find((l) => l.index === committer);
    if (!by) throw new MlsError('a commit from outside the group');
    const committerUser = userOf(by.address);
    const members = new Set(present.map((l) => userOf(l.address)));
    const removedUsers = new Map<string, number>();
    for (const { proposal } of proposals) {
      switch (proposal.proposalType) {
        case 'add': {
          const leaf = proposal.add.keyPackage.leafNode;
          const claims = openCredential(this.#device.context.crypto, leaf.credential, leaf.signaturePublicKey);
          if (!claims) throw new MlsError('a commit adds a device without a valid credential');
          const user = userOf(claims.address);
          if (!(await this.#trust.signedDevices(user)).includes(claims.address)) {
            throw new MlsError(`${by.address} added ${claims.address}, which ${user} does not list`);
          }
          const allowed = members.has(user) || (record.group !== null ? committerUser === record.admin : record.conversation.split(/[:|]/).includes(user));
          if (!allowed) throw new MlsError(`${by.address} added ${user} to ${record.group ?? record.conversation}, but only the admin may`);
          break;
        }
        case 'remove': {
          const leaf = present.find((l) => l.index === proposal.remove.removed);
          if (!leaf) throw new MlsError('a commit removes an empty leaf');
          const user = userOf(leaf.address);
          removedUsers.set(user, (removedUsers.get(user) ?? 0) + 1);
          const unlinked = !(await this.#trust.signedDevices(user)).includes(leaf.address);
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
      const all = present.filter((l) => userOf(l.address) === user).length;
      if (count === all && committerUser !== record.admin) throw new MlsError(`${by.address} removed ${user} from the group, but only the admin may`);
    }
  }
}
