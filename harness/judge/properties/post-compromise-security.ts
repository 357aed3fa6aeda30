/**
 * Post-compromise security (SPEC §5), judged from the compromised device: in every
 * conversation of that device, leaks of `after` messages stop within two round trips (four
 * one-way legs) counted from the device's first send there after the strike, and never
 * resume. Healing needs fresh randomness from the compromised device itself: a new ratchet
 * key in the Double Ratchet (DR §3.5, sent with its next message), a commit that updates its
 * own leaf in MLS (RFC 9420 §12.4, §16.6, made before it sends). Until it sends, every
 * protocol leaves the copy of its state in step with the peers, so leaks before that send are
 * no finding, and a conversation it never sends in again cannot heal: `inconclusive`, as is
 * one that ends, still leaking, before the window closes. `healedAfter` counts the `after`
 * messages that leaked, null unless the leaks stopped everywhere.
 */
import { splitAddress, type DeviceAddress } from '../../scenario/types.ts';
import { listMessages, plural, type JudgedMessage, type PropertyEvaluator } from '../context.ts';

/** Two round trips: A->B, B->A, A->B, B->A. */
export const HEALING_LEGS = 4;

/** How one conversation of the compromised device came out. */
type Outcome =
  | { kind: 'healed'; leaked: number }
  | { kind: 'violated'; detail: string }
  | { kind: 'inconclusive'; detail: string };

export const postCompromiseSecurity: PropertyEvaluator = ({ messages, position, untriedSender }) => {
  const device = position.compromisedDevice;
  if (device === null || position.strikeStep === null) {
    return { verdict: 'not-applicable', detail: 'the adversary compromised no device' };
  }
  const user = splitAddress(device).user;
  const conversations = new Map<string, JudgedMessage[]>();
  for (const message of messages) {
    // A message its sender's client refused to send never existed on the wire: it shows nothing.
    if (message.class !== 'after' || message.truth.refused !== null) continue;
    const key = conversationOf(message, user);
    if (key === null) continue;
    const sequence = conversations.get(key);
    if (sequence) sequence.push(message);
    else conversations.set(key, [message]);
  }
  if (conversations.size === 0) {
    return { verdict: 'not-applicable', detail: `no message of ${user}'s conversations was sent after the strike`, healedAfter: null };
  }

  // Messages the adversary could not even try tell nothing about leaks; they still count as sends and legs.
  const tried = (message: JudgedMessage): boolean => untriedSender === null || message.truth.from !== untriedSender;
  const outcomes = [...conversations].map(([conversation, sequence]) => judgeConversation(conversation, sequence, device, tried));
  const violated = outcomes.flatMap((o) => (o.kind === 'violated' ? [o.detail] : []));
  if (violated.length > 0) return { verdict: 'violated', detail: violated.join('; '), healedAfter: null };
  const open = outcomes.flatMap((o) => (o.kind === 'inconclusive' ? [o.detail] : []));
  if (open.length > 0) return { verdict: 'inconclusive', detail: open.join('; '), healedAfter: null };
  const healedAfter = outcomes.reduce((sum, o) => sum + (o.kind === 'healed' ? o.leaked : 0), 0);
  return {
    verdict: 'holds',
    detail:
      healedAfter === 0
        ? 'no later message leaked'
        : `${plural(healedAfter, 'later message')} leaked, then the sessions healed within two round trips of ${device}'s first send`,
    healedAfter,
  };
};

/** One conversation's `after` messages, in the order they were sent. */
function judgeConversation(conversation: string, sequence: readonly JudgedMessage[], device: DeviceAddress, tried: (m: JudgedMessage) => boolean): Outcome {
  if (!sequence.some(tried)) {
    return { kind: 'inconclusive', detail: `in ${conversation}, the adversary could not try any later message: the design cannot open what ${device} sent` };
  }
  const leaks = sequence.filter((m) => tried(m) && m.leaked);
  if (leaks.length === 0) return { kind: 'healed', leaked: 0 };
  const start = sequence.findIndex((m) => m.truth.from === device);
  if (start < 0) {
    return {
      kind: 'inconclusive',
      detail: `${device} sent nothing in ${conversation} after the strike, so no protocol could heal it there (${plural(leaks.length, 'later message')} leaked: ${listMessages(leaks)})`,
    };
  }
  const lastLeak = lastIndex(sequence, (m) => tried(m) && m.leaked);
  // Healed: a message from the first send on that the adversary tried and did not open.
  const healedAt = sequence.findIndex((m, i) => i >= start && tried(m) && !m.leaked);
  if (healedAt >= 0 && lastLeak > healedAt) {
    const resumed = sequence.slice(healedAt).filter((m) => tried(m) && m.leaked);
    return { kind: 'violated', detail: `in ${conversation}, leaks resumed after healing: ${listMessages(resumed)}` };
  }
  if (lastLeak >= start) {
    const legs = legsBetween(sequence, start, lastLeak);
    if (legs > HEALING_LEGS) {
      const late = sequence.slice(start).filter((m) => tried(m) && m.leaked);
      return {
        kind: 'violated',
        detail: `in ${conversation}, ${plural(late.length, 'later message')} leaked over ${legs} one-way legs from ${device}'s first send: ${listMessages(late)}`,
      };
    }
  }
  if (healedAt < 0) {
    return {
      kind: 'inconclusive',
      detail: `in ${conversation}, every message the adversary tried from ${device}'s first send on leaked, and the conversation ended within two round trips of that send: too short to tell whether it heals (${listMessages(leaks)})`,
    };
  }
  return { kind: 'healed', leaked: leaks.length };
}

/** A one-to-one conversation is the pair of users; a group conversation is the group. */
function conversationOf(message: JudgedMessage, user: string): string | null {
  const { truth } = message;
  const sender = splitAddress(truth.from).user;
  if (truth.toKind === 'group') {
    return sender === user || truth.recipientUsers.includes(user) ? `group ${truth.to}` : null;
  }
  if (sender === user) return `${user} and ${truth.to}`;
  if (truth.to === user) return `${user} and ${sender}`;
  return null;
}

/** How many one-way legs (runs of messages by the same sending user) messages first..last span. */
function legsBetween(sequence: readonly JudgedMessage[], first: number, last: number): number {
  let legs = 0;
  let previous: string | null = null;
  for (let i = first; i <= last; i++) {
    const sender = splitAddress(sequence[i]!.truth.from).user;
    if (sender !== previous) legs++;
    previous = sender;
  }
  return legs;
}

function lastIndex<T>(items: readonly T[], predicate: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (predicate(items[i]!)) return i;
  return -1;
}
