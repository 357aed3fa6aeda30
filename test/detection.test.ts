/**
 * Detection (SPEC §5): what the victims were shown while an active adversary obtained or
 * forged their messages. Each test is an attack, checked on concrete message ids and alerts.
 */
import test from 'ava';
import type { AlertReport, RunReport } from '../harness/report/types.ts';
import { builtIn, message, property, run, scenarioFromYaml } from './helpers/audit.ts';

function alertsTo(report: RunReport, user: string): AlertReport[] {
  return report.alerts.filter((a) => a.user === user);
}

// Levy & Robinson's "ghost user": the provider adds a device to Bob's listing, Alice's client
// encrypts to it, and neither app says a word (the ghost design accepts it silently).
test('ghost device slipped into a verified chat reads plan, ack, detail and bye, and nobody is alerted', async (t) => {
  const report = await run('ghost', builtIn('verified-chat'), 'malicious-server');
  for (const id of ['plan', 'ack', 'detail.1', 'detail.2', 'bye']) {
    t.like(message(report, id), { leaked: true, via: 'ghost-device', noticed: false }, id);
  }
  t.is(message(report, 'hello').noticed, null, 'sent before the strike, not obtained');
  t.deepEqual(
    report.alerts.filter((a) => a.kind !== 'decryption-failed'),
    [],
    'no warning about a device, member or identity reached anyone',
  );
  const detection = property(report, 'detection');
  t.is(detection.verdict, 'violated');
  t.false(detection.claimed, 'ghost does not claim detection against the provider');
  t.regex(detection.detail, /plan \(obtained\)/);
});

// Trust on first use (Signal's safety numbers): a key handed out at first contact is the only
// key the client knows, so its app has nothing to compare it with until the users verify.
test('key substitution at first contact reads hello, reply, secret and from-laptop unnoticed; the mismatch shows only at verification', async (t) => {
  const report = await run('signal', builtIn('first-contact'), 'malicious-server');
  for (const id of ['hello', 'reply', 'secret', 'from-laptop']) {
    t.like(message(report, id), { leaked: true, via: 'key-substitution', noticed: false }, id);
  }
  const verifyStep = 5;
  t.false(report.alerts.some((a) => a.kind === 'identity-changed'), 'no identity change: there was no earlier key');
  t.deepEqual(
    report.alerts.filter((a) => a.kind === 'verification-failed').map((a) => `${a.step} ${a.user}.${a.device} ${a.about}`),
    [`${verifyStep} alice.phone bob`, `${verifyStep} bob.phone alice`, `${verifyStep} bob.laptop alice`],
  );
  t.like(message(report, 'after-verify'), { delivered: false, leaked: false, noticed: null });
  const detection = property(report, 'detection');
  t.is(detection.verdict, 'violated');
  t.is(detection.notClaimedFor, 'unverified messages');
});

// Mid-conversation: Alice's new laptop gets her phone's copy of Bob's key when she links it;
// the provider, hostile by then, hands the laptop a substituted key for Bob, and the laptop's
// app shows Signal's safety-number change notice before the message goes out.
const NEW_LAPTOP = scenarioFromYaml(`
name: new-laptop
users:
  alice: [phone]
  bob: [phone]
steps:
  - send: { from: alice, to: bob, id: hello }
  - send: { from: bob, to: alice, id: hi }
  - mark: server-turns
  - link-device: { user: alice, device: laptop }
  - send: { from: alice.laptop, to: bob, id: from-laptop }
adversaries:
  malicious-server: { at: server-turns }
`);

test('key substitution mid-conversation reads from-laptop, but the laptop showed identity-changed about bob first', async (t) => {
  const report = await run('signal', NEW_LAPTOP, 'malicious-server');
  const sent = message(report, 'from-laptop');
  t.like(sent, { leaked: true, via: 'key-substitution', noticed: true });
  const changed = alertsTo(report, 'alice').filter((a) => a.kind === 'identity-changed');
  t.deepEqual(changed.map((a) => `${a.device} ${a.about}`), ['laptop bob']);
  t.true(changed[0]!.step <= sent.step);
  t.like(message(report, 'hello'), { leaked: false, noticed: null });
  t.is(property(report, 'detection').verdict, 'holds');
});

test('a passive adversary is not judged for detection', async (t) => {
  const report = await run('signal', builtIn('first-contact'), 'server');
  t.is(property(report, 'detection').verdict, 'not-applicable');
  t.true(report.messages.every((m) => m.noticed === null));
});

test('a message forged in another user\'s name is refused by signal (its envelopes are sealed: no sender to rewrite) and accepted by server-side, whose server writes it itself', async (t) => {
  const signal = await run('signal', builtIn('verified-chat'), 'malicious-server');
  t.false(property(signal, 'authentication').detail.includes('-rewritten'));
  const serverSide = await run('server-side', builtIn('verified-chat'), 'malicious-server');
  const authentication = property(serverSide, 'authentication');
  t.is(authentication.verdict, 'violated');
  t.regex(authentication.detail, /forged-1/);
});

// SPEC §5: detection asks for an alert about *that* attack. The malicious server runs all its
// strategies at once, but an attacker may run one alone: Levy and Robinson's ghost proposal
// rests on suppressing exactly the notices that would give it away. On Matrix the ghost device
// raises new-device alerts; the key substitution at first contact raises none (trust on first
// use: Bob's client has no earlier key for Alice). What the substitution read stays unnoticed,
// though the same run's ghost alerts reached the same users.
test('matrix: what key substitution read at first contact is unnoticed, though the ghost device of the same server raised alerts to the same users', async (t) => {
  const report = await run('matrix', builtIn('first-contact'), 'malicious-server');
  // The ghost device reads secret too; a message read several ways names key substitution first.
  for (const id of ['hello', 'secret']) t.like(message(report, id), { leaked: true, via: 'key-substitution', noticed: false }, id);
  const ghostAlerts = report.alerts.filter((a) => a.kind === 'new-device' && a.about === 'alice.ghost');
  t.deepEqual(ghostAlerts.map((a) => `${a.step} ${a.user}.${a.device}`), ['1 alice.phone'], 'alice was told of a new device of hers as hello went out');
  const detection = property(report, 'detection');
  t.is(detection.verdict, 'violated');
  t.regex(detection.detail, /hello \(obtained\)/);
});

// A forgery is noticed by an alert about the strategies it took, or by the shield its own
// receiving app showed beside it: Matrix marks an event in a session that no device of the
// claimed sender made (MismatchedSender), whichever strategy made it.
test('matrix: a forgery in a shadow\'s name goes unnoticed; one in a session of the server\'s own shows its shield and is noticed', async (t) => {
  const report = await run('matrix', builtIn('first-contact'), 'malicious-server');
  const noticed = (id: string) => [...new Set((report.forgeries ?? []).filter((f) => f.id === id).map((f) => f.noticed))];
  t.deepEqual(noticed('forged-1'), [false], 'sealed by alice\'s shadow, which bob took for alice at first contact');
  t.deepEqual(noticed('forged-3-rewritten'), [true], 'rewritten from the server\'s own session: the shield names bob.unknown-device');
  t.true(report.alerts.some((a) => a.step === 4 && a.user === 'alice' && a.kind === 'unverified-sender' && a.about === 'bob.unknown-device'));
});

// The same rule, across conversations: re-registering the older alice-bob chat shows each of
// them identity-changed about the other, but Carol's first contact after the strike is key
// substitution served to Carol alone, and nobody is shown anything about it.
const LATE_JOINER = scenarioFromYaml(`
name: late-joiner
users: { alice: [phone], bob: [phone], carol: [phone] }
groups:
  g: { admin: alice, members: [alice, bob] }
steps:
  - send: { from: alice, to: bob, id: hi }
  - send: { from: bob, to: alice, id: hey }
  - send: { from: alice, to: g, id: g0 }
  - mark: turn
  - send: { from: alice, to: bob, id: a1 }
  - send: { from: bob, to: alice, id: b1 }
  - add-member: { group: g, user: carol, by: alice }
  - send: { from: carol, to: g, id: c1 }
  - send: { from: carol, to: g, id: c2 }
adversaries:
  malicious-server: { at: turn }
`);

test('an identity change shown about one conversation is no notice of key substitution served to another user', async (t) => {
  const report = await run('signal', LATE_JOINER, 'malicious-server');
  t.like(message(report, 'b1'), { leaked: true, via: 're-registration', noticed: true });
  for (const id of ['c1', 'c2']) t.like(message(report, id), { leaked: true, via: 'key-substitution', noticed: false }, id);
  t.true(report.alerts.some((a) => a.kind === 'identity-changed' && a.user === 'bob' && a.about === 'alice'), 'bob was shown the re-registered alice');
  t.false(report.alerts.some((a) => a.user === 'carol' && a.kind !== 'decryption-failed'), 'carol was shown nothing');
});

// Matrix's shield in the SDK's default (non-strict) mode flags a device its owner's
// cross-signing key never signed (matrix-sdk-crypto `ShieldStateCode::UnsignedDevice`).
// Alice's shadow bears her device's name, but not her signature: Bob's app shows the red
// shield beside the forgery that Alice's own messages to him never carried before the turn.
// Carol, met only after the turn, has a shadow identity from the first contact: nothing shows.
test("matrix: a shadow's forgery in alice's name carries a shield her earlier messages never had, and is noticed; carol's, at first contact, is not", async (t) => {
  const report = await run('matrix', LATE_JOINER, 'malicious-server');
  const turn = LATE_JOINER.marks['turn']!;
  const forgery = (id: string, by: string) => (report.forgeries ?? []).find((f) => f.id === id && f.acceptedBy === by);
  t.like(forgery('forged-1', 'bob.phone'), { claimedFrom: 'alice.phone', noticed: true });
  const shield = (a: AlertReport) => a.user === 'bob' && a.device === 'phone' && a.kind === 'unverified-sender' && a.about === 'alice.phone';
  t.true(report.alerts.some((a) => shield(a) && a.step === forgery('forged-1', 'bob.phone')!.step), 'the shield beside the forgery');
  t.false(report.alerts.some((a) => shield(a) && a.step < turn), 'hi and g0 reached bob without one');
  t.like(forgery('forged-3', 'alice.phone'), { claimedFrom: 'carol.phone', noticed: false });
});

// A composite is noticed from its first active part's first act (SPEC §5): the provider,
// hostile from the start, adds ghost devices in set-up, and each user is told of the new
// device then; the seizure later is the composite's strike, but no new start for what the
// users could see.
test('matrix: malicious-server+stolen-device: the ghost alerts of set-up, before the seizure, are notice of the ghost\'s forgeries', async (t) => {
  const report = await run('matrix', builtIn('stolen-phone'), 'malicious-server+stolen-device');
  t.is(report.strikeStep, builtIn('stolen-phone').marks['seizure']);
  t.true(report.alerts.some((a) => a.step < 0 && a.user === 'alice' && a.kind === 'new-device' && a.about === 'alice.ghost'));
  t.deepEqual(
    (report.forgeries ?? []).filter((f) => f.id.endsWith('-ghost')).map((f) => `${f.id} ${f.noticed}`),
    ['forged-1-ghost true', 'forged-2-ghost true'],
  );
});
