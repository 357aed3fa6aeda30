/**
 * `server`: the provider's stored data, its own keys and routing metadata, all run long;
 * passive. The sender an envelope names, it knows (a sealed envelope names none).
 */
import type { Adversary } from './types.ts';
import { serverHoldings } from './capture.ts';
import { providerViewAttack } from './traffic-analysis.ts';

export const server: Adversary = {
  name: 'server',
  description: "the provider's stored data, its own keys and routing metadata, all run long; passive",
  metadata: ['sender', 'recipient', 'timing', 'size'],
  active: false,
  capabilities: ['read-provider'],
  prepare: () => providerViewAttack(async (view) => serverHoldings(view), 'named'),
};
