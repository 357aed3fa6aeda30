/**
 * `network`: records every byte between clients and the provider, with its metadata, all run
 * long; it names the sender of each upload by the connection it came over.
 */
import type { Adversary, Attack, SenderLink } from './types.ts';
import { NO_POSITION, wireHoldings } from './capture.ts';
import { connectionLinks } from './traffic/connections.ts';

export const network: Adversary = {
  name: 'network',
  description: 'records every byte between clients and the provider, with its metadata, all run long',
  metadata: ['sender', 'recipient', 'timing', 'size'],
  active: false,
  capabilities: ['record-network'],
  prepare: () => {
    let links: SenderLink[] = [];
    const attack: Attack = {
      position: NO_POSITION,
      get senderLinks() {
        return links;
      },
      conclude: async (view) => {
        links = connectionLinks(view);
        return wireHoldings(view);
      },
    };
    return attack;
  },
};
