/** Confidentiality (SPEC §5): no message outside `exposed` leaked (for a verified-only claim, no verified one). */
import { listMessages, plural, type PropertyEvaluator } from '../context.ts';

export const confidentiality: PropertyEvaluator = ({ messages, verifiedOnly }) => {
  const judged = messages.filter((m) => !verifiedOnly || m.truth.verified);
  const scope = verifiedOnly ? 'verified messages' : 'messages';
  const leaked = judged.filter((m) => m.leaked && m.class !== 'exposed');
  if (leaked.length > 0) {
    return { verdict: 'violated', detail: `${plural(leaked.length, 'message')} leaked: ${listMessages(leaked)}` };
  }
  if (judged.length === 0) return { verdict: 'not-applicable', detail: `no ${scope} to judge` };
  return { verdict: 'holds', detail: `none of ${plural(judged.length, scope.slice(0, -1))} leaked beyond what the adversary was entitled to` };
};
