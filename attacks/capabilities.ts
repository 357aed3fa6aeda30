/**
 * What an adversary can see, hold and do (SPEC §4), as a set of named capabilities. The
 * harness hands an adversary a view that grants exactly its capabilities, and a composite
 * adversary (`a+b`) holds the union of its parts' sets: composition needs no pair-by-pair code.
 */

export const CAPABILITIES = {
  'record-network': 'every byte between clients and the provider, with its metadata, all run long',
  'read-provider': "the provider's stored data, its own keys and routing metadata",
  'control-provider': 'the provider itself: what clients fetch and what is delivered to them',
  'device-image': 'a full image of a device (keys, sessions, stored history) at a point in time',
  'member-state': "a removed group member's devices, kept as they were at its removal",
  'discrete-log-oracle': 'at the end of the run, the private key of any X25519 public key seen on the wire',
  'escrow-key': "the escrow authority's private key",
  'register-as-device': 'a second registration of a device at the provider: it is delivered what the device is, and sends as it',
  'match-list': "a scanning design's match list (what the provider distributes), the reports clients send the authority, and the key that opens them",
} as const;

export type Capability = keyof typeof CAPABILITIES;

export const CAPABILITY_NAMES = Object.keys(CAPABILITIES) as Capability[];

/** The capabilities of several adversaries together, in catalogue order. */
export function unionOf(sets: Iterable<readonly Capability[]>): Capability[] {
  const held = new Set<Capability>();
  for (const set of sets) for (const capability of set) held.add(capability);
  return CAPABILITY_NAMES.filter((c) => held.has(c));
}
