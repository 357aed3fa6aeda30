/** `network`: records every byte between clients and the provider, with its metadata, all run long. */
import type { Adversary } from './types.ts';
import { NO_POSITION, wireHoldings } from './capture.ts';

export const network: Adversary = {
  name: 'network',
  description: 'records every byte between clients and the provider, with its metadata, all run long',
  metadata: ['sender', 'recipient', 'timing', 'size'],
  active: false,
  capabilities: ['record-network'],
  prepare: () => ({
    position: NO_POSITION,
    conclude: async (view) => wireHoldings(view),
  }),
};
