/**
 * Matrix's own malicious-homeserver strategies, on the verified chat (the server turns
 * hostile after Alice and Bob verified each other), message by message and with the shield
 * each app showed:
 *
 * - `forged-room-key`: the server's own user (cross-signed, first in touch in its own name)
 *   shares a Megolm session of its own with Bob's devices and serves an event in it with
 *   Alice as its `sender`. matrix-sdk-crypto 0.11.0 (wasm 14.2.0) does not check the event's
 *   sender against the session's owner (GHSA-x958-rvg6-956w, CVE-2025-48937, fixed in
 *   0.11.1): Bob's phone shows the event as from alice.phone, with no shield under the SDK
 *   defaults, and even where only cross-signed senders decrypt. 0.19.1 (wasm 18.9.0) marks
 *   it `MismatchedSender`: a red shield under the defaults, a refusal in invisible crypto.
 * - `spoof-to-device`: the same room key delivered as if from Alice's phone: the Olm
 *   plaintext names its true sender, and every release refuses it.
 */
import test from 'ava';
import type { RunReport } from '../harness/report/types.ts';
import { builtIn, property, run } from './helpers/audit.ts';

const verifiedChat = builtIn('verified-chat');

/** What the app showed for an event it accepted: `device: shield for <id> from <sender>: ...` (the step prefix dropped). */
function shields(report: RunReport, id: string): string[] {
  return (report.notes ?? []).filter((n) => n.includes(`shield for ${id} from`)).map((n) => n.replace(/^step \d+: /, ''));
}

function refusals(report: RunReport, user: string, code: string): number {
  return (report.notes ?? []).filter((n) => n.includes(`could not decrypt an event from ${user}: ${code}`)).length;
}

const SHIELD_UNVERIFIED = 'strict Red UnverifiedIdentity "Encrypted by an unverified user."';
const MISMATCHED = 'Red MismatchedSender "The sender of the event does not match the owner of the device that created the Megolm session."';

test('matrix@14.2.0: an event in the server\'s own Megolm session, served with Alice as sender, shows as from alice.phone with no shield (CVE-2025-48937)', async (t) => {
  const report = await run('matrix@14.2.0', verifiedChat, 'malicious-server');
  t.is(report.status, 'ok', report.error ?? '');
  t.deepEqual(shields(report, 'forged-1-room-key'), [
    `bob.phone: shield for forged-1-room-key from alice.phone: non-strict None; ${SHIELD_UNVERIFIED}`,
    `bob.laptop: shield for forged-1-room-key from alice.phone: non-strict None; ${SHIELD_UNVERIFIED}`,
  ]);
  t.deepEqual(shields(report, 'forged-2-room-key'), [`alice.phone: shield for forged-2-room-key from bob.phone: non-strict None; ${SHIELD_UNVERIFIED}`]);
  // The server's user wrote first in its own name: accepted as from a stranger, not a forgery.
  t.deepEqual(shields(report, 'forged-1-introduction').map((s) => s.split(':')[1]), [' shield for forged-1-introduction from ghost.phone', ' shield for forged-1-introduction from ghost.phone']);
  t.deepEqual(shields(report, 'forged-1-to-device'), []);
  t.is(property(report, 'authentication').verdict, 'violated');
});

test('matrix: the same event shows as from alice.unknown-device with the red MismatchedSender shield', async (t) => {
  const report = await run('matrix', verifiedChat, 'malicious-server');
  t.is(report.status, 'ok', report.error ?? '');
  t.deepEqual(shields(report, 'forged-1-room-key'), [
    `bob.phone: shield for forged-1-room-key from alice.unknown-device: non-strict ${MISMATCHED}; strict ${MISMATCHED}`,
    `bob.laptop: shield for forged-1-room-key from alice.unknown-device: non-strict ${MISMATCHED}; strict ${MISMATCHED}`,
  ]);
  t.true(report.alerts.some((a) => a.kind === 'unverified-sender' && a.user === 'bob' && a.about === 'alice.unknown-device'));
  t.deepEqual(shields(report, 'forged-1-to-device'), []);
});

test('matrix-invisible@14.2.0: in the verified chat the forged event decrypts as from alice.phone, though only cross-signed senders may: the claim is violated', async (t) => {
  const report = await run('matrix-invisible@14.2.0', verifiedChat, 'malicious-server');
  t.is(report.status, 'ok', report.error ?? '');
  const authentication = property(report, 'authentication');
  t.is(authentication.verdict, 'violated');
  t.true(authentication.claimed);
  t.is(authentication.notClaimedFor, undefined);
  t.true(authentication.detail.startsWith('bob.phone accepted "forged-1-room-key" as from alice.phone, but nobody sent it; bob.laptop accepted "forged-1-room-key" as from alice.phone'), authentication.detail);
  t.deepEqual(shields(report, 'forged-1-room-key'), [
    `bob.phone: shield for forged-1-room-key from alice.phone: ${SHIELD_UNVERIFIED}; non-strict None`,
    `bob.laptop: shield for forged-1-room-key from alice.phone: ${SHIELD_UNVERIFIED}; non-strict None`,
  ]);
});

test('matrix-invisible: the library refuses the forged event (MismatchedSender) and nothing forged is accepted', async (t) => {
  const report = await run('matrix-invisible', verifiedChat, 'malicious-server');
  t.is(report.status, 'ok', report.error ?? '');
  t.deepEqual(shields(report, 'forged-1-room-key'), []);
  t.is(refusals(report, 'alice', 'MismatchedSender'), 2, 'bob.phone and bob.laptop');
  t.is(property(report, 'authentication').verdict, 'holds');
});
