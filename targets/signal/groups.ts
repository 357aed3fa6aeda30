/**
 * Groups: rosters signed by the group's admin, the membership changes the app shows, and
 * sender keys. A group message is encrypted once with the sending device's sender key; each
 * device that does not have the key yet gets it sealed over the pairwise session, in the same
 * envelope. After a member leaves, the sender makes a new key (unless told not to).
 */
import type { Envelope, OutgoingEnvelope } from '../../harness/provider/api.ts';
import type { Addressee, DeviceAddress } from '../../harness/scenario/types.ts';
import { listChanges } from '../shared/alerts.ts';
import { equalBytes, pack } from '../shared/codec.ts';
import { userOf } from '../shared/pairwise-client.ts';
import type { ClientContext } from '../types.ts';
import { SignalError } from './errors.ts';
import type { DevicesOf, Identities } from './identities.ts';
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
import type { Sessions } from './sessions.ts';
import { decodeWireMessage, type GroupMessage, type GroupWireMessage } from './wire-message.ts';

/** This device's sender key for a group, the members it was made for, and the devices that have it. */
export interface OwnGroupKey {
  key: OwnSenderKey;
  members: string[];
  distributedTo: DeviceAddress[];
}

/** The sender keys as an image carries them. */
export interface SenderKeyState {
  ownSenderKeys: [string, OwnGroupKey][];
  peerSenderKeys: [string, PeerSenderKey][];
}

export interface GroupOptions {
  /** Make a new sender key after a member leaves (`SignalOptions.rotateSenderKeys`). */
  rotateSenderKeys: boolean;
  /** The client's own steps, which a design built on it may override. */
  devicesOf: DevicesOf;
  groupMembers: (group: string) => Promise<string[]>;
  seal: (to: DeviceAddress, plaintext: Uint8Array) => Promise<Uint8Array>;
}

export class SenderKeyGroups {
  /** Group -> this device's sender key. */
  readonly #ownSenderKeys = new Map<string, OwnGroupKey>();
  /** Own sender keys this image read back out of its own distributions (see `openOwn`), by group. */
  readonly #handedOverSenderKeys = new Map<string, SenderKeyDistribution[]>();
  /** `device|group` -> the sender key another device handed us. */
  readonly #peerSenderKeys = new Map<string, PeerSenderKey>();
  /** The last signed roster verified per group. */
  readonly #verifiedRosters = new Map<string, { signed: Uint8Array; members: string[] }>();
  /** The members of each group as this device's app last showed them, and those the trust policy took silently. */
  readonly #shownMembers = new Map<string, string[]>();
  readonly #silentMembers = new Map<string, Set<string>>();
  /** `device|group` -> a sender key derived again from a session start (`rederive` only). */
  readonly #rederivedSenderKeys = new Map<string, PeerSenderKey>();

  constructor(
    private readonly context: ClientContext,
    private readonly identities: Identities,
    private readonly sessions: Sessions,
    private readonly options: GroupOptions,
  ) {}

  signRoster(group: string, members: readonly string[]): Uint8Array {
    return signRoster(this.context.crypto, this.identities.own, { group, admin: this.context.user, members: [...members] });
  }

  /** The members the group's admin vouches for in its signed roster (and those the trust policy takes besides). */
  async members(group: string): Promise<string[]> {
    const roster = await this.context.provider.fetchRoster(group);
    let members: string[];
    const cached = this.#verifiedRosters.get(group);
    if (roster.signed && cached && equalBytes(cached.signed, roster.signed)) {
      members = cached.members;
    } else {
      if (!roster.signed) throw new SignalError('bad-signature', `${group} has no signed roster`);
      if (!this.identities.knows(roster.admin) && roster.admin !== this.context.user) await this.options.devicesOf(roster.admin);
      const admin = this.identities.identityOf(roster.admin);
      if (!admin) throw new SignalError('untrusted-identity', `no identity for ${group}'s admin ${roster.admin}`);
      members = openRoster(this.context.crypto, roster.signed, group, admin).members;
      this.#verifiedRosters.set(group, { signed: roster.signed, members });
    }
    const extras = this.identities.policy.membersTakenSilently(members, roster.members);
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

  /** One envelope per device: the message under this device's sender key (a fresh one after a member left), and the key for devices without it. */
  async encrypt(devices: readonly DeviceAddress[], plaintext: Uint8Array, to: Extract<Addressee, { kind: 'group' }>, users: readonly string[]): Promise<OutgoingEnvelope[]> {
    const { crypto, rng } = this.context;
    let own = this.#ownSenderKeys.get(to.group);
    if (!own || (this.options.rotateSenderKeys && own.members.some((member) => !users.includes(member)))) {
      own = { key: createSenderKey(crypto, rng), members: [...users], distributedTo: [] };
      this.#ownSenderKeys.set(to.group, own);
    }
    own.members = [...users];
    const distribution = pack(distributionOf(to.group, own.key));
    const message = encryptGroup(crypto, own.key, plaintext, groupAssociatedData(to.group, this.context.address));
    const envelopes: OutgoingEnvelope[] = [];
    for (const device of devices) {
      const sealed = own.distributedTo.includes(device) ? null : await this.options.seal(device, distribution);
      if (sealed) own.distributedTo.push(device);
      envelopes.push({ to: device, body: pack({ senderKey: { group: to.group, distribution: sealed, message } } satisfies GroupWireMessage) });
    }
    return envelopes;
  }

  /** A group message from a member's device: its sender key taken from the distribution if it carries one. */
  async open(envelope: Envelope, wire: GroupMessage): Promise<Uint8Array> {
    const sender = userOf(envelope.from);
    if (sender !== this.context.user && !(await this.options.groupMembers(wire.group)).includes(sender)) {
      throw new SignalError('unknown-device', `${sender} is not a member of ${wire.group}`);
    }
    const id = `${envelope.from}|${wire.group}`;
    if (wire.distribution) {
      const distribution = decodeDistribution(await this.sessions.open({ ...envelope, body: wire.distribution }));
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
  openOwn(envelope: Envelope, wire: GroupMessage): Uint8Array | null {
    const keys: SenderKeyDistribution[] = [];
    const own = this.#ownSenderKeys.get(wire.group);
    if (own) keys.push(distributionOf(wire.group, own.key));
    if (wire.distribution) {
      try {
        const handedOver = this.sessions.openOwn(envelope.to, decodeWireMessage(wire.distribution));
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

  /**
   * With this state's prekeys alone (`Sessions.rederive`): a group message whose sender key
   * was handed over in a session start, or came in one before. The key is kept aside for that
   * sender's later group messages; the sender keys the client uses are not changed.
   */
  rederive(envelope: Envelope, wire: GroupMessage): Uint8Array | null {
    const id = `${envelope.from}|${wire.group}`;
    const opened = wire.distribution && this.sessions.rederive(decodeWireMessage(wire.distribution));
    if (opened) this.#rederivedSenderKeys.set(id, acceptDistribution(decodeDistribution(opened)));
    const key = this.#rederivedSenderKeys.get(id);
    return key ? decryptGroup(this.context.crypto, key, wire.message, groupAssociatedData(wire.group, envelope.from)) : null;
  }

  export(): SenderKeyState {
    return { ownSenderKeys: [...this.#ownSenderKeys], peerSenderKeys: [...this.#peerSenderKeys] };
  }

  import(state: SenderKeyState): void {
    for (const [group, key] of state.ownSenderKeys) this.#ownSenderKeys.set(group, key);
    for (const [id, key] of state.peerSenderKeys) this.#peerSenderKeys.set(id, key);
  }
}

/** Binds a group message to its group and sending device. */
function groupAssociatedData(group: string, sender: string): Uint8Array {
  return new TextEncoder().encode(`${group}|${sender}`);
}
