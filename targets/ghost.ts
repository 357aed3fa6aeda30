/**
 * `ghost`: the reference messenger, except that clients accept the devices the provider
 * lists for a user without the user's signature, and without telling anyone (the GCHQ
 * "ghost user" proposal: Levy & Robinson, "Principles for a More Informed Exceptional
 * Access Debate", Lawfare, 2018). Safety numbers still match, so verification cannot reveal
 * the extra device; only the provider's honesty keeps it out.
 */
import { SignalClient, type SignalOptions } from './signal/client.ts';
import { reconstructSignalDevice } from './signal/quantum.ts';
import { SIGNAL_CLAIMS } from './signal.ts';
import type { Claim, ClientContext, Design } from './types.ts';

/**
 * Envelopes name their sender (no sealed sender): the proposal is about whom clients encrypt
 * to, and is put to a provider that routes by sender, as when it was made (2018).
 */
const OPTIONS: SignalOptions = { secureDelete: true, trustProviderDeviceList: true, sealedSender: false };

/** What a provider that adds devices of its own defeats; and the point of the proposal is that nobody is told (detection). */
const LOST_TO_MALICIOUS_SERVER = new Set(['confidentiality', 'authentication', 'membership', 'detection']);

/** As `signal`, without confidentiality, authentication, membership and detection against `malicious-server` (SPEC §3). */
export const GHOST_CLAIMS: readonly Claim[] = SIGNAL_CLAIMS.flatMap((claim): Claim[] => {
  if (!LOST_TO_MALICIOUS_SERVER.has(claim.property)) return [claim];
  const adversaries = claim.adversaries.filter((a) => a !== 'malicious-server');
  return adversaries.length > 0 ? [{ ...claim, adversaries }] : [];
});

export const ghost: Design = {
  name: 'ghost',
  description: 'signal, but clients silently accept devices the provider adds to a user (the "ghost user" proposal)',
  claims: GHOST_CLAIMS,
  createClient: (context: ClientContext) => new SignalClient(context, OPTIONS),
  restoreClient: (context: ClientContext, image: Uint8Array) => new SignalClient(context, OPTIONS).restore(image),
  reconstructDevice: (context, upload, privateKeyOf) => reconstructSignalDevice(new SignalClient(context, OPTIONS), upload, privateKeyOf),
};
