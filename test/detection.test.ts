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
