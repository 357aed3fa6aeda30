/** Metadata (SPEC §5), informational: which of sender, recipient, timing and size the adversary saw. */
import type { PropertyEvaluator } from '../context.ts';

export const metadata: PropertyEvaluator = ({ adversary }) => {
  const seen = [...adversary.metadata];
  if (seen.length === 0) return { verdict: 'holds', detail: 'saw no message metadata', seen };
  return { verdict: 'violated', detail: `saw the ${seen.join(', ')} of every message it observed (informational)`, seen };
};
