/**
 * `server`: the provider's stored data, its own keys and routing metadata, all run long;
 * passive. The sender an envelope names, it knows (a sealed envelope names none).
 */
import type { Adversary, SenderLink } from './types.ts';
import { NO_POSITION, serverHoldings } from './capture.ts';
import { providerObservations, senderLinksFrom } from './traffic-analysis.ts';

export const server: Adversary = {
  name: 'server',
  description: "the provider's stored data, its own keys and routing metadata, all run long; passive",
  metadata: ['sender', 'recipient', 'timing', 'size'],
  active: false,
  capabilities: ['read-provider'],
  prepare: () => {
    let links: SenderLink[] = [];
    return {
      position: NO_POSITION,
      get senderLinks() {
        return links;
      },
      async conclude(view) {
        links = senderLinksFrom(providerObservations(view), 'envelope');
        return serverHoldings(view);
      },
    };
  },
};
