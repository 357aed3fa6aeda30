/** What the escrow private key opens, by the design's own escrow code, among captured envelopes. */
import type { Envelope } from '../harness/provider/api.ts';
import type { AdversaryView, Holding } from './types.ts';

export function openWithEscrowKey(view: AdversaryView, envelopes: Iterable<Envelope>): Holding[] {
  const key = view.escrowPrivateKey();
  const openEscrow = view.design.openEscrow;
  if (!key || !openEscrow) return [];
  const holdings: Holding[] = [];
  for (const envelope of envelopes) {
    const plaintext = openEscrow(view.crypto, key, envelope);
    if (plaintext) holdings.push({ bytes: plaintext, via: 'escrow' });
  }
  return holdings;
}
