/**
 * The `matrix` targets: matrix-sdk-crypto at each installed release, with the app settings
 * of the SDK defaults (`matrix`) or of Element's "invisible crypto" (`matrix-invisible`).
 */
import type { Claim, ClientContext, Design } from '../types.ts';
import { MatrixClient, type MatrixMode } from './client.ts';
import { DEFAULT_CLAIMS, INVISIBLE_CLAIMS, INVISIBLE_CLAIMS_BEFORE_SENDER_CHECK } from './claims.ts';
import type { Release } from './library.ts';

const DEFAULT_MODE: MatrixMode = {
  name: 'default',
  // `new EncryptionSettings()` as it comes: the SDK's default `CollectStrategy`.
  strategy: () => null,
  trust: 'Untrusted',
  strictShield: false,
};

const INVISIBLE_MODE: MatrixMode = {
  name: 'invisible',
  strategy: (library) => library.CollectStrategy.identityBasedStrategy(),
  trust: 'CrossSigned',
  strictShield: true,
};

function design(name: string, release: Release, mode: MatrixMode, claims: readonly Claim[], description: string): Design {
  return {
    name,
    description,
    claims,
    createClient: (context: ClientContext) => new MatrixClient(context, release, mode),
    restoreClient: (context: ClientContext, image: Uint8Array) => new MatrixClient(context, release, mode).restore(image),
  };
}

const NEWEST: Release = '18.9.0';

/** Releases whose matrix-sdk-crypto predates the event-sender check (0.11.1, GHSA-x958-rvg6-956w). */
const BEFORE_SENDER_CHECK: ReadonlySet<Release> = new Set(['14.2.0']);

function claimsOf(release: Release, mode: MatrixMode): readonly Claim[] {
  if (mode.name === 'default') return DEFAULT_CLAIMS;
  return BEFORE_SENDER_CHECK.has(release) ? INVISIBLE_CLAIMS_BEFORE_SENDER_CHECK : INVISIBLE_CLAIMS;
}

function describe(release: Release, mode: MatrixMode): string {
  const settings = mode.name === 'default' ? 'SDK defaults' : 'invisible crypto: identity-based key sharing, cross-signed senders only';
  return `matrix-sdk-crypto-wasm ${release} (Olm, Megolm, vodozemac), keyhole as the homeserver; ${settings}`;
}

export const matrixTargets: Record<string, Design> = Object.fromEntries(
  (['18.9.0', '14.2.0'] as Release[]).flatMap((release) =>
    [DEFAULT_MODE, INVISIBLE_MODE].map((mode) => {
      const base = mode.name === 'default' ? 'matrix' : 'matrix-invisible';
      const name = release === NEWEST ? base : `${base}@${release}`;
      return [name, design(name, release, mode, claimsOf(release, mode), describe(release, mode))];
    }),
  ),
);
