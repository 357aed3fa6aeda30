/**
 * The part of a client that most designs share: message history on the device, fan-out of
 * every message to each recipient device (and the sender's other devices), group messages
 * as pairwise copies over the provider's roster, verification state, and the device image.
 * A design supplies how to seal a payload for one device and open an envelope.
 */
import type { Envelope, KeyUpload, OutgoingEnvelope } from '../../harness/provider/api.ts';
import { splitAddress, type Addressee, type DeviceAddress } from '../../harness/scenario/types.ts';
import type { Client, ClientContext, OutgoingMessage, ReceivedMessage, SendOutcome } from '../types.ts';
import { pack, unpack } from './codec.ts';
import { MessageHistory } from './history.ts';
import { asRejection, unpackFields, wireBytes, wireCount, wireNullable, wireString } from './wire.ts';

/** What travels inside every encrypted message. */
export interface Payload {
  id: string;
  body: Uint8Array;
  group: string | null;
  at: number;
}

interface Image {
  keys: unknown;
  verification: [string, boolean][];
  history: Uint8Array;
}

export abstract class PairwiseClient implements Client {
  #history: MessageHistory | null = null;
  /** Peer user -> whether the last safety-number comparison matched. */
  protected readonly verification = new Map<string, boolean>();

  constructor(
    protected readonly context: ClientContext,
    private readonly historyOptions = { secureDelete: true },
  ) {}

  /** Create this device's keys (a linked device gets its primary's provisioning); return what to publish. */
  protected abstract createKeys(provisioning?: Uint8Array): Promise<KeyUpload>;
  /** Encrypt a payload for one device. */
  protected abstract seal(to: DeviceAddress, plaintext: Uint8Array): Promise<Uint8Array>;
  /** Decrypt an envelope addressed to this device; throw the coded rejection (`RejectionError`) to reject it. */
  protected abstract open(envelope: Envelope): Promise<Uint8Array>;
  /** The design's key material, as stored on the device (MessagePack-encodable). */
  protected abstract exportKeys(): unknown;
  protected abstract importKeys(keys: unknown): void;

  protected get history(): MessageHistory {
    if (!this.#history) throw new Error(`${this.context.address} is not registered`);
    return this.#history;
  }

  async register(provisioning?: Uint8Array): Promise<void> {
    this.#history = await MessageHistory.open(this.historyOptions);
    await this.context.provider.publishKeys(await this.createKeys(provisioning));
  }

  async provisionDevice(_device: string): Promise<Uint8Array> {
    return new Uint8Array(0);
  }

  async unlinkDevice(device: string): Promise<void> {
    await this.context.provider.removeDevice(device);
  }

  async send(message: OutgoingMessage): Promise<SendOutcome> {
    const users = await this.recipientUsers(message.to);
    const devices = await this.devicesFor(users);
    const refused = users.filter((u) => this.verification.get(u) === false);
    if (refused.length > 0) {
      return { sent: false, reason: `safety number with ${refused.join(', ')} did not match` };
    }
    const group = message.to.kind === 'group' ? message.to.group : null;
    const payload: Payload = { id: message.id, body: message.body, group, at: this.context.now() };
    const envelopes = await this.sealAll(devices, pack(payload), message.to, users);
    await this.context.provider.send(envelopes);
    this.history.add({
      id: message.id,
      direction: 'out',
      conversation: group ?? (message.to.kind === 'user' ? message.to.user : ''),
      sender: this.context.address,
      body: message.body,
      at: payload.at,
    });
    return { sent: true };
  }

  async receive(envelope: Envelope): Promise<ReceivedMessage | null> {
    let plaintext: Uint8Array;
    try {
      plaintext = await this.open(envelope);
    } catch (error) {
      // What the cryptography refuses deep in a design's code is a rejection too (a low-order key).
      const rejection = asRejection(error);
      this.rejected(envelope, rejection);
      throw rejection;
    }
    const payload = decodePayload(plaintext);
    const sender = userOf(envelope.from);
    this.history.add({
      id: payload.id,
      direction: sender === this.context.user ? 'out' : 'in',
      conversation: payload.group ?? sender,
      sender: envelope.from,
      body: payload.body,
      at: payload.at,
    });
    return { id: payload.id, from: envelope.from, body: payload.body, group: payload.group };
  }

  /** The client rejected an envelope: what the app shows for it (nothing, by default). */
  protected rejected(_envelope: Envelope, _rejection: unknown): void {}

  async deleteMessages(ids: readonly string[] | 'all'): Promise<void> {
    this.history.delete(ids);
  }

  async safetyNumber(_peer: string): Promise<string | null> {
    return null;
  }

  async recordVerification(peer: string, matched: boolean): Promise<void> {
    this.verification.set(peer, matched);
  }

  async createGroup(group: string, members: readonly string[]): Promise<void> {
    await this.setMembers(group, [...members]);
  }

  async addMember(group: string, user: string): Promise<void> {
    await this.setMembers(group, [...(await this.groupMembers(group)), user]);
  }

  async removeMember(group: string, user: string): Promise<void> {
    await this.setMembers(group, (await this.groupMembers(group)).filter((m) => m !== user));
  }

  /** On the admin: publish a group's members, signed if the design signs rosters. */
  protected async setMembers(group: string, members: string[]): Promise<void> {
    await this.context.provider.publishRoster(group, members, await this.signRoster(group, members));
  }

  /** The admin's signature over a roster; none by default (the provider's roster is trusted). */
  protected async signRoster(_group: string, _members: readonly string[]): Promise<Uint8Array | null> {
    return null;
  }

  /** A group's members as this client trusts them; by default, the provider's roster. */
  protected async groupMembers(group: string): Promise<string[]> {
    return (await this.context.provider.fetchRoster(group)).members;
  }

  /** Encrypt a message's payload for every device it goes to; by default one `seal` per device. */
  protected async sealAll(devices: readonly DeviceAddress[], plaintext: Uint8Array, _to: Addressee, _users: readonly string[]): Promise<OutgoingEnvelope[]> {
    const envelopes: OutgoingEnvelope[] = [];
    for (const to of devices) envelopes.push({ to, body: await this.seal(to, plaintext) });
    return envelopes;
  }

  async exportState(): Promise<Uint8Array> {
    const image: Image = {
      keys: this.exportKeys(),
      verification: [...this.verification],
      history: this.history.exportFile(),
    };
    return pack(image);
  }

  /** Restore a device image into this fresh client. */
  async restore(image: Uint8Array): Promise<this> {
    const state = unpack<Image>(image, 'device image');
    this.importKeys(state.keys);
    for (const [peer, matched] of state.verification) this.verification.set(peer, matched);
    this.#history = await MessageHistory.open(this.historyOptions, state.history);
    return this;
  }

  /** Make this fresh client hold `keys` (as `exportKeys` gives them) and an empty history. */
  async adopt(keys: unknown): Promise<this> {
    this.importKeys(keys);
    this.#history = await MessageHistory.open(this.historyOptions);
    return this;
  }

  async openSent(_envelope: Envelope): Promise<Uint8Array | null> {
    return null;
  }

  /** The users a message goes to: the addressee (or the group's members) and this user. */
  protected async recipientUsers(to: Addressee): Promise<string[]> {
    const users = to.kind === 'user' ? [to.user] : await this.groupMembers(to.group);
    return [...new Set([...users, this.context.user])];
  }

  /** Every device of these users but this one. */
  protected async devicesFor(users: readonly string[]): Promise<DeviceAddress[]> {
    const devices: DeviceAddress[] = [];
    for (const user of users) {
      for (const device of await this.devicesOf(user)) {
        if (device !== this.context.address) devices.push(device);
      }
    }
    return devices;
  }

  /** The devices of a user as this client trusts them; by default, the provider's list. */
  protected async devicesOf(user: string): Promise<DeviceAddress[]> {
    const listing = await this.context.provider.fetchDevices(user);
    return listing.devices.map((device) => `${user}.${device}` as DeviceAddress);
  }
}

/** The payload inside a decrypted message (authenticated, but a sender may still send garbage). */
export function decodePayload(plaintext: Uint8Array): Payload {
  const payload = unpackFields(plaintext, 'message payload');
  return {
    id: wireString(payload['id'], 'message payload.id'),
    body: wireBytes(payload['body'], 'message payload.body'),
    group: wireNullable(payload['group'], (v) => wireString(v, 'message payload.group')),
    at: wireCount(payload['at'], 'message payload.at'),
  };
}

export function userOf(address: string): string {
  return splitAddress(address as DeviceAddress).user;
}
