/**
 * The built-in targets. Keys are the names the CLI accepts (`-t`); adding a design is one
 * new file and one entry here: its one-line description (what `keyhole list` prints, so that
 * listing loads no design) and how to load it. A design's module, with the libraries under it
 * (libsignal's native module, ts-mls), is imported only when a run needs that design.
 */
import type { Design } from './types.ts';

export interface TargetEntry {
  /** The design's `description`, for listings that load no design (a test keeps the two equal). */
  readonly description: string;
  readonly load: () => Promise<Design>;
}

export const targets: Record<string, TargetEntry> = {
  'server-side': { description: 'transport encryption to the provider only (classic cloud chats, mail over TLS)', load: async () => (await import('./server-side.ts')).serverSide },
  'static-e2ee': { description: 'end-to-end encryption with long-term keys only, no ratchet (PGP-style)', load: async () => (await import('./static-e2ee.ts')).staticE2ee },
  signal: { description: 'the reference: PQXDH + Double Ratchet, signed device lists, safety numbers, secure deletion', load: async () => (await import('./signal.ts')).signal },
  ghost: { description: 'signal, but clients silently accept devices the provider adds to a user (the "ghost user" proposal)', load: async () => (await import('./ghost.ts')).ghost },
  escrow: { description: 'signal plus every message sealed to a government escrow key ("exceptional access")', load: async () => (await import('./escrow.ts')).escrow },
  libsignal: { description: 'the real @signalapp/libsignal-client (PQXDH, Double Ratchet) driven through the harness; signed device lists, safety numbers', load: async () => (await import('./libsignal/design.ts')).libsignal },
  mls: { description: 'RFC 9420 Messaging Layer Security (ts-mls, X-Wing suite): every device a leaf, groups and one-to-one chats as MLS groups', load: async () => (await import('./mls.ts')).mls },
  whatsapp: { description: "a model of WhatsApp's published design: X3DH without a post-quantum KEM, Double Ratchet, signed companion devices, server-managed groups shown on change", load: async () => (await import('./whatsapp.ts')).whatsapp },
  scanning: { description: "signal plus client-side scanning against a provider-distributed match list; threshold vouchers (Apple PSI, 2021; 3 matches)", load: async () => (await import('./scanning.ts')).scanning },
  'scanning-eu': { description: "signal plus client-side scanning against a provider-distributed match list; every match reported with its content (EU proposal, 2022)", load: async () => (await import('./scanning.ts')).scanningPerMatch },
  matrix: { description: "matrix-sdk-crypto-wasm 18.9.0 (Olm, Megolm, vodozemac), keyhole as the homeserver; SDK defaults", load: async () => (await import('./matrix/design.ts')).matrixTargets['matrix']! },
  'matrix-invisible': { description: "matrix-sdk-crypto-wasm 18.9.0 (Olm, Megolm, vodozemac), keyhole as the homeserver; invisible crypto: identity-based key sharing, cross-signed senders only", load: async () => (await import('./matrix/design.ts')).matrixTargets['matrix-invisible']! },
  'matrix@14.2.0': { description: "matrix-sdk-crypto-wasm 14.2.0 (Olm, Megolm, vodozemac), keyhole as the homeserver; SDK defaults", load: async () => (await import('./matrix/design.ts')).matrixTargets['matrix@14.2.0']! },
  'matrix-invisible@14.2.0': { description: "matrix-sdk-crypto-wasm 14.2.0 (Olm, Megolm, vodozemac), keyhole as the homeserver; invisible crypto: identity-based key sharing, cross-signed senders only", load: async () => (await import('./matrix/design.ts')).matrixTargets['matrix-invisible@14.2.0']! },
};

/** The built-in target names, in catalogue order. */
export const targetNames = (): string[] => Object.keys(targets);

/** Each design, loaded once: the same object every time its name is asked for. */
const loaded = new Map<string, Promise<Design>>();

/** The built-in design of that name (loading its module on first use), or undefined for a name that is not one. */
export function loadTarget(name: string): Promise<Design> | undefined {
  if (!Object.hasOwn(targets, name)) return undefined;
  let design = loaded.get(name);
  if (!design) {
    design = targets[name]!.load();
    loaded.set(name, design);
  }
  return design;
}

/** The designs of those names (default: every built-in one), in that order; each name must be a built-in one. */
export async function loadTargets(names: readonly string[] = targetNames()): Promise<Design[]> {
  return Promise.all(
    names.map((name) => {
      const design = loadTarget(name);
      if (!design) throw new Error(`unknown target '${name}'`);
      return design;
    }),
  );
}

/** Every built-in design by name, all loaded (for tests and benches that use several). */
export async function loadAllTargets(): Promise<Record<string, Design>> {
  const designs = await loadTargets();
  return Object.fromEntries(designs.map((design) => [design.name, design]));
}
