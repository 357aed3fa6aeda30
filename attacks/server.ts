/** `server`: the provider's stored data, its own keys and routing metadata, all run long; passive. */
import type { Adversary } from './types.ts';
import { NO_POSITION, serverHoldings } from './capture.ts';

export const server: Adversary = {
  name: 'server',
  description: "the provider's stored data, its own keys and routing metadata, all run long; passive",
  metadata: ['sender', 'recipient', 'timing', 'size'],
  active: false,
  capabilities: ['read-provider'],
  prepare: () => ({
    position: NO_POSITION,
    conclude: async (view) => serverHoldings(view),
  }),
};
