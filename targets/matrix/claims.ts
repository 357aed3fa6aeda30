/**
 * What Matrix documents for its current release, as claims. Olm and Megolm use X25519 and
 * Ed25519 only, so nothing is claimed against `quantum`. Megolm keeps every inbound session
 * for the room's history and ratchets forward only, so a seized device reads what the
 * sessions it holds still open: neither forward secrecy nor post-compromise security is
 * claimed for it (a room key is rotated on membership change, after 100 messages or a week).
 * Nor is replay: Megolm has no replay check of its own, the timeline keeps an event once by
 * its event id, and the homeserver names event ids: an event served again under a new id is
 * accepted again (the envelope fuzzer shows it on every release here).
 */
import type { Claim } from '../types.ts';

const THIRD_PARTIES = ['network', 'server', 'traffic-analysis', 'escrow-agent', 'escrow-thief', 'list-controller'];

const COMMON: readonly Claim[] = [
  { property: 'confidentiality', adversaries: THIRD_PARTIES },
  {
    property: 'confidentiality',
    adversaries: ['removed-member'],
    note: 'the machine rotates a room key once a member has left, as the homeserver reports membership',
  },
];

/** The SDK defaults: room keys go to every device the homeserver lists, events from any device decrypt. */
export const DEFAULT_CLAIMS: readonly Claim[] = COMMON;

/**
 * Element's "invisible crypto": keys go only to cross-signed devices (`identityBasedStrategy`)
 * and events decrypt only from cross-signed devices (`TrustRequirement.CrossSigned`), so
 * after users verify each other, the homeserver cannot slip a device of its own in.
 */
export const INVISIBLE_CLAIMS: readonly Claim[] = [...invisibleClaims(true)];

/**
 * Invisible crypto at a release that matrix-sdk-crypto's own advisory says does not
 * authenticate senders against a malicious homeserver: 14.2.0 (matrix-sdk-crypto 0.11.0)
 * does not check an event's `sender` against the owner of its Megolm session
 * (GHSA-x958-rvg6-956w, CVE-2025-48937, fixed in 0.11.1), so Matrix documents no
 * authentication for it; the run still shows the forged events (`forged-room-key`).
 */
export const INVISIBLE_CLAIMS_BEFORE_SENDER_CHECK: readonly Claim[] = [...invisibleClaims(false)];

function* invisibleClaims(senderChecked: boolean): Iterable<Claim> {
  yield* COMMON;
  yield {
    property: 'confidentiality',
    adversaries: ['malicious-server'],
    scope: 'verified',
    conversations: 'one-to-one',
    note: 'verified users\' cross-signed devices only; not groups: room membership is whatever the homeserver says (Albrecht, Celi, Dowling, Jones, IEEE S&P 2023), so a member it adds gets the room key',
  };
  if (!senderChecked) return;
  yield {
    property: 'authentication',
    adversaries: ['malicious-server'],
    scope: 'verified',
    note: 'in verified conversations: events decrypt only from devices their user cross-signed, and only under the sender that owns their Megolm session',
  };
}
