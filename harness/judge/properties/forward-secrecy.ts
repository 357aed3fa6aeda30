/** Forward secrecy (SPEC §5): no message sent before the strike (and not exposed) leaked. */
import { listMessages, plural, type PropertyEvaluator } from '../context.ts';

export const forwardSecrecy: PropertyEvaluator = ({ messages, position }) => {
  if (position.strikeStep === null) {
    return { verdict: 'not-applicable', detail: 'the adversary has no strike point' };
  }
  const before = messages.filter((m) => m.class === 'before');
  if (before.length === 0) return { verdict: 'not-applicable', detail: 'no message was sent before the strike' };
  const leaked = before.filter((m) => m.leaked);
  if (leaked.length > 0) {
    return { verdict: 'violated', detail: `${plural(leaked.length, 'earlier message')} leaked: ${listMessages(leaked)}` };
  }
  return { verdict: 'holds', detail: `none of ${plural(before.length, 'earlier message')} leaked` };
};
