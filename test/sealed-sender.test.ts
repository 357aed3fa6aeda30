/**
 * Sealed sender in the reference client, on as in Signal (Signal's sealed sender, 2018;
 * libsignal's sealed_sender v1): the provider stores and delivers envelopes to other users
 * naming no sender, recipients learn the sender from inside the encryption, every message
 * is acknowledged with a sealed delivery receipt to its sender, and nothing else changes:
 * what a seized phone gives up is what it gives up without it.
 */
import test from 'ava';
import { cryptoBackend } from '../harness/crypto/index.ts';
import { SEALED_SENDER, type Envelope } from '../harness/provider/api.ts';
import { decodeWire } from '../harness/provider/wire.ts';
import { Rng } from '../harness/rng.ts';
import { World } from '../harness/world.ts';
import { SignalClient, type SignalOptions } from '../targets/signal/client.ts';
import { reconstructSignalDevice } from '../targets/signal/quantum.ts';
import { signal } from '../targets/signal.ts';
import type { Design } from '../targets/types.ts';
import { builtIn, property, scenarioFromYaml } from './helpers/audit.ts';
import { leakedIds, runDesign } from './helpers/designs.ts';

const UNSEALED: SignalOptions = { secureDelete: true, sealedSender: false };

const signalWithoutSealedSender: Design = {
  ...signal,
  name: 'signal-without-sealed-sender',
  claims: signal.claims.filter((claim) => claim.property !== 'sender-anonymity'),
  createClient: (context) => new SignalClient(context, UNSEALED),
  restoreClient: (context, image) => new SignalClient(context, UNSEALED).restore(image),
  reconstructDevice: (context, upload, privateKeyOf) => reconstructSignalDevice(new SignalClient(context, UNSEALED), upload, privateKeyOf),
  openOuterLayer: undefined,
};

const chat = scenarioFromYaml(`
name: sealed-chat
users: { alice: [phone], bob: [phone, laptop] }
steps:
  - send: { from: alice, to: bob, id: m1, text: "hello" }
  - send: { from: bob.laptop, to: alice, id: m2, text: "hi" }
  - send: { from: alice, to: bob, id: m3, text: "how are you" }
`);

test('sealed sender: the provider stores no sender for envelopes to other users, the recipients know who sent each message, and each is acknowledged to its sender', async (t) => {
  const world = new World({ design: signal, scenario: chat, crypto: cryptoBackend('node'), rng: Rng.fromSeed(1, 'sealed'), seed: 1 });
  await world.setUp();
  for (const [index, step] of chat.steps.entries()) await world.perform(index, step);
  const stored = world.provider.stored.filter((item) => item.kind === 'envelope').map((item) => ({ item, envelope: decodeWire<Envelope>(item.bytes) }));
  const routes = stored.map(({ item, envelope }) => `${item.step}:${envelope.from}>${envelope.to}`);
  t.deepEqual(routes, [
    // m1 to both of bob's devices; each acknowledges it to alice's phone
    `0:${SEALED_SENDER}>bob.phone`,
    `0:${SEALED_SENDER}>alice.phone`,
    `0:${SEALED_SENDER}>bob.laptop`,
    `0:${SEALED_SENDER}>alice.phone`,
    // m2: to alice (sealed) and, as a sync copy over the authenticated connection, to bob's phone
    `1:${SEALED_SENDER}>alice.phone`,
    `1:${SEALED_SENDER}>bob.laptop`,
    '1:bob.laptop>bob.phone',
    `2:${SEALED_SENDER}>bob.phone`,
    `2:${SEALED_SENDER}>alice.phone`,
    `2:${SEALED_SENDER}>bob.laptop`,
    `2:${SEALED_SENDER}>alice.phone`,
  ]);
  t.true(stored.every(({ item, envelope }) => item.owner === envelope.from));
  const accepted = world.ledger.acceptances.map((a) => `${a.claimedId}:${a.claimedFrom}>${a.device}`);
  t.deepEqual(accepted, ['m1:alice.phone>bob.phone', 'm1:alice.phone>bob.laptop', 'm2:bob.laptop>alice.phone', 'm2:bob.laptop>bob.phone', 'm3:alice.phone>bob.phone', 'm3:alice.phone>bob.laptop']);
  t.deepEqual(world.ledger.rejections, []);
});

test('sealed sender changes nothing a seized phone, the network, the provider or the oracle recover, only what the provider learns of senders (stolen-phone)', async (t) => {
  const stolenPhone = builtIn('stolen-phone');
  for (const adversary of ['stolen-device', 'network', 'server', 'quantum', 'stolen-device+quantum']) {
    const sealed = await runDesign(signal, stolenPhone, adversary);
    const plain = await runDesign(signalWithoutSealedSender, stolenPhone, adversary);
    t.is(sealed.status, 'ok', adversary);
    t.deepEqual(leakedIds(sealed), leakedIds(plain), adversary);
    const verdicts = (report: typeof sealed) => report.properties.filter((p) => p.property !== 'sender-anonymity').map((p) => `${p.property}:${p.verdict}`);
    t.deepEqual(verdicts(sealed), verdicts(plain), adversary);
    // The provider loses the senders; a tap on the network still sees whose connection each upload crosses.
    const onTheWire = adversary !== 'stolen-device';
    t.is(property(sealed, 'sender-anonymity').verdict, adversary === 'server' ? 'holds' : onTheWire ? 'violated' : 'not-applicable', adversary);
    t.is(property(plain, 'sender-anonymity').verdict, onTheWire ? 'violated' : 'not-applicable', adversary);
    t.true(sealed.messages.every((m) => m.delivered), adversary);
  }
});
