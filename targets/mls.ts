/**
 * `mls`: RFC 9420 Messaging Layer Security through the `ts-mls` library. Each device is its
 * own leaf; one-to-one conversations and scenario groups are MLS groups; cipher suite
 * MLS_256_XWING_AES256GCM_SHA512_Ed25519 (X-Wing: X25519 + ML-KEM-768).
 *
 * Claims: as `signal` (SPEC §3, "as signal, for groups"). Confidentiality against `quantum`
 * stays claimed because every HPKE encryption runs through X-Wing; there is no
 * `reconstructDevice`, since ts-mls makes its X25519 keys inside `@hpke` where the harness's
 * discrete-log oracle cannot see them, so the quantum run is `inconclusive`, never clean.
 */
import { MlsClient } from './mls/client.ts';
import { SIGNAL_CLAIMS } from './signal.ts';
import type { ClientContext, Design } from './types.ts';

export const mls: Design = {
  name: 'mls',
  description: 'RFC 9420 Messaging Layer Security (ts-mls, X-Wing suite): every device a leaf, groups and one-to-one chats as MLS groups',
  claims: SIGNAL_CLAIMS,
  createClient: (context: ClientContext) => new MlsClient(context),
  restoreClient: (context: ClientContext, image: Uint8Array) => new MlsClient(context).restore(image),
};
