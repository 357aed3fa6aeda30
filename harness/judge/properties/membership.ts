/**
 * Membership (SPEC §5): every device a message was encrypted to belongs to a user who should
 * receive it and was really linked by that user, and every group member was really added by
 * the admin. Judged on the devices each sender's client actually encrypted to.
 */
import { splitAddress } from '../../scenario/types.ts';
import { plural, type PropertyEvaluator } from '../context.ts';

export const membership: PropertyEvaluator = ({ messages, ledger }) => {
  const intruders: string[] = [];
  let judged = 0;
  for (const { truth } of messages) {
    if (truth.refused !== null) continue;
    judged++;
    const sender = splitAddress(truth.from).user;
    const legitimateUsers = new Set([sender, ...truth.recipientUsers]);
    for (const device of truth.encryptedTo) {
      const { user } = splitAddress(device);
      if (!legitimateUsers.has(user)) {
        intruders.push(`${truth.id} was encrypted to ${device}, but ${user} is not a member of ${truth.to}`);
      } else if (!ledger.devicesOf(user, truth.step).includes(device)) {
        intruders.push(`${truth.id} was encrypted to ${device}, a device ${user} never linked`);
      }
    }
  }
  if (intruders.length > 0) {
    const more = intruders.length > 3 ? ` and ${intruders.length - 3} more` : '';
    return { verdict: 'violated', detail: intruders.slice(0, 3).join('; ') + more };
  }
  if (judged === 0) return { verdict: 'not-applicable', detail: 'no message was sent' };
  return { verdict: 'holds', detail: `all ${plural(judged, 'message')} went only to devices their users linked and members their admins added` };
};
