/**
 * `escrow-thief`: whoever steals the escrow private key at a point in time (`at`), plus the
 * network recording of the whole run. A stolen escrow key opens the past as well as the future.
 */
import { z } from 'zod';
import { allHoldings, capturedEnvelopes, wireHoldings } from './capture.ts';
import { openWithEscrowKey } from './escrow.ts';
import type { Adversary } from './types.ts';

const params = z.strictObject({
  at: z.string().describe('the mark at which the escrow key is stolen'),
});

export const escrowThief: Adversary<z.infer<typeof params>> = {
  name: 'escrow-thief',
  description: 'the escrow private key, stolen at a point in time, plus the network recording',
  params,
  metadata: ['sender', 'recipient', 'timing', 'size'],
  active: false,
  capabilities: ['escrow-key', 'record-network'],
  prepare: ({ scenario, params: { at } }) => ({
    position: { strikeStep: scenario.marks[at]!, compromisedDevice: null, removedMember: null },
    async conclude(view) {
      const uploads = capturedEnvelopes(view).filter((c) => c.direction === 'up').map((c) => c.envelope);
      return allHoldings(openWithEscrowKey(view, uploads), wireHoldings(view));
    },
  }),
};
