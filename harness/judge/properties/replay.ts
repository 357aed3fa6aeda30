/** Replay (SPEC §5): no ciphertext, and no message, was accepted twice by the same device. */
import { plural, type PropertyEvaluator } from '../context.ts';

export const replay: PropertyEvaluator = ({ ledger, acceptances }) => {
  const seenEnvelopes = new Set<string>();
  const seenMessages = new Set<string>();
  const replays: string[] = [];
  for (const acceptance of acceptances) {
    const envelopeKey = `${acceptance.device} ${acceptance.envelopeDigest}`;
    const messageKeys = acceptance.markers.map((marker) => `${acceptance.device} ${marker}`);
    const again = seenEnvelopes.has(envelopeKey) || messageKeys.some((key) => seenMessages.has(key));
    if (again) {
      const id = acceptance.markers.map((m) => ledger.messageByMarker(m)?.id ?? m).join(', ') || acceptance.claimedId;
      replays.push(`${acceptance.device} accepted ${id} twice`);
    }
    seenEnvelopes.add(envelopeKey);
    for (const key of messageKeys) seenMessages.add(key);
  }
  if (replays.length > 0) {
    return { verdict: 'violated', detail: `${plural(replays.length, 'replay')} accepted: ${replays.slice(0, 3).join('; ')}` };
  }
  if (acceptances.length === 0) return { verdict: 'not-applicable', detail: 'no message was accepted' };
  return { verdict: 'holds', detail: `each of ${plural(acceptances.length, 'accepted envelope')} was accepted once` };
};
