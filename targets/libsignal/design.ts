/**
 * `libsignal`: the real `@signalapp/libsignal-client` (Signal's own Rust library, through its
 * Node bindings) driven through the harness, with the app layer of `targets/signal` around
 * it (see `client.ts`).
 */
import { SENDER_ANONYMITY_CLAIM, SIGNAL_CLAIMS } from '../signal.ts';
import type { Claim, ClientContext, Design } from '../types.ts';
import { LibsignalClient } from './client.ts';

/**
 * As `signal`, for one-to-one conversations (SPEC §3): the library has no groups, so group
 * messages go as pairwise copies to the provider's roster, which a hostile provider can pad
 * with a member of its own. `quantum` stays claimed: its runs are `inconclusive` (no
 * `reconstructDevice`), which says the claim went untested rather than dropping it.
 */
export const LIBSIGNAL_CLAIMS: readonly Claim[] = [...SIGNAL_CLAIMS, SENDER_ANONYMITY_CLAIM].map((claim) => ({ ...claim, conversations: 'one-to-one' }));

export const libsignal: Design = {
  name: 'libsignal',
  description: 'the real @signalapp/libsignal-client (PQXDH, Double Ratchet) driven through the harness; signed device lists, safety numbers',
  claims: LIBSIGNAL_CLAIMS,
  // The library keeps its sending chains to itself: what the seized device sends cannot be tried.
  cannotOpenSent: true,
  createClient: (context: ClientContext) => new LibsignalClient(context),
  restoreClient: (context: ClientContext, image: Uint8Array) => new LibsignalClient(context).restore(image),
};
