/**
 * Key substitution mid-conversation (`malicious-server`'s `re-registration`): the provider
 * serves each party of a conversation that began before it turned a fresh identity of its
 * own for the other, as if they had registered again. Their clients knew the old keys, so
 * their apps show the change (Signal's "your safety number has changed"); at first contact
 * there is nothing to compare with, and nothing shows until the users compare numbers.
 */
import test from 'ava';
import type { RunReport } from '../harness/report/types.ts';
import { builtIn, message, property, run, scenarioFromYaml } from './helpers/audit.ts';

const EARLY_CONTACT = scenarioFromYaml(`
name: early-contact
users: { alice: [phone], bob: [phone, laptop] }
steps:
  - send: { from: alice, to: bob, id: early }
  - send: { from: bob, to: alice, id: early-reply }
  - mark: turns
  - send: { from: alice, to: bob, id: later, count: 3 }
  - send: { from: bob, to: alice, id: answer }
  - send: { from: bob.laptop, to: alice, id: from-laptop }
adversaries:
  malicious-server: { at: turns }
`);

const leaked = (report: RunReport) => report.messages.filter((m) => m.leaked).map((m) => `${m.id}:${m.via}`);
const shown = (report: RunReport, kind: string) => report.alerts.filter((a) => a.kind === kind).map((a) => `${a.step} ${a.user}.${a.device} ${a.about}`);

for (const target of ['signal', 'libsignal', 'whatsapp']) {
  test(`${target}: re-registration mid-conversation reads answer and from-laptop, each after identity-changed reached both sides`, async (t) => {
    const report = await run(target, EARLY_CONTACT, 'malicious-server');
    t.is(report.status, 'ok', report.error ?? '');
    const later = message(report, 'later.1').step;
    // The provider first lists its ghost device; the signed device list keeps it out, so
    // later.1-3 pass unread, and from the next step on it serves each side the other's shadow.
    t.deepEqual(leaked(report), ['answer:re-registration', 'from-laptop:re-registration']);
    // Alice learns of Bob's new key from the first envelope she gets under it: with sealed
    // sender (signal, libsignal), the delivery receipts of later.1-3 the shadow sends back at
    // once; without (whatsapp), answer itself.
    const alice = target === 'whatsapp' ? later + 1 : later;
    t.deepEqual(shown(report, 'identity-changed'), [`${later} bob.phone alice`, `${later} bob.laptop alice`, `${alice} alice.phone bob`]);
    for (const id of ['answer', 'from-laptop']) {
      t.like(message(report, id), { delivered: true, noticed: true }, id);
      t.true(message(report, id).step >= later, id);
    }
    t.like(message(report, 'early'), { leaked: false, noticed: null });
    t.is(property(report, 'detection').verdict, 'holds');
    // What the provider put in Alice's name under its new key is shown with the same notice.
    t.regex(property(report, 'authentication').detail, /bob\.phone accepted "forged-1" as from alice\.phone, but nobody sent it/);
  });

  test(`${target}: key substitution at first contact reads hello, reply, secret and from-laptop with no identity-changed at all`, async (t) => {
    const report = await run(target, builtIn('first-contact'), 'malicious-server');
    t.deepEqual(leaked(report), ['hello:key-substitution', 'reply:key-substitution', 'secret:key-substitution', 'from-laptop:key-substitution']);
    t.true(report.messages.filter((m) => m.leaked).every((m) => m.noticed === false));
    t.deepEqual(shown(report, 'identity-changed'), []);
    t.is(property(report, 'detection').verdict, 'violated');
  });

  test(`${target}: in verified-chat the re-registered keys are shown as identity-changed, and the verified clients refuse ack, detail and bye`, async (t) => {
    const scenario = builtIn('verified-chat');
    const report = await run(target, scenario, 'malicious-server');
    const step = (id: string) => message(report, id).step;
    t.deepEqual(leaked(report), []);
    t.deepEqual(shown(report, 'identity-changed'), [`${step('plan')} bob.phone alice`, `${step('plan')} bob.laptop alice`, `${step('detail.1')} alice.phone bob`]);
    for (const id of ['ack', 'detail.1', 'detail.2', 'bye']) {
      t.true((report.notes ?? []).some((n) => n.includes(`refused to send ${id}: safety number with`)), id);
    }
    t.is(property(report, 'confidentiality').verdict, 'holds');
    // The forgery under the new key is displayed with the notice, after which the chat is no
    // longer verified (Signal shows received messages at once, with the warning): the
    // authentication claim on verified chats is not broken, and the forgery was noticed.
    const authentication = property(report, 'authentication');
    t.is(authentication.verdict, 'violated');
    t.regex(authentication.detail, /bob\.phone accepted "forged-1" as from alice\.phone/);
    t.like(authentication, { claimed: true, notClaimedFor: 'unverified messages' });
    t.is(property(report, 'detection').verdict, 'holds');
  });
}

test('ghost: the ghost device gets into the early conversation, so the provider never re-registers anyone and nobody is told', async (t) => {
  const report = await run('ghost', EARLY_CONTACT, 'malicious-server');
  t.deepEqual(leaked(report), ['later.1:ghost-device', 'later.2:ghost-device', 'later.3:ghost-device', 'answer:ghost-device', 'from-laptop:ghost-device']);
  t.true(report.messages.filter((m) => m.leaked).every((m) => m.noticed === false));
  t.deepEqual(shown(report, 'identity-changed'), []);
  t.deepEqual(shown(report, 'new-device'), []);
  t.is(property(report, 'detection').verdict, 'violated');
});

test('malicious-server+stolen-device forgoes re-registration, and its report names what malicious-server alone reads through it (SPEC §4)', async (t) => {
  // Bob's phone is seized before the provider turns; the provider alone would re-register the
  // conversation and read answer and again. In the composite it does not, as a verified client
  // would stop sending and cost the seized image its later messages: the run is not a harness
  // failure, and its notes say what was left.
  const scenario = scenarioFromYaml(`
name: seized-then-turned
users: { alice: [phone], bob: [phone] }
steps:
  - send: { from: alice, to: bob, id: early }
  - mark: seizure
  - send: { from: bob, to: alice, id: b1 }
  - send: { from: alice, to: bob, id: a1 }
  - send: { from: bob, to: alice, id: b2 }
  - send: { from: alice, to: bob, id: a2 }
  - mark: turns
  - send: { from: alice, to: bob, id: later }
  - send: { from: bob, to: alice, id: answer }
  - send: { from: alice, to: bob, id: again }
adversaries:
  malicious-server: { at: turns }
  stolen-device: { device: bob.phone, at: seizure }
`);
  const alone = await run('signal', scenario, 'malicious-server');
  t.deepEqual(leaked(alone), ['answer:re-registration', 'again:re-registration']);
  const composite = await run('signal', scenario, 'malicious-server+stolen-device');
  t.is(composite.status, 'ok', composite.error ?? '');
  t.false(leaked(composite).some((entry) => entry.endsWith(':re-registration')));
  t.true(
    (composite.notes ?? []).includes(
      "malicious-server alone also obtains answer, again (via re-registration), a way in it does not take in a composite, where it would stop the other parts' messages",
    ),
    (composite.notes ?? []).join('\n'),
  );
});
