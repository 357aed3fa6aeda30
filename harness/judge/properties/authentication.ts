/**
 * Authentication (SPEC §5): every message a client accepted as from X was sent by X. Judged
 * on what clients accepted (the harness records each acceptance) against ground truth; for a
 * verified-only claim, only acceptances in conversations verified at that time count (and
 * not since shown an identity change, which clears the verified mark: `isStillVerified`).
 */
import type { Acceptance, Ledger } from '../../ledger.ts';
import { splitAddress } from '../../scenario/types.ts';
import { plural, type PropertyEvaluator } from '../context.ts';

export const authentication: PropertyEvaluator = ({ ledger, acceptances, verifiedOnly }) => {
  const failures: string[] = [];
  let judged = 0;
  for (const acceptance of acceptances) {
    const receiver = splitAddress(acceptance.device).user;
    const claimedUser = splitAddress(acceptance.claimedFrom).user;
    if (verifiedOnly && !ledger.isStillVerified(receiver, claimedUser, acceptance.step)) continue;
    // A message of its own accepted as from a user the scenario does not have (the provider's
    // own user, named as itself) claims nobody's identity: contact from a stranger, not a
    // forgery. A scenario message put in a stranger's name is still misattributed.
    if (fromStranger(acceptance, ledger)) continue;
    judged++;
    if (acceptance.markers.length === 0) {
      failures.push(`${acceptance.device} accepted "${acceptance.claimedId}" as from ${acceptance.claimedFrom}, but nobody sent it`);
      continue;
    }
    for (const marker of acceptance.markers) {
      const truth = ledger.messageByMarker(marker);
      if (!truth) {
        failures.push(`${acceptance.device} accepted a message with an unknown marker as from ${acceptance.claimedFrom}`);
      } else if (truth.from !== acceptance.claimedFrom) {
        failures.push(`${acceptance.device} accepted ${truth.id} as from ${acceptance.claimedFrom}; ${truth.from} sent it`);
      }
    }
  }
  if (failures.length > 0) {
    const more = failures.length > 3 ? ` and ${failures.length - 3} more` : '';
    return { verdict: 'violated', detail: failures.slice(0, 3).join('; ') + more };
  }
  if (judged === 0) return { verdict: 'not-applicable', detail: verifiedOnly ? 'no message was accepted in a verified conversation' : 'no message was accepted' };
  return { verdict: 'holds', detail: `all ${plural(judged, 'accepted message')} came from their claimed senders` };
};

/** Accepted as from a user the scenario does not have, and carrying no scenario message. */
export function fromStranger(acceptance: Acceptance, ledger: Ledger): boolean {
  const claimedUser = splitAddress(acceptance.claimedFrom).user;
  if (ledger.devices.some((d) => d.user === claimedUser)) return false;
  return !acceptance.markers.some((marker) => ledger.messageByMarker(marker) !== undefined);
}
