/**
 * The reference messenger against a seized phone, the network, the provider and a quantum
 * computer, message by message; and its sessions under replayed, reordered, truncated and
 * tampered envelopes.
 */
import test from 'ava';
import { SignalClient } from '../targets/signal/client.ts';
import type { PrekeyBundle } from '../targets/signal/pqxdh.ts';
import { PREKEY_UPKEEP } from '../targets/signal/prekeys.ts';
import { signal } from '../targets/signal.ts';
import { equalBytes, unpack } from '../targets/shared/codec.ts';
import type { Envelope } from '../harness/provider/api.ts';
import type { Design } from '../targets/types.ts';
import { HEALING_STOLEN_PHONE_PATTERN, builtIn, leakPattern, message, property, run, scenarioFromYaml } from './helpers/audit.ts';
import { setUpWorld, text } from './helpers/world.ts';

const stolenPhone = builtIn('stolen-phone');
const offlineLaptop = builtIn('offline-laptop');

test('seized phone: no deleted message leaks, the next one does, then the ratchet heals', async (t) => {
  const report = await run('signal', stolenPhone, 'stolen-device');
  t.deepEqual(leakPattern(report), HEALING_STOLEN_PHONE_PATTERN);
  t.is(property(report, 'forward-secrecy').verdict, 'holds');
  const pcs = property(report, 'post-compromise-security');
  t.is(pcs.verdict, 'holds');
  t.is(pcs.healedAfter, 1);
  t.true(report.properties.every((p) => !(p.claimed && p.verdict === 'violated')));
});

test('offline laptop: every message reaches every device once it is back online', async (t) => {
  const report = await run('signal', offlineLaptop, 'network');
  t.is(report.messages.length, 15);
  t.deepEqual(report.messages.filter((m) => !m.delivered).map((m) => m.id), []);
});

test('an imaged laptop reads the later messages sent to its user until the sessions heal', async (t) => {
  const report = await run('signal', offlineLaptop, 'stolen-device');
  t.is(message(report, 'hello').leaked, false, 'deleted before imaging');
  t.is(message(report, 'queued.1').class, 'exposed');
  t.is(message(report, 'after-2').leaked, true, 'to bob, after imaging');
  t.is(message(report, 'after-2').via, 'decrypt');
  t.is(message(report, 'after-4').leaked, true);
  t.deepEqual(['after-5', 'after-6', 'after-7', 'after-8'].map((id) => message(report, id).leaked), [false, false, false, false]);
  t.is(property(report, 'post-compromise-security').verdict, 'holds');
});

for (const adversary of ['network', 'server', 'quantum']) {
  test(`nothing leaks to ${adversary}`, async (t) => {
    for (const scenario of [stolenPhone, offlineLaptop]) {
      const report = await run('signal', scenario, adversary);
      t.is(report.status, 'ok');
      t.deepEqual(report.messages.filter((m) => m.leaked).map((m) => m.id), [], scenario.name);
      t.is(property(report, 'confidentiality').verdict, 'holds');
      t.true(property(report, 'confidentiality').claimed);
    }
  });
}

test('the quantum adversary opens every message of the designs without a post-quantum secret', async (t) => {
  for (const target of ['static-e2ee', 'server-side']) {
    const report = await run(target, stolenPhone, 'quantum');
    t.deepEqual(report.messages.filter((m) => !m.leaked).map((m) => m.id), [], target);
    t.true(report.messages.every((m) => m.via === 'quantum'), target);
  }
});

test('reports are byte-identical on the node and noble backends', async (t) => {
  for (const adversary of ['stolen-device', 'quantum']) {
    const node = await run('signal', stolenPhone, adversary, { crypto: 'node' });
    const noble = await run('signal', stolenPhone, adversary, { crypto: 'noble' });
    t.deepEqual(noble, node, adversary);
  }
});

/** The reference, except that deleting a message leaves its bytes in the database file's free pages. */
const withoutSecureDelete: Design = {
  ...signal,
  name: 'signal-without-secure-delete',
  createClient: (context) => new SignalClient(context, { secureDelete: false }),
  restoreClient: (context, image) => new SignalClient(context, { secureDelete: false }).restore(image),
};

test('without secure deletion the deleted text is still in the seized database file; with it, not', async (t) => {
  const { executeRun } = await import('../harness/runner.ts');
  const { adversaries } = await import('../attacks/registry.ts');
  const { cryptoBackend } = await import('../harness/crypto/index.ts');
  const careless = await executeRun({ design: withoutSecureDelete, scenario: stolenPhone, adversary: adversaries['stolen-device']! }, 1, cryptoBackend('node'));
  // 'plan' was overwritten when 'kept' reused its free space; 'source' still lies in a free page.
  t.is(message(careless, 'source').via, 'device-image');
  t.is(property(careless, 'forward-secrecy').verdict, 'violated');

  const careful = await run('signal', stolenPhone, 'stolen-device');
  t.false(message(careful, 'plan').leaked);
  t.false(message(careful, 'source').leaked);
});

test('verified chats: a safety-number mismatch makes the client refuse to send', async (t) => {
  const scenario = scenarioFromYaml(`
name: verify
users: { alice: [phone], bob: [phone] }
steps:
  - send: { from: alice, to: bob, id: first }
  - verify: [alice, bob]
  - send: { from: alice, to: bob, id: second }
`);
  const report = await run('signal', scenario, 'network');
  t.deepEqual(report.messages.map((m) => [m.id, m.verified, m.delivered]), [['first', false, true], ['second', true, true]]);

  const harness = await setUpWorld(signal, scenario);
  await harness.client('alice.phone').recordVerification('bob', false);
  const outcome = await harness.client('alice.phone').send({ id: 'x', to: { kind: 'user', user: 'bob' }, body: new Uint8Array([1]) });
  t.false(outcome.sent);
  t.regex(outcome.sent ? '' : outcome.reason, /safety number with bob did not match/);
});

test('prekey upkeep (PQXDH §3.2): one-time prekeys refilled when the provider runs low, signed and last-resort prekeys replaced on the run\'s clock', async (t) => {
  const contacts = Array.from({ length: PREKEY_UPKEEP.oneTimeBatch - PREKEY_UPKEEP.oneTimeMinimum + 1 }, (_, i) => `c${i + 1}`);
  const scenario = scenarioFromYaml(`
name: upkeep
users: { bob: [phone], ${contacts.map((c) => `${c}: [phone]`).join(', ')} }
steps:
${contacts.map((c) => `  - send: { from: ${c}, to: bob }`).join('\n')}
  - wait: 1d
  - wait: 1d
`);
  const harness = await setUpWorld(signal, scenario);
  const { world } = harness;
  const bundle = () => unpack<PrekeyBundle>(world.provider.bundleOf('bob.phone'), 'bundle');
  const first = bundle();
  const steps = scenario.steps.entries();
  const perform = async (count: number) => {
    for (let i = 0; i < count; i++) {
      const [index, step] = steps.next().value!;
      await world.perform(index, step);
    }
  };
  // Ten first contacts leave the minimum; the eleventh makes the phone upload a new batch.
  await perform(contacts.length - 1);
  t.deepEqual(world.provider.countOneTimeKeys('bob.phone'), { prekey: PREKEY_UPKEEP.oneTimeMinimum, kyber: PREKEY_UPKEEP.oneTimeMinimum });
  await perform(1);
  const refilled = PREKEY_UPKEEP.oneTimeMinimum - 1 + PREKEY_UPKEEP.oneTimeBatch;
  t.deepEqual(world.provider.countOneTimeKeys('bob.phone'), { prekey: refilled, kyber: refilled });
  // One day on nothing is due; two days on both medium-term prekeys are replaced.
  await perform(1);
  t.deepEqual([bundle().signedPrekey.id, bundle().kyberPrekey.id], [first.signedPrekey.id, first.kyberPrekey.id]);
  await perform(1);
  t.not(bundle().signedPrekey.id, first.signedPrekey.id);
  t.not(bundle().kyberPrekey.id, first.kyberPrekey.id);
  t.false(equalBytes(bundle().signedPrekey.publicKey, first.signedPrekey.publicKey));
});

// --- envelopes on the wire -------------------------------------------------------------

const pair = scenarioFromYaml(`
name: pair
users: { alice: [phone], bob: [phone] }
steps:
  - send: { from: alice, to: bob }
`);

async function heldConversation() {
  const harness = await setUpWorld(signal, pair);
  harness.holdDeliveries();
  for (let i = 1; i <= 4; i++) await harness.send('alice.phone', 'bob', `m${i}`, `message ${i}`);
  const bob = { receive: (envelope: Envelope) => harness.deliver(envelope) };
  return { harness, bob, envelopes: [...harness.held] };
}

test('out-of-order envelopes decrypt once each', async (t) => {
  const { bob, envelopes } = await heldConversation();
  const order = [2, 0, 3, 1];
  const received = [];
  for (const i of order) received.push(text((await bob.receive(envelopes[i]!))!.body));
  t.deepEqual(received, ['message 3', 'message 1', 'message 4', 'message 2']);
  for (const envelope of envelopes) await t.throwsAsync(bob.receive(envelope), { message: /already received|no longer has|authentication failed/ });
});

test('a replayed envelope is rejected and the session keeps working', async (t) => {
  const { harness, bob, envelopes } = await heldConversation();
  t.is(text((await bob.receive(envelopes[0]!))!.body), 'message 1');
  await t.throwsAsync(bob.receive(envelopes[0]!));
  t.is(text((await bob.receive(envelopes[1]!))!.body), 'message 2');
  await t.throwsAsync(bob.receive(envelopes[1]!));
  // and a reply still works in the other direction
  await harness.send('bob.phone', 'alice', 'r1', 'reply');
  const reply = harness.held.at(-1)!;
  t.is(text((await harness.deliver(reply))!.body), 'reply');
});

test('bit-flipped and truncated envelopes are rejected and the session keeps working', async (t) => {
  const { bob, envelopes } = await heldConversation();
  const original = envelopes[0]!;
  for (const index of [0, 10, Math.floor(original.body.length / 2), original.body.length - 1]) {
    const flipped = original.body.slice();
    flipped[index]! ^= 0x01;
    await t.throwsAsync(bob.receive({ ...original, body: flipped }), undefined, `bit ${index}`);
  }
  await t.throwsAsync(bob.receive({ ...original, body: original.body.slice(0, original.body.length - 7) }));
  await t.throwsAsync(bob.receive({ ...original, body: new Uint8Array(0) }));
  for (let i = 0; i < envelopes.length; i++) t.is(text((await bob.receive(envelopes[i]!))!.body), `message ${i + 1}`);
});

test('an envelope from another session is rejected', async (t) => {
  const first = await heldConversation();
  const second = await heldConversation();
  // Same seed and scenario give the same keys; swap in a different conversation's envelope instead.
  await second.harness.send('alice.phone', 'bob', 'extra', 'extra');
  const foreign = second.harness.held.at(-1)!;
  t.is(text((await first.bob.receive(first.envelopes[0]!))!.body), 'message 1');
  await t.throwsAsync(first.bob.receive({ ...foreign, body: first.envelopes[1]!.body.slice(0, 40) }));
  t.is(text((await first.bob.receive(first.envelopes[1]!))!.body), 'message 2');
});
