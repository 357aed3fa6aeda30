/**
 * `escrow-agent`: the escrow authority itself (a government agency), holding the escrow
 * private key, plus everything passing through the provider (a lawful-access order).
 */
import { decodeWire } from '../harness/provider/wire.ts';
import type { Envelope } from '../harness/provider/api.ts';
import { allHoldings, serverHoldings } from './capture.ts';
import { openWithEscrowKey } from './escrow.ts';
import { providerViewAttack } from './traffic-analysis.ts';
import type { Adversary } from './types.ts';

export const escrowAgent: Adversary = {
  name: 'escrow-agent',
  description: "the escrow private key plus the provider's stored data",
  metadata: ['sender', 'recipient', 'timing', 'size'],
  active: false,
  capabilities: ['escrow-key', 'read-provider'],
  // What the provider stores, with the senders its envelopes name, and what the escrow key opens in it.
  prepare: () =>
    providerViewAttack(async (view) => {
      const stored = view.providerStored.filter((item) => item.kind === 'envelope').map((item) => decodeWire<Envelope>(item.bytes));
      return allHoldings(openWithEscrowKey(view, stored), serverHoldings(view));
    }, 'named'),
};
