/**
 * The `mls` target (RFC 9420 through ts-mls): message by message against a removed member,
 * the network, the provider, a seized phone and a quantum computer; its groups under a
 * member that is not the admin trying to add someone; and the same report for the same seed.
 */
import test from 'ava';
import { loadOptions } from '../app/cli/catalogue.ts';
import { Rng } from '../harness/rng.ts';
import { loadScenarioFile } from '../harness/scenario/load.ts';
import { mls } from '../targets/mls.ts';
import { HEALING_STOLEN_PHONE_PATTERN, builtIn, leakPattern, message, property, run, scenarioFromYaml } from './helpers/audit.ts';
import { setUpWorld, text } from './helpers/world.ts';

const familyGroup = builtIn('family-group');
const stolenPhone = builtIn('stolen-phone');
const offlineLaptop = builtIn('offline-laptop');
const theory = (name: string) => loadScenarioFile(new URL(`./theory/${name}.yaml`, import.meta.url).pathname, loadOptions);

test('family group: a removed member keeps what it got as a member, nothing after, nor after a new member joins', async (t) => {
  const report = await run('mls', familyGroup, 'removed-member');
  t.is(report.status, 'ok', report.error ?? '');
  t.deepEqual(leakPattern(report), [
    'welcome:exposed:leaked(device-image)',
    'hi-all:exposed:leaked(device-image)',
    'carol-hi:exposed:leaked(device-image)',
    'while-offline.1:exposed:leaked(device-image)',
    'while-offline.2:exposed:leaked(device-image)',
    'dinner:exposed:leaked(device-image)',
    'back-online:exposed:leaked(device-image)',
    'after-removal:after:clean',
    'secret-plan:after:clean',
    'party-detail.1:after:clean',
    'party-detail.2:after:clean',
    'dave-hi:after:clean',
    'for-dave:after:clean',
    'last:after:clean',
  ]);
  t.is(property(report, 'confidentiality').verdict, 'holds');
  t.true(property(report, 'confidentiality').claimed);
});

test('family group: every message reaches every member device, the offline laptop and the late joiner included', async (t) => {
  const report = await run('mls', familyGroup, 'network');
  t.is(report.status, 'ok', report.error ?? '');
  t.deepEqual(report.messages.filter((m) => !m.delivered).map((m) => m.id), []);
  // Sent while alice.laptop was offline, delivered when it came back; sent after Dave joined, delivered to him.
  t.true(message(report, 'while-offline.1').delivered);
  t.true(message(report, 'for-dave').delivered);
  t.is(property(report, 'membership').verdict, 'holds');
  t.is(property(report, 'authentication').verdict, 'holds');
});

for (const adversary of ['network', 'server']) {
  test(`nothing leaks to ${adversary}`, async (t) => {
    for (const scenario of [familyGroup, stolenPhone, offlineLaptop]) {
      const report = await run('mls', scenario, adversary);
      t.is(report.status, 'ok', report.error ?? '');
      t.deepEqual(report.messages.filter((m) => m.leaked).map((m) => m.id), [], scenario.name);
      t.is(property(report, 'confidentiality').verdict, 'holds', scenario.name);
      t.true(property(report, 'confidentiality').claimed);
    }
  });
}

test('seized phone: deleted messages stay gone, the next message leaks, then a fresh update path heals', async (t) => {
  const report = await run('mls', stolenPhone, 'stolen-device');
  t.deepEqual(leakPattern(report), HEALING_STOLEN_PHONE_PATTERN);
  t.is(property(report, 'forward-secrecy').verdict, 'holds');
  const pcs = property(report, 'post-compromise-security');
  t.is(pcs.verdict, 'holds');
  t.is(pcs.healedAfter, 1);
});

// --- a sender's own messages (RFC 9420 §9.1-9.2) --------------------------------------

test('an image opens what its device sends later in the epoch, never what it sent before, nor after its next commit (RFC 9420 §9.2)', async (t) => {
  const scenario = scenarioFromYaml(`
name: pair
users: { alice: [phone], bob: [phone] }
steps:
  - mark: start
`);
  const harness = await setUpWorld(mls, scenario);
  harness.holdDeliveries();
  const deliverAll = async () => {
    for (const envelope of harness.held.splice(0)) await harness.deliver(envelope);
  };
  await harness.send('alice.phone', 'bob', 'hello', 'hello bob');
  await deliverAll();
  // Bob read Alice, so he commits a fresh update path before replying; the image is taken after.
  await harness.send('bob.phone', 'alice', 'reply', 'before imaging');
  const reply = harness.held.filter((e) => e.from === 'bob.phone').at(-1)!;
  await deliverAll();
  const image = await harness.client('bob.phone').exportState();
  await harness.send('bob.phone', 'alice', 'next', 'after imaging, same epoch');
  const next = harness.held.at(-1)!;
  await deliverAll();
  // Alice commits before her answer (its path encrypted to Bob's leaf key, which the image
  // holds); Bob, having read it, commits a fresh update path before his next message.
  await harness.send('alice.phone', 'bob', 'answer', 'an answer');
  const toBob = [...harness.held];
  await deliverAll();
  await harness.send('bob.phone', 'alice', 'healed', 'after his own commit');
  const healed = harness.held.at(-1)!;

  const clone = await harness.world.view(mls, Rng.fromSeed(1, 'attacker'), { capabilities: new Set(['device-image']) }).restoreDevice('bob.phone', image);
  await t.throwsAsync(() => clone.openSent(reply), { message: /in the past/ }, 'a consumed generation is deleted: forward secrecy');
  t.is(text((await clone.openSent(next))!), 'after imaging, same epoch');
  await t.throwsAsync(() => clone.openSent(next), { message: /in the past/ }, 'each generation opens once, then it is consumed');
  const received = [];
  for (const envelope of toBob) received.push(await clone.receive(envelope));
  t.deepEqual(received.map((r) => r && text(r.body)), [null, 'an answer'], 'the copy follows Alice\'s commit');
  await t.throwsAsync(() => clone.openSent(healed), { message: /unable to authenticate/ }, 'the fresh path secret of Bob\'s own commit never reaches the copy');
});

test('seized right after sending: the image reads the sender\'s next messages of the epoch and the answer, then his own commit heals (RFC 9420 §9.2, §16.6)', async (t) => {
  const report = await run('mls', theory('mls-sender-reads-own-epoch'), 'stolen-device');
  t.is(report.status, 'ok', report.error ?? '');
  t.deepEqual(leakPattern(report), [
    'hello:exposed:leaked(device-image)',
    'reply:exposed:leaked(device-image)',
    'more.1:after:leaked(decrypt)',
    'more.2:after:leaked(decrypt)',
    'answer:after:leaked(decrypt)',
    'healed:after:clean',
    'after-heal:after:clean',
    'last:after:clean',
  ]);
  const pcs = property(report, 'post-compromise-security');
  t.is(pcs.verdict, 'holds', pcs.detail);
  t.is(pcs.healedAfter, 3);
});

test('seized in a group right after sending: the image reads the member\'s next message and the others\' commits until its own commit heals (RFC 9420 §9.2, §16.6)', async (t) => {
  const report = await run('mls', theory('mls-group-sender-reads-own-epoch'), 'stolen-device');
  t.is(report.status, 'ok', report.error ?? '');
  t.deepEqual(
    report.messages.filter((m) => m.class === 'after').map((m) => `${m.id}:${m.leaked ? m.via : 'clean'}`),
    ['b1:decrypt', 'c1:decrypt', 'a1:decrypt', 'b2:clean', 'c2:clean', 'a2:clean', 'b3:clean'],
  );
  const pcs = property(report, 'post-compromise-security');
  t.is(pcs.verdict, 'holds', pcs.detail);
  t.is(pcs.healedAfter, 3);
});

test('a victim streaming one way: every message leaks from its own leaf ratchet, and with no round trip the verdict is inconclusive (SPEC §5)', async (t) => {
  const report = await run('mls', theory('mls-one-way-stream'), 'stolen-device');
  t.is(report.status, 'ok', report.error ?? '');
  t.deepEqual(
    report.messages.filter((m) => m.class === 'after').map((m) => `${m.id}:${m.leaked ? m.via : 'clean'}`),
    ['stream.1:decrypt', 'stream.2:decrypt', 'stream.3:decrypt', 'stream.4:decrypt', 'stream.5:decrypt'],
  );
  const pcs = property(report, 'post-compromise-security');
  t.is(pcs.verdict, 'inconclusive', pcs.detail);
  t.is(pcs.healedAfter, null);
  t.is(property(report, 'confidentiality').verdict, 'violated');
});

test('quantum: the X-Wing suite is claimed, but without a rebuildable device the run is inconclusive, never clean', async (t) => {
  const report = await run('mls', stolenPhone, 'quantum');
  t.is(report.status, 'ok');
  t.deepEqual(report.messages.filter((m) => m.leaked).map((m) => m.id), []);
  const confidentiality = property(report, 'confidentiality');
  t.true(confidentiality.claimed);
  t.is(confidentiality.verdict, 'inconclusive');
});

test('a member that is not the admin cannot add someone: the others reject its commit and go on', async (t) => {
  const harness = await setUpWorld(mls, familyGroup);
  // Bob commits an Add of Dave's phone; the provider refuses his roster change afterwards.
  await t.throwsAsync(() => harness.client('bob.phone').addMember('family', 'dave'), { message: /not the admin/ });
  const rejected = harness.world.ledger.rejections.filter((r) => r.from === 'bob.phone');
  t.deepEqual(rejected.map((r) => r.device).sort(), ['alice.laptop', 'alice.phone', 'bob.tablet', 'carol.phone']);
  t.true(rejected.every((r) => /only the admin may/.test(r.reason)));
  const outcome = await harness.client('alice.phone').send({ id: 'still-fine', to: { kind: 'group', group: 'family' }, body: new TextEncoder().encode('x') });
  t.true(outcome.sent);
  const accepted = harness.world.ledger.acceptances.filter((a) => a.claimedId === 'still-fine').map((a) => a.device).sort();
  // Bob's phone forked off with its own commit, but still holds the epoch the others are in.
  t.deepEqual(accepted, ['alice.laptop', 'bob.phone', 'bob.tablet', 'carol.phone']);
});

test('the same seed gives the same report', async (t) => {
  const first = await run('mls', familyGroup, 'removed-member');
  const second = await run('mls', familyGroup, 'removed-member');
  t.deepEqual(second, first);
});

test('reports are identical on the node and noble backends', async (t) => {
  const node = await run('mls', stolenPhone, 'stolen-device', { crypto: 'node' });
  const noble = await run('mls', stolenPhone, 'stolen-device', { crypto: 'noble' });
  t.deepEqual(noble, node);
});

test('devices linked later join the groups at the next message; unlinked ones are removed', async (t) => {
  const { scenarioFromYaml } = await import('./helpers/audit.ts');
  const scenario = scenarioFromYaml(`
name: links
users: { alice: [phone], bob: [phone, laptop], carol: [phone] }
groups:
  g: { admin: alice, members: [alice, bob, carol] }
steps:
  - send: { from: alice, to: bob, id: one }
  - send: { from: carol, to: g, id: g1 }
  - link-device: { user: carol, device: tablet }
  - send: { from: bob.laptop, to: g, id: g2 }
  - send: { from: carol.tablet, to: g, id: g3 }
  - send: { from: carol.tablet, to: alice, id: dm-new-device }
  - unlink-device: { device: bob.laptop }
  - send: { from: alice, to: g, id: g4 }
  - send: { from: alice, to: bob, id: two }
  - remove-member: { group: g, user: carol, by: alice }
  - add-member: { group: g, user: carol, by: alice }
  - send: { from: carol.tablet, to: g, id: g5 }
`);
  const report = await run('mls', scenario, 'network');
  t.is(report.status, 'ok', report.error ?? '');
  t.deepEqual(report.messages.filter((m) => !m.delivered).map((m) => m.id), []);
  t.is(property(report, 'membership').verdict, 'holds');
});

test('two commits in the same epoch: every member settles on the lowest leaf\'s, and the chat goes on', async (t) => {
  const { scenarioFromYaml } = await import('./helpers/audit.ts');
  const { text } = await import('./helpers/world.ts');
  const scenario = scenarioFromYaml(`
name: race
users: { alice: [phone], bob: [phone], carol: [phone] }
groups:
  g: { admin: alice, members: [alice, bob, carol] }
steps:
  - send: { from: carol, to: g, id: first }
`);
  const harness = await setUpWorld(mls, scenario);
  const say = async (from: 'alice' | 'bob' | 'carol', id: string, body: string) => {
    const outcome = await harness.client(`${from}.phone`).send({ id, to: { kind: 'group', group: 'g' }, body: new TextEncoder().encode(body) });
    t.true(outcome.sent);
  };
  const deliverHeld = async (): Promise<string[]> => {
    const outcomes: string[] = [];
    for (const envelope of harness.held.splice(0)) {
      try {
        const received = await harness.deliver(envelope);
        if (received) outcomes.push(`${envelope.to} got "${text(received.body)}"`);
      } catch {
        outcomes.push(`${envelope.to} rejected one from ${envelope.from}`);
      }
    }
    return outcomes;
  };
  // Alice and Bob both read Carol's message, so each commits a fresh update path before its next one.
  await say('carol', 'one', 'hello both');
  harness.holdDeliveries();
  await say('alice', 'two', 'alice in the race');
  await say('bob', 'three', 'bob in the race');
  const race = await deliverHeld();
  // Alice's leaf (0) wins: Bob rolls back to her commit and reads her; his message of the lost epoch is gone.
  t.true(race.includes('bob.phone got "alice in the race"'), race.join('; '));
  t.true(race.includes('carol.phone got "alice in the race"'), race.join('; '));
  t.false(race.some((o) => o.includes('got "bob in the race"')), race.join('; '));
  // Everyone is in the same epoch again: all messages get through.
  await say('bob', 'four', 'after the race');
  const after = await deliverHeld();
  await say('carol', 'five', 'all good');
  after.push(...(await deliverHeld()));
  t.deepEqual(after.filter((o) => o.includes(' got ')).sort(), [
    'alice.phone got "after the race"',
    'alice.phone got "all good"',
    'bob.phone got "all good"',
    'carol.phone got "after the race"',
  ]);
});

test('key substitution at an unverified first contact: the provider relays as a middle-man, Bob joins its group from the Welcome and accepts a message forged in Alice\'s name; outside the claim, which covers verified conversations (RFC 9420 §5.3: the Authentication Service vouches for credentials; §12.4.3.1: a member joins from a Welcome)', async (t) => {
  const report = await run('mls', builtIn('first-contact'), 'malicious-server');
  t.is(report.status, 'ok', report.error ?? '');
  // The relayed hello reaches Bob: the middle-man's Welcome went with it.
  t.true(message(report, 'hello').delivered);
  t.is(message(report, 'hello').via, 'key-substitution');
  const authentication = property(report, 'authentication');
  t.is(authentication.verdict, 'violated');
  t.is(authentication.notClaimedFor, 'unverified messages');
  t.regex(authentication.detail, /bob\.phone accepted "forged-1" as from alice\.phone, but nobody sent it/);
  // After comparing safety numbers Alice refuses to go on: the substitution shows (verify step).
  t.false(message(report, 'after-verify').leaked);
});
