/**
 * `traffic-analysis`: the provider's view of envelopes, receipts and timing; passive. It
 * holds what `server` holds, and names the sender of every message it can: at once where the
 * envelope names it, and otherwise by the statistical disclosure attack on sealed sender
 * (Martiny, Kaptchuk, Aviv, Roche & Sherr, "Improving Signal's Sealed Sender", NDSS 2021,
 * §4): the app answers each message with a delivery receipt to its sender, so its sender is
 * among the users that receive something right after it (`attacks/traffic/disclosure.ts`).
 *
 * What it reads of each stored envelope is what routing needs: the recipient, the sender the
 * envelope names (none, sealed), the step it was stored at (the epoch), and which upload it
 * came in. Copies a user sends to its own other devices it takes for what they are, traffic to
 * that user; but such a copy names its sender, and the sealed envelopes that came in the same
 * upload (one request of one client) are the same message to others: the upload names their
 * sender too (`via: upload`). And the provider keeps each group's roster to route by: a
 * group message goes to every member but its sender, so the roster names the one left out
 * (`via: roster`). Sealed sender hides the sender of a one-to-one message from a user with
 * one device.
 */
import type { Envelope } from '../harness/provider/api.ts';
import { SEALED_SENDER } from '../harness/provider/api.ts';
import { decodeWire } from '../harness/provider/wire.ts';
import { splitAddress } from '../harness/scenario/types.ts';
import { NO_POSITION, serverHoldings } from './capture.ts';
import { discloseSenders, type Observation } from './traffic/disclosure.ts';
import type { Adversary, AdversaryView, Attack, Holding, SenderLink } from './types.ts';

/**
 * A sealed envelope no larger than this the provider takes for a delivery receipt: its content
 * is a message id, and receipts are the smallest sealed envelopes it carries (in `signal`
 * about 310 to 330 bytes; the smallest sealed message, over 500). It sees sizes (SPEC §4
 * metadata); a message taken for a receipt is only a link it does not make.
 */
const RECEIPT_SIZE = 400;

/**
 * The stored envelopes as routing metadata, in the order the provider handled them: each at
 * the moment it was delivered (a receipt follows the delivery that draws it, which for a
 * device that was offline is when it came back, not when the message was stored), and one
 * never delivered at the moment it was stored.
 */
export function providerObservations(view: AdversaryView): Observation[] {
  const stored = view.providerStored;
  // The user each upload names in any of its envelopes: the uploader, whose connection it is.
  const uploaderOf = new Map<number, string>();
  const envelopes = new Map<number, { recipient: string; sender: string | null; upload: number | null; size: number }>();
  // Per sealed upload: the users its sealed messages go to, and the groups as they stood then.
  const fanOut = new Map<number, { recipients: Set<string>; rosters: ReadonlyMap<string, readonly string[]> }>();
  let rosters = new Map<string, readonly string[]>();
  stored.forEach((item, index) => {
    if (item.kind === 'roster' && item.members) {
      rosters = new Map(rosters).set(item.owner, item.members);
      return;
    }
    if (item.kind !== 'envelope') return;
    const envelope = decodeWire<Envelope>(item.bytes);
    const sender = envelope.from === SEALED_SENDER ? null : splitAddress(envelope.from).user;
    const upload = item.upload ?? null;
    const recipient = splitAddress(envelope.to).user;
    if (sender !== null && upload !== null) uploaderOf.set(upload, sender);
    if (sender === null && upload !== null && envelope.body.length > RECEIPT_SIZE) {
      const seen = fanOut.get(upload) ?? { recipients: new Set<string>(), rosters };
      fanOut.set(upload, seen);
      seen.recipients.add(recipient);
    }
    envelopes.set(index, { recipient, sender, upload, size: envelope.body.length });
  });
  const rosterSender = new Map<number, string>();
  for (const [upload, { recipients, rosters: groups }] of fanOut) {
    const sender = leftOutOfGroup(recipients, groups);
    if (sender !== null) rosterSender.set(upload, sender);
  }
  const observe = (index: number, epoch: number): Observation => {
    const { recipient, sender, upload, size } = envelopes.get(index)!;
    // A copy to the sender's own devices is traffic to that user, not a message to another.
    const receipt = sender === null && size <= RECEIPT_SIZE;
    const message = sender === recipient || receipt ? null : upload;
    if (sender !== null || message === null) return { epoch, recipient, sender, message };
    const uploader = uploaderOf.get(message);
    if (uploader !== undefined) return { epoch, recipient, sender: uploader, message, namedBy: 'upload' };
    const member = rosterSender.get(message);
    if (member !== undefined) return { epoch, recipient, sender: member, message, namedBy: 'roster' };
    return { epoch, recipient, sender, message };
  };
  const delivered = new Set(view.providerDeliveries.map((delivery) => delivery.item));
  const deliveries = view.providerDeliveries;
  const observations: Observation[] = [];
  let next = 0;
  const deliveredBefore = (position: number) => {
    for (; next < deliveries.length && deliveries[next]!.storedBefore <= position; next++) observations.push(observe(deliveries[next]!.item, deliveries[next]!.step));
  };
  stored.forEach((item, index) => {
    deliveredBefore(index);
    if (envelopes.has(index) && !delivered.has(index)) observations.push(observe(index, item.step));
  });
  deliveredBefore(Number.POSITIVE_INFINITY);
  return observations;
}

/**
 * The sender of a group message, as the provider's rosters give it away: an upload that went
 * to two or more other users (a one-to-one message goes to one) went to a group's members,
 * all but the sender; the group whose members are those users and exactly one more names
 * that one. Several groups that would name different users name none.
 */
function leftOutOfGroup(recipients: ReadonlySet<string>, rosters: ReadonlyMap<string, readonly string[]>): string | null {
  if (recipients.size < 2) return null;
  const candidates = new Set<string>();
  for (const members of rosters.values()) {
    if (members.length !== recipients.size + 1 || ![...recipients].every((user) => members.includes(user))) continue;
    candidates.add(members.find((member) => !recipients.has(member))!);
  }
  return candidates.size === 1 ? [...candidates][0]! : null;
}

/**
 * A passive attack on what the provider stores: `hold` gives what it holds at the end, and the
 * senders it links are those the stored envelopes tell (`only: 'named'`: the senders they or
 * their uploads name; otherwise the disclosure attack's guesses too).
 */
export function providerViewAttack(hold: (view: AdversaryView) => Promise<Iterable<Holding>>, only?: 'named'): Attack {
  let links: SenderLink[] = [];
  return {
    position: NO_POSITION,
    get senderLinks() {
      return links;
    },
    async conclude(view) {
      links = senderLinksFrom(providerObservations(view), only);
      return hold(view);
    },
  };
}

/** upload -> how many messages to its recipient the provider had seen by its first envelope (1: the first), as `SenderLink.after` counts. */
export function messageOrdinals(observations: readonly Observation[]): Map<number, number> {
  const ordinals = new Map<number, number>();
  const counts = new Map<string, number>();
  for (const { message, recipient } of observations) {
    if (message === null || ordinals.has(message)) continue;
    const count = (counts.get(recipient) ?? 0) + 1;
    counts.set(recipient, count);
    ordinals.set(message, count);
  }
  return ordinals;
}

/** Who sent what, as far as the observations tell: the attack's guesses as links. */
export function senderLinksFrom(observations: readonly Observation[], only?: 'named'): SenderLink[] {
  return discloseSenders(observations)
    .filter((guess) => only === undefined || guess.via !== 'disclosure')
    .map((guess) => ({ upload: guess.message, sender: guess.sender, via: guess.via, after: guess.after }));
}

export const trafficAnalysis: Adversary = {
  name: 'traffic-analysis',
  description: "the provider's view of envelopes, receipts and timing; runs a statistical disclosure attack on sender identities",
  metadata: ['recipient', 'timing', 'size'],
  active: false,
  capabilities: ['read-provider'],
  prepare: () => providerViewAttack(async (view) => serverHoldings(view)),
};
