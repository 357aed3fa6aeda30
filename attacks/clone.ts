/**
 * `clone`: a device seized and imaged at `at`, handed back, and its image run as a clone
 * beside it (Cremers, Fairoze, Kiesl and Naska, "Clone Detection in Secure Messaging:
 * Improving Post-Compromise Security in Practice", CCS 2020). The provider cooperates: it
 * registers the clone as the device, so the clone is delivered everything the device is and
 * sends as it (`register-as-device`). The clone is a client of the target's own design
 * restored from the image, with randomness of its own, driven only through `Client`.
 *
 * It reads whatever reaches it (`via: clone`), and it speaks: after each step in which it
 * read a message, it answers once in that conversation, as the device would, with a message
 * nobody sent (`clone-1`, `clone-2`, ...). What peers accepted of those as the device's own
 * is what `authentication` judges. Both copies then ratchet on their own randomness: a peer
 * that follows the clone's next ratchet key can no longer read the real device, nor the real
 * device the peer (its messages are delivered but `unreadable` there), until one side starts a
 * new session.
 */
import { z } from 'zod';
import { splitAddress, type Addressee, type DeviceAddress } from '../harness/scenario/types.ts';
import type { Envelope } from '../harness/provider/api.ts';
import type { Client } from '../targets/types.ts';
import type { Adversary, AdversaryView, Attack, Attribution, Holding, Position } from './types.ts';

const params = z.strictObject({
  device: z.string().describe('the cloned device, `user.device` (a bare user means its primary)'),
  at: z.string().describe('the mark at which it is imaged and the clone registers'),
});

type Params = z.infer<typeof params>;

const CLONE_TEXT = 'sent by the clone of this device';

export const clone: Adversary<Params> = {
  name: 'clone',
  description: 'a device image from `at`, used by a clone that receives as that device and sends as it, beside the real one',
  params,
  metadata: ['sender', 'recipient', 'timing', 'size'],
  active: true,
  capabilities: ['device-image', 'register-as-device'],
  prepare({ scenario, params: { device, at } }) {
    const address = (device.includes('.') ? device : `${device}.${scenario.users[device]![0]}`) as DeviceAddress;
    return new CloneAttack(address, scenario.marks[at]!);
  },
};

class CloneAttack implements Attack {
  readonly position: Position;
  readonly #address: DeviceAddress;
  readonly #holdings: Holding[] = [];
  #client: Client | null = null;
  /** Conversations the clone read a message in during the current step, to answer once each. */
  readonly #heard = new Map<string, Addressee>();
  readonly #sent: string[] = [];
  #read = 0;
  /** Envelopes delivered to the clone that it could not open, with the first reason. */
  #unopened = 0;
  #firstUnopened: string | null = null;
  readonly #refused: string[] = [];

  constructor(address: DeviceAddress, strikeStep: number) {
    this.#address = address;
    this.position = { strikeStep, compromisedDevice: address, removedMember: null };
  }

  /** What the users could see of it: the cloned device (the alert Cremers et al. add, `clone-suspected`, names it), and its messages. */
  get attribution(): Attribution {
    const forgeries = new Map(this.#sent.map((entry) => [entry.split(' ')[0]!, ['clone']] as const));
    return { footprints: [{ about: this.#address, via: 'clone' }], forgeries };
  }

  get notes(): string[] {
    const notes = [`clone of ${this.#address}: read ${this.#read} message(s) delivered to the device; sent ${this.#sent.length > 0 ? this.#sent.join(', ') : 'nothing'}`];
    if (this.#unopened > 0) notes.push(`clone of ${this.#address}: could not open ${this.#unopened} envelope(s) delivered to the device; first: ${this.#firstUnopened}`);
    notes.push(...this.#refused);
    return notes;
  }

  async afterStep(index: number, view: AdversaryView): Promise<void> {
    if (index === this.position.strikeStep) return this.#register(view);
    if (!this.#client) return;
    const conversations = [...this.#heard.values()];
    this.#heard.clear();
    for (const to of conversations) await this.#speak(this.#client, to);
  }

  async conclude(): Promise<Iterable<Holding>> {
    if (!this.#client) throw new Error(`${this.#address} was never imaged`);
    return this.#holdings;
  }

  /** Image the device, restore the image into a client of the design, and register it as the device. */
  async #register(view: AdversaryView): Promise<void> {
    const image = await view.imageDevice(this.#address);
    // What the image holds in clear: the stored history (exposed), deleted rows not yet overwritten.
    this.#holdings.push({ bytes: image, via: 'device-image' });
    const provider = view.registerAs(this.#address, (envelope) => this.#receive(envelope));
    this.#client = await view.design.restoreClient({ ...view.deviceContext(this.#address), provider }, image);
  }

  async #receive(envelope: Envelope): Promise<void> {
    if (!this.#client) return;
    try {
      const received = await this.#client.receive(envelope);
      if (!received) return;
      this.#read++;
      this.#holdings.push({ bytes: received.body, via: 'clone' });
      const to = conversationOf(received.group, received.from, this.#address);
      if (to) this.#heard.set(to.kind === 'group' ? `group ${to.group}` : `user ${to.user}`, to);
    } catch (error) {
      this.#unopened++;
      this.#firstUnopened ??= `from ${envelope.from}: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  /** One message in a conversation, through the design's own code, as the device. */
  async #speak(client: Client, to: Addressee): Promise<void> {
    const id = `clone-${this.#sent.length + this.#refused.length + 1}`;
    const conversation = to.kind === 'group' ? to.group : to.user;
    try {
      const outcome = await client.send({ id, to, body: new TextEncoder().encode(`${CLONE_TEXT} (${id})`) });
      if (outcome.sent) this.#sent.push(`${id} (to ${conversation})`);
      else this.#refused.push(`clone of ${this.#address}: ${id} to ${conversation} refused: ${outcome.reason}`);
    } catch (error) {
      this.#refused.push(`clone of ${this.#address}: ${id} to ${conversation} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** Where to answer a message: its group, or its sender's user; none for a copy of the device's own user's one-to-one message. */
function conversationOf(group: string | null, from: DeviceAddress, self: DeviceAddress): Addressee | null {
  if (group !== null) return { kind: 'group', group };
  const sender = splitAddress(from).user;
  return sender === splitAddress(self).user ? null : { kind: 'user', user: sender };
}
