/**
 * The real `@signalapp/libsignal-client` through the harness: message by message against a
 * seized phone, an imaged laptop, the network, the provider and a quantum computer; replays
 * rejected by the library itself; the same report for the same seed although the library
 * draws its session randomness from the operating system; and a differential audit against
 * the reference (`signal`) over every built-in one-to-one scenario.
 */
import { readdirSync, readFileSync } from 'node:fs';
import test from 'ava';
import { ErrorCode, LibSignalErrorBase } from '@signalapp/libsignal-client';
import { adversaries } from '../attacks/registry.ts';
import { RejectionError } from '../harness/errors.ts';
import type { RunReport } from '../harness/report/types.ts';
import { isClaimViolation } from '../harness/report/verdicts.ts';
import { Rng } from '../harness/rng.ts';
import type { Scenario } from '../harness/scenario/types.ts';
import { LibsignalClient } from '../targets/libsignal/client.ts';
import { libsignal } from '../targets/libsignal/design.ts';
import { HEALING_STOLEN_PHONE_PATTERN, builtIn, leakPattern, message, property, run, scenarioFromYaml } from './helpers/audit.ts';
import { setUpWorld, text } from './helpers/world.ts';

const stolenPhone = builtIn('stolen-phone');
const offlineLaptop = builtIn('offline-laptop');

test('seized phone: no deleted message leaks, the peer\'s next message does, later ones do not', async (t) => {
  const report = await run('libsignal', stolenPhone, 'stolen-device');
  t.is(report.status, 'ok', report.error ?? '');
  t.deepEqual(leakPattern(report), HEALING_STOLEN_PHONE_PATTERN);
  t.is(property(report, 'forward-secrecy').verdict, 'holds');
  t.true(property(report, 'forward-secrecy').claimed);
  const pcs = property(report, 'post-compromise-security');
  t.is(pcs.verdict, 'holds');
  t.is(pcs.healedAfter, 1);
  t.true(report.properties.every((p) => !(p.claimed && p.verdict === 'violated')));
});

test('offline laptop: every message reaches every device once it is back online', async (t) => {
  const report = await run('libsignal', offlineLaptop, 'network');
  t.is(report.status, 'ok', report.error ?? '');
  t.is(report.messages.length, 15);
  t.deepEqual(report.messages.filter((m) => !m.delivered).map((m) => m.id), []);
});

test('an imaged laptop reads the later messages sent to its user until the sessions heal', async (t) => {
  const report = await run('libsignal', offlineLaptop, 'stolen-device');
  t.is(report.status, 'ok', report.error ?? '');
  t.is(message(report, 'hello').leaked, false, 'deleted before imaging');
  t.is(message(report, 'queued.1').class, 'exposed');
  // The laptop's own next message is not recovered: the library cannot open sent messages (a lower bound).
  t.is(message(report, 'after-1').leaked, false);
  t.is(message(report, 'after-2').leaked, true, 'to bob, after imaging');
  t.is(message(report, 'after-2').via, 'decrypt');
  t.is(message(report, 'after-3').leaked, true, "bob's phone's copy to the laptop");
  t.is(message(report, 'after-4').leaked, true);
  t.deepEqual(['after-5', 'after-6', 'after-7', 'after-8'].map((id) => message(report, id).leaked), [false, false, false, false]);
});

for (const adversary of ['network', 'server', 'quantum']) {
  test(`nothing leaks to ${adversary}`, async (t) => {
    for (const scenario of [stolenPhone, offlineLaptop]) {
      const report = await run('libsignal', scenario, adversary);
      t.is(report.status, 'ok', report.error ?? '');
      t.deepEqual(report.messages.filter((m) => m.leaked).map((m) => m.id), [], scenario.name);
      t.true(property(report, 'confidentiality').claimed);
      // The quantum oracle cannot be applied to a library that hides its keys: untested, not clean.
      t.is(property(report, 'confidentiality').verdict, adversary === 'quantum' ? 'inconclusive' : 'holds', scenario.name);
    }
  });
}

test('the quantum run says why it is inconclusive', async (t) => {
  const report = await run('libsignal', stolenPhone, 'quantum');
  t.regex(property(report, 'confidentiality').detail, /libsignal cannot be rebuilt from its published keys/);
  t.is(libsignal.reconstructDevice, undefined);
});

test('a linked device that first meets a verified peer after the provider turns refuses the substituted identity, as signal\'s does', async (t) => {
  // The laptop was linked before Alice and Bob compared numbers, and pins Bob when the number
  // is synced to it; the tablet, linked after, gets Bob's verified identity when provisioned.
  // Meeting Bob only after the provider turned, each is handed a substituted Bob.
  const scenario = scenarioFromYaml(readFileSync(new URL('./theory/linked-device-verified-peer.yaml', import.meta.url), 'utf8'), 'linked-device-verified-peer.yaml');
  for (const target of ['signal', 'libsignal']) {
    const report = await run(target, scenario, 'malicious-server');
    t.is(report.status, 'ok', report.error ?? '');
    t.deepEqual(report.messages.filter((m) => m.leaked).map((m) => m.id), [], target);
    // The laptop's pinned Bob is the real one: not first contact, nothing to substitute; it
    // sends. (After it the provider re-registers Bob and Alice for each other: Bob's devices
    // take the new key with the notice, and the envelope it held back no longer opens there.)
    t.false((report.notes ?? []).some((n) => n.includes('refused to send from-laptop')), target);
    t.true((report.notes ?? []).some((n) => /alice\.phone refused to send from-phone: safety number with bob did not match/.test(n)), target);
    // The tablet is shown another Bob than the one verified: it refuses to send.
    t.false(message(report, 'from-tablet').delivered, target);
    t.true((report.notes ?? []).some((n) => /alice\.tablet refused to send from-tablet: safety number with bob did not match/.test(n)), target);
    t.is(property(report, 'confidentiality').verdict, 'holds', target);
    t.true(property(report, 'confidentiality').claimed, target);
  }
});

// --- envelopes on the wire -------------------------------------------------------------

const pair = scenarioFromYaml(`
name: pair
users: { alice: [phone], bob: [phone] }
steps:
  - send: { from: alice, to: bob }
`);

test("a replayed envelope is rejected with the library's duplicate-message error, as the coded rejection, and the session keeps working", async (t) => {
  const harness = await setUpWorld(libsignal, pair);
  harness.holdDeliveries();
  await harness.send('alice.phone', 'bob', 'm1', 'message 1');
  await harness.send('alice.phone', 'bob', 'm2', 'message 2');
  const [first, second] = harness.held.splice(0);
  t.is(text((await harness.deliver(first!))!.body), 'message 1');
  const replay = await t.throwsAsync(harness.deliver(first!));
  t.true(RejectionError.is(replay, 'duplicate-message'));
  t.regex(replay!.message, /old counter/);
  // The library's own error, translated at the client boundary, is the cause.
  t.true(replay!.cause instanceof LibSignalErrorBase);
  t.is((replay!.cause as LibSignalErrorBase).code, ErrorCode.DuplicatedMessage);
  t.is(text((await harness.deliver(second!))!.body), 'message 2');
  const again = await t.throwsAsync(harness.deliver(second!));
  t.true(RejectionError.is(again, 'duplicate-message'));
  t.is((again!.cause as LibSignalErrorBase).code, ErrorCode.DuplicatedMessage);
  await harness.send('bob.phone', 'alice', 'r1', 'reply');
  t.is(text((await harness.deliver(harness.held.pop()!))!.body), 'reply');
});

test('the harness records a replay the library refuses as a rejection, and accepts the message once', async (t) => {
  const harness = await setUpWorld(libsignal, pair);
  // The provider delivers every envelope twice.
  harness.world.provider.interceptor = { deliver: async (envelope) => [envelope, envelope] };
  await harness.send('alice.phone', 'bob', 'twice', 'sent once, delivered twice');
  const { acceptances, rejections } = harness.world.ledger;
  t.is(acceptances.filter((a) => a.claimedId === 'twice').length, 1);
  // Bob's phone acknowledged it once (its sealed delivery receipt, delivered twice too).
  const refused = rejections.filter((r) => r.device === 'bob.phone');
  t.is(refused.length, 1);
  t.regex(refused[0]!.reason, /old counter/);
});

test('against a provider that replays everything, the replay property holds', async (t) => {
  const report = await run('libsignal', stolenPhone, 'malicious-server');
  t.is(report.status, 'ok', report.error ?? '');
  t.is(property(report, 'replay').verdict, 'holds');
  t.is(property(report, 'membership').verdict, 'holds');
  t.deepEqual(report.properties.filter(isClaimViolation), []);
});

test('verified chats: safety numbers from the library match, and a mismatch makes the client refuse to send', async (t) => {
  const scenario = scenarioFromYaml(`
name: verify
users: { alice: [phone], bob: [phone, laptop] }
steps:
  - send: { from: alice, to: bob, id: first }
  - verify: [alice, bob]
  - send: { from: alice, to: bob, id: second }
`);
  const report = await run('libsignal', scenario, 'network');
  t.deepEqual(report.messages.map((m) => [m.id, m.verified, m.delivered]), [['first', false, true], ['second', true, true]]);

  const harness = await setUpWorld(libsignal, scenario);
  const number = await harness.client('alice.phone').safetyNumber('bob');
  t.regex(number ?? '', /^\d{60}$/);
  t.is(await harness.client('bob.phone').safetyNumber('alice'), number);
  t.is(await harness.client('bob.laptop').safetyNumber('alice'), number, 'every device of a user shares its identity');
  await harness.client('alice.phone').recordVerification('bob', false);
  const outcome = await harness.client('alice.phone').send({ id: 'x', to: { kind: 'user', user: 'bob' }, body: new Uint8Array([1]) });
  t.false(outcome.sent);
  t.regex(outcome.sent ? '' : outcome.reason, /safety number with bob did not match/);
});

test('a restored device image opens the next message to the device', async (t) => {
  const harness = await setUpWorld(libsignal, pair);
  harness.holdDeliveries();
  await harness.send('alice.phone', 'bob', 'm1', 'before imaging');
  await harness.deliver(harness.held.pop()!);
  const image = await harness.client('bob.phone').exportState();
  await harness.send('alice.phone', 'bob', 'm2', 'after imaging');
  const envelope = harness.held.pop()!;
  const view = harness.world.view(libsignal, Rng.fromSeed(1, 'attacker'), { capabilities: new Set(['device-image']) });
  const clone = await view.restoreDevice('bob.phone', image);
  t.true(clone instanceof LibsignalClient);
  t.is(text((await clone.receive(envelope))!.body), 'after imaging');
  t.is(await clone.openSent(envelope), null, 'the library cannot open sent messages');
});

// --- determinism -----------------------------------------------------------------------

test('keys and bundles come from the seeded rng: the same seed publishes the same bytes', async (t) => {
  const one = await setUpWorld(libsignal, pair);
  const two = await setUpWorld(libsignal, pair);
  for (const device of ['alice.phone', 'bob.phone'] as const) {
    t.deepEqual(one.world.provider.bundleOf(device), two.world.provider.bundleOf(device), device);
  }
});

test('ciphertexts differ between runs (the library draws session randomness from the OS), reports do not', async (t) => {
  const wire = async () => {
    const harness = await setUpWorld(libsignal, pair);
    harness.holdDeliveries();
    await harness.send('alice.phone', 'bob', 'm1', 'same text');
    return harness.held[0]!.body;
  };
  t.notDeepEqual(await wire(), await wire());
  for (const [scenario, adversary] of [[offlineLaptop, 'stolen-device'], [stolenPhone, 'malicious-server'], [stolenPhone, 'server']] as const) {
    t.deepEqual(await run('libsignal', scenario, adversary), await run('libsignal', scenario, adversary), `${scenario.name} ${adversary}`);
  }
});

// --- differential: libsignal against the reference ---------------------------------------

/**
 * Every difference between `libsignal` and `signal` the differential audit expects, with its
 * reason. Anything else that differs fails the test, naming the run, the message or property.
 */
const EXPECTED_DIFFERENCES: Record<string, string> = {
  // No reconstructDevice: the library keeps its ratchet keys in opaque records.
  'quantum: property confidentiality: holds -> inconclusive':
    'the quantum oracle cannot be applied: the library cannot be rebuilt from its published keys',
  // The imaged laptop's own next message: signal's image opens it (openSent), the library cannot.
  'offline-laptop · stolen-device: message after-1 (from bob.laptop): leaked (decrypt) -> clean':
    'libsignal cannot decrypt messages its device sent (openSent is null): the stolen-device result is a lower bound',
  'stolen-phone · clone: property post-compromise-security: violated -> inconclusive':
    "libsignal cannot open what its device sent, so the judge leaves the seized phone's own messages untried (cannotOpenSent) and cannot say the leaks never stopped",
};

function differences(reference: RunReport, library: RunReport): string[] {
  const run = `${reference.scenario} · ${reference.adversary}`;
  const found: string[] = [];
  if (reference.status !== library.status) found.push(`${run}: status ${reference.status} -> ${library.status} (${library.error})`);
  for (const p of reference.properties) {
    const q = library.properties.find((x) => x.property === p.property);
    if (q?.verdict !== p.verdict) {
      // The quantum difference is the same in every scenario.
      const where = reference.adversary === 'quantum' ? 'quantum' : run;
      found.push(`${where}: property ${p.property}: ${p.verdict} -> ${q?.verdict}`);
    }
  }
  for (const m of reference.messages) {
    const n = library.messages.find((x) => x.id === m.id);
    const describe = (x: typeof m | undefined) => (!x ? 'missing' : x.leaked ? `leaked (${x.via})` : x.delivered ? 'clean' : 'not delivered');
    if (!n || n.leaked !== m.leaked || n.via !== m.via || n.delivered !== m.delivered || n.class !== m.class) {
      found.push(`${run}: message ${m.id} (from ${m.from}): ${describe(m)} -> ${describe(n)}`);
    }
  }
  for (const n of library.messages) if (!reference.messages.some((m) => m.id === n.id)) found.push(`${run}: message ${n.id} only in libsignal`);
  return found;
}

const SCENARIO_DIR = new URL('../attacks/scenarios/', import.meta.url);
/** Theory scenarios the two designs must agree on too: what an app layer keeps for a linked device, a phone kept offline, withheld prekeys. */
const THEORY_ONE_TO_ONE = ['linked-device-verified-peer', 'seized-phone-offline', 'prekey-pogo'];
const oneToOne: Scenario[] = [
  ...readdirSync(SCENARIO_DIR)
    .filter((file) => /\.ya?ml$/.test(file))
    .sort()
    .map((file) => builtIn(file.replace(/\.ya?ml$/, '')))
    .filter((scenario) => Object.keys(scenario.groups).length === 0),
  ...THEORY_ONE_TO_ONE.map((name) => scenarioFromYaml(readFileSync(new URL(`./theory/${name}.yaml`, import.meta.url), 'utf8'), `${name}.yaml`)),
];

test('the differential audit covers every built-in one-to-one scenario, and the linked-device one', (t) => {
  t.true(oneToOne.length >= 4 + THEORY_ONE_TO_ONE.length);
  t.true(['stolen-phone', 'offline-laptop', 'linked-device-verified-peer'].every((name) => oneToOne.some((s) => s.name === name)));
});

const seen = new Set<string>();
for (const scenario of oneToOne) {
  for (const [name, adversary] of Object.entries(adversaries)) {
    const applies = !adversary.params || adversary.paramsOptional === true || scenario.adversaries[name] !== undefined;
    if (!applies) continue;
    test.serial(`differential: ${scenario.name} · ${name}: libsignal reaches signal's verdicts, message by message`, async (t) => {
      const reference = await run('signal', scenario, name);
      const library = await run('libsignal', scenario, name);
      t.is(reference.status, 'ok', reference.error ?? '');
      t.is(library.status, 'ok', library.error ?? '');
      const unexpected = differences(reference, library).filter((d) => {
        seen.add(d);
        return !(d in EXPECTED_DIFFERENCES);
      });
      t.deepEqual(unexpected, [], 'differences not explained in EXPECTED_DIFFERENCES (and README "libsignal vs the reference")');
    });
  }
}

test.serial('differential: every expected difference was actually seen', (t) => {
  t.deepEqual(Object.keys(EXPECTED_DIFFERENCES).filter((d) => !seen.has(d)), []);
});
