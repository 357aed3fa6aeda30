/**
 * Sender anonymity (SPEC §5): the adversary linked no message to its sender. Judged per
 * message on the links the attack made (which upload it takes to be whose), against ground
 * truth: a link names the user who really sent the message, or it is no link. An adversary
 * that does not try is `not-applicable`; its findings would be a lower bound anyway.
 */
import { listMessages, plural, type JudgedMessage, type PropertyEvaluator } from '../context.ts';

/** Ways that name the sender of each message as it passes: how many came before does not matter. */
const AT_ONCE: ReadonlySet<string> = new Set(['envelope', 'connection', 'scan-report']);

export const senderAnonymity: PropertyEvaluator = ({ messages, senderLinked }) => {
  if (!senderLinked) return { verdict: 'not-applicable', detail: 'the adversary does not try to link messages to their senders' };
  const judged = messages.filter((m) => m.truth.recipientUsers.length > 0);
  if (judged.length === 0) return { verdict: 'not-applicable', detail: 'no message to another user was sent' };
  const linked = judged.filter((m) => senderLinked.has(m.truth.id));
  if (linked.length === 0) return { verdict: 'holds', detail: `linked none of ${plural(judged.length, 'message')} to its sender` };
  const shown: JudgedMessage[] = linked.map((m) => {
    const link = senderLinked.get(m.truth.id)!;
    return { ...m, via: AT_ONCE.has(link.via) ? link.via : `${link.via}, after ${plural(link.after, 'message')}` };
  });
  return { verdict: 'violated', detail: `linked ${linked.length} of ${plural(judged.length, 'message')} to its sender: ${listMessages(shown)}` };
};
