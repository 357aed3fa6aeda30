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
 *   defaults, and even where only cross-signed senders decrypt (so 14.2.0 claims no
 *   authentication against the homeserver: its advisory says so). 0.19.1 (wasm 18.9.0) marks
 *   it `MismatchedSender`: a red shield under the defaults, a refusal in invisible crypto.
 * - `spoof-to-device`: the same room key delivered as if from Alice's phone: the Olm
 *   plaintext names its true sender, and every release refuses it.
 *
 * And what the envelope fuzzer found under the SDK defaults (an event accepted in another
 * sender's name after a swap): Alice's event, served with Carol as its sender, is taken as
 * Carol's. That is the library's answer, not the harness's: with `TrustRequirement.Untrusted`
 * `decryptRoomEvent` returns the event under the `sender` the homeserver put on it, and only
 * the shield tells (MismatchedSender on 18.9.0; on 14.2.0 a shield about an unsigned device).
 */
import test from 'ava';
import type { DeviceAddress } from '../harness/scenario/types.ts';
import type { RunReport } from '../harness/report/types.ts';
import { unpack } from '../targets/shared/codec.ts';
import { loadAllTargets } from '../targets/registry.ts';
import { builtIn, property, run, scenarioFromYaml } from './helpers/audit.ts';
import { setUpWorld, text } from './helpers/world.ts';

const targets = await loadAllTargets();

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

test('matrix-invisible@14.2.0: in the verified chat the forged event decrypts as from alice.phone, though only cross-signed senders may (unclaimed: the advisory)', async (t) => {
  const report = await run('matrix-invisible@14.2.0', verifiedChat, 'malicious-server');
  t.is(report.status, 'ok', report.error ?? '');
  const authentication = property(report, 'authentication');
  t.is(authentication.verdict, 'violated');
  // matrix-sdk-crypto's advisory says 0.11.0 does not authenticate senders against the homeserver: no claim for 14.2.0.
  t.false(authentication.claimed);
  t.true(targets['matrix-invisible']!.claims.some((c) => c.property === 'authentication' && c.adversaries.includes('malicious-server')));
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

const swap = scenarioFromYaml(`
name: swap
users: { alice: [phone], bob: [phone], carol: [phone] }
steps:
  - send: { from: alice, to: bob }
`);

/** Alice's event to Bob, its room key delivered as sent, then the event itself with Carol as sender. */
async function aliceEventAsCarols(target: string) {
  const harness = await setUpWorld(targets[target]!, swap);
  harness.holdDeliveries();
  await harness.send('carol.phone', 'bob', 'carol-1', 'from carol');
  for (const envelope of harness.held.splice(0)) await harness.deliver(envelope);
  await harness.send('alice.phone', 'bob', 'alice-1', 'from alice');
  const pending = harness.held.splice(0);
  const kind = (body: Uint8Array) => unpack<{ kind: string }>(body, 'Matrix event').kind;
  for (const envelope of pending.filter((e) => kind(e.body) === 'to-device')) await harness.deliver(envelope);
  const event = pending.find((e) => kind(e.body) === 'room')!;
  const received = await harness.deliver({ ...event, from: 'carol.phone' as DeviceAddress }).catch((error: Error) => error);
  const notes = harness.world.ledger.notes.filter((n) => n.includes('alice-1') || n.includes('from carol:')).map((n) => n.replace(/^step -?\d+: /, ''));
  return { received: received instanceof Error ? received.message : received && { id: received.id, from: received.from, body: text(received.body) }, notes };
}

test('the fuzzer\'s swapped sender, under the SDK defaults: the library reports the sender the homeserver names, and the shield says so', async (t) => {
  const latest = await aliceEventAsCarols('matrix');
  t.deepEqual(latest.received, { id: 'alice-1', from: 'carol.unknown-device', body: 'from alice' });
  t.deepEqual(latest.notes, [`bob.phone: shield for alice-1 from carol.unknown-device: non-strict ${MISMATCHED}; strict ${MISMATCHED}`]);
  const old = await aliceEventAsCarols('matrix@14.2.0');
  t.deepEqual(old.received, { id: 'alice-1', from: 'carol.phone', body: 'from alice' });
  t.deepEqual(old.notes, [`bob.phone: shield for alice-1 from carol.phone: non-strict Red UnsignedDevice "Encrypted by a device not verified by its owner."; ${SHIELD_UNVERIFIED}`]);
});

test('the same swap in invisible crypto: refused on both releases, for different reasons', async (t) => {
  const latest = await aliceEventAsCarols('matrix-invisible');
  t.regex(String(latest.received), /^the library could not decrypt the event: MismatchedSender/);
  const old = await aliceEventAsCarols('matrix-invisible@14.2.0');
  t.regex(String(old.received), /^the library could not decrypt the event: UnsignedSenderDevice/);
});

test('key substitution relays Matrix as a silent middle-man: the room key share and the room event the sender\'s shadow made both reach the recipient, so every message is delivered and read', async (t) => {
  // A Megolm message travels as two envelopes to each device: the room key over Olm
  // (m.room_key, a to-device message) and the m.room.encrypted event. A relay that kept only
  // the last left every real recipient without the key (MissingRoomKey) and the chat broken.
  const report = await run('matrix', builtIn('stolen-phone'), 'malicious-server');
  t.is(report.status, 'ok', report.error ?? '');
  t.deepEqual(report.messages.filter((m) => !m.delivered).map((m) => m.id), []);
  t.deepEqual(report.messages.filter((m) => !m.leaked).map((m) => m.id), []);
  // Alice's messages, read by Bob's shadow on the way (her ghost device reads Bob's too; a
  // message read several ways names key substitution first, whichever reader got there first).
  t.deepEqual(
    report.messages.filter((m) => m.from === 'alice.phone').map((m) => `${m.id} ${m.via}`),
    ['plan', 'source', 'after-1', 'after-3', 'after-5'].map((id) => `${id} key-substitution`),
  );
});
