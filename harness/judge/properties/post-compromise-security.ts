/**
 * Post-compromise security (SPEC §5): in every conversation of the compromised device,
 * leaks of `after` messages stop within two round trips (four one-way legs) after the
 * strike and never resume. `healedAfter` counts the `after` messages that leaked.
 */
import { splitAddress } from '../../scenario/types.ts';
import { listMessages, plural, type JudgedMessage, type PropertyEvaluator } from '../context.ts';

/** Two round trips: A->B, B->A, A->B, B->A. */
export const HEALING_LEGS = 4;

export const postCompromiseSecurity: PropertyEvaluator = ({ messages, position, untriedSender }) => {
  const device = position.compromisedDevice;
  if (device === null || position.strikeStep === null) {
    return { verdict: 'not-applicable', detail: 'the adversary compromised no device' };
  }
  const user = splitAddress(device).user;
  const conversations = new Map<string, JudgedMessage[]>();
  for (const message of messages) {
    if (message.class !== 'after') continue;
    // Messages the adversary could not even try tell nothing about healing.
    if (untriedSender !== null && message.truth.from === untriedSender) continue;
    const key = conversationOf(message, user);
    if (key === null) continue;
    const sequence = conversations.get(key);
    if (sequence) sequence.push(message);
    else conversations.set(key, [message]);
  }
  if (conversations.size === 0) {
    return { verdict: 'not-applicable', detail: `no message of ${user}'s conversations was sent after the strike`, healedAfter: null };
  }

  let healedAfter = 0;
  const problems: string[] = [];
  const unsettled: string[] = [];
  for (const [conversation, sequence] of conversations) {
    const leaked = sequence.filter((m) => m.leaked);
    healedAfter += leaked.length;
    const firstClean = sequence.findIndex((m) => !m.leaked);
    const resumed = firstClean >= 0 ? sequence.slice(firstClean).filter((m) => m.leaked) : [];
    if (resumed.length > 0) {
      problems.push(`in ${conversation}, leaks resumed after healing: ${listMessages(resumed)}`);
      continue;
    }
    const lastLeak = firstClean < 0 ? sequence.length - 1 : firstClean - 1;
    if (lastLeak < 0) continue;
    const legs = legsUpTo(sequence, lastLeak);
    if (legs > HEALING_LEGS) {
      problems.push(`in ${conversation}, ${plural(leaked.length, 'later message')} leaked over ${legs} one-way legs: ${listMessages(leaked)}`);
    } else if (firstClean < 0) {
      unsettled.push(conversation);
    }
  }
  if (problems.length > 0) {
    return { verdict: 'violated', detail: problems.join('; '), healedAfter: null };
  }
  if (unsettled.length > 0) {
    return {
      verdict: 'inconclusive',
      detail: `every later message of ${unsettled.join(', ')} leaked, but the conversation ended within two round trips: too short to tell whether it heals`,
      healedAfter: null,
    };
  }
  return {
    verdict: 'holds',
    detail: healedAfter === 0 ? 'no later message leaked' : `${plural(healedAfter, 'later message')} leaked, then the sessions healed`,
    healedAfter,
  };
};

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

/** How many one-way legs (runs of messages by the same sending user) messages 0..last span. */
function legsUpTo(sequence: readonly JudgedMessage[], last: number): number {
  let legs = 0;
  let previous: string | null = null;
  for (let i = 0; i <= last; i++) {
    const sender = splitAddress(sequence[i]!.truth.from).user;
    if (sender !== previous) legs++;
    previous = sender;
  }
  return legs;
}
