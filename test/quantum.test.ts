/**
 * The `quantum` adversary: the network recording and, at the end of the run, a discrete-log
 * oracle. Against a design whose session keys are X25519 values only it must recover every
 * message; against PQXDH, whose ML-KEM secret it cannot recover, none; and where it cannot
 * apply the oracle the run says so instead of coming out clean.
 */
import { readdirSync } from 'node:fs';
import test from 'ava';
import type { Adversary } from '../attacks/types.ts';
import { loadOptions } from '../app/cli/catalogue.ts';
import { cryptoBackend } from '../harness/crypto/index.ts';
import type { KeyUpload } from '../harness/provider/api.ts';
import { decodeWire } from '../harness/provider/wire.ts';
import { Rng } from '../harness/rng.ts';
import { executeRun } from '../harness/runner.ts';
import { loadScenarioFile } from '../harness/scenario/load.ts';
import { unpack } from '../targets/shared/codec.ts';
import { SignalClient } from '../targets/signal/client.ts';
import { generateDh } from '../targets/signal/primitives.ts';
import { reconstructSignalDevice } from '../targets/signal/quantum.ts';
import * as ratchet from '../targets/signal/ratchet.ts';
import { signal } from '../targets/signal.ts';
import { staticE2ee } from '../targets/static-e2ee.ts';
import type { Design } from '../targets/types.ts';
import { builtIn, property, run, scenarioFromYaml } from './helpers/audit.ts';
import { leakedIds, runDesign, signalWithoutPostQuantum } from './helpers/designs.ts';

const offlineLaptop = builtIn('offline-laptop');
const OFFLINE_LAPTOP_IDS = [
  'hello', 'yes', 'from-phone', 'queued.1', 'queued.2', 'back', 'welcome',
  'after-1', 'after-2', 'after-3', 'after-4', 'after-5', 'after-6', 'after-7', 'after-8',
];

test('quantum: without ML-KEM (X3DH alone) all 15 messages of offline-laptop leak, every ratchet key of both sides broken (PQXDH §4.7; DR §3.5)', async (t) => {
  const report = await runDesign(signalWithoutPostQuantum, offlineLaptop, 'quantum');
  t.is(report.status, 'ok');
  t.deepEqual(leakedIds(report), OFFLINE_LAPTOP_IDS);
  t.true(report.messages.every((m) => m.via === 'quantum'));
  t.is(property(report, 'confidentiality').verdict, 'violated');
});

test("quantum: PQXDH's ML-KEM secret keeps the same 15 messages closed (PQXDH §4.7)", async (t) => {
  const report = await run('signal', offlineLaptop, 'quantum');
  t.is(report.messages.length, 15);
  t.deepEqual(leakedIds(report), []);
  t.is(property(report, 'confidentiality').verdict, 'holds');
});

test("quantum: a rebuilt clone that made its own ratchet keys would lose the conversation after the first chain; following the real device's keys through the oracle keeps it (DR §3.5, §6.5)", async (t) => {
  const options = { secureDelete: true, postQuantum: false };
  // The same design, but its rebuilt devices do not get the oracle for the keys they meet later.
  const blind: Design = {
    ...signalWithoutPostQuantum,
    reconstructDevice: (context, upload, privateKeyOf) =>
      reconstructSignalDevice(new SignalClient({ ...context, privateKeyOf: undefined }, options), upload, privateKeyOf),
  };
  const report = await runDesign(blind, offlineLaptop, 'quantum');
  t.deepEqual(leakedIds(report), ['hello', 'yes']);
});

test('harvest now, decrypt later: X3DH loses every recorded message to the oracle (one to one, groups, a linked device, mail never read); PQXDH none (PQXDH §4.7)', async (t) => {
  const scenario = loadScenarioFile(new URL('theory/harvest-now-decrypt-later.yaml', import.meta.url).pathname, loadOptions);
  const classical = await runDesign(signalWithoutPostQuantum, scenario, 'quantum');
  t.deepEqual(leakedIds(classical), [
    'first', 'reply', 'from-laptop', 'to-group', 'carol-group', 'to-tablet-too', 'from-tablet', 'never-read.1', 'never-read.2', 'last-group',
  ]);
  // Dave wrote to Carol while her phone was off for good: the envelopes waited at the provider.
  t.deepEqual(classical.messages.filter((m) => !m.delivered).map((m) => m.id), ['never-read.1', 'never-read.2', 'last-group']);
  const postQuantum = await runDesign(signal, scenario, 'quantum');
  t.deepEqual(leakedIds(postQuantum), []);
  t.is(property(postQuantum, 'confidentiality').verdict, 'holds');
});

test('quantum: X3DH alone loses every message of every built-in scenario, groups included (sender keys travel on pairwise sessions: PQXDH §4.7)', async (t) => {
  const names = readdirSync(new URL('../attacks/scenarios/', import.meta.url)).filter((file) => file.endsWith('.yaml')).map((file) => file.slice(0, -'.yaml'.length));
  t.true(names.includes('family-group'));
  for (const name of names) {
    const report = await runDesign(signalWithoutPostQuantum, builtIn(name), 'quantum');
    t.true(report.messages.length > 0, name);
    t.deepEqual(leakedIds(report), report.messages.map((m) => m.id), name);
  }
});

test('quantum: a device the oracle cannot rebuild makes the run inconclusive, never holds', async (t) => {
  const unbuildable: Design = {
    ...signal,
    name: 'signal-unbuildable',
    reconstructDevice: async (context) => {
      throw new Error(`the identity key of ${context.address} was not captured`);
    },
  };
  const report = await runDesign(unbuildable, offlineLaptop, 'quantum');
  t.deepEqual(leakedIds(report), []);
  const confidentiality = property(report, 'confidentiality');
  t.is(confidentiality.verdict, 'inconclusive');
  t.regex(confidentiality.detail, /the oracle could not rebuild alice\.phone \(the identity key of alice\.phone was not captured\)/);
});

test('quantum: the oracle answers only at the end of the run, and only for public keys seen on the wire (SPEC §4)', async (t) => {
  const answers: { during: (Uint8Array | null)[]; atEnd: { published: Uint8Array | null; unseen: Uint8Array | null } | null } = { during: [], atEnd: null };
  let identity: Uint8Array | null = null;
  const probe: Adversary = {
    name: 'oracle-probe',
    description: 'asks the oracle during and after the run',
    metadata: [],
    active: false,
    capabilities: ['record-network', 'discrete-log-oracle'],
    prepare: () => ({
      position: { strikeStep: null, compromisedDevice: null, removedMember: null },
      async afterStep(_index, view) {
        const upload = view.wire.find((r) => r.op === 'publish-keys')!;
        identity = unpack<{ identity: Uint8Array }>(decodeWire<KeyUpload>(upload.bytes).bundle, 'bundle').identity;
        answers.during.push(view.discreteLog(identity));
      },
      async conclude(view) {
        // A key pair made in the run (through the run's own backend) that never crossed the wire.
        const unseen = view.crypto.x25519PublicKey(new Uint8Array(32).fill(7));
        answers.atEnd = { published: view.discreteLog(identity!), unseen: view.discreteLog(unseen) };
        return [];
      },
    }),
  };
  const scenario = scenarioFromYaml(`
name: pair
users: { alice: [phone], bob: [phone] }
steps:
  - send: { from: alice, to: bob, id: m1 }
`);
  const report = await executeRun({ design: staticE2ee, scenario, adversary: probe }, 1, cryptoBackend('node'));
  t.is(report.status, 'ok');
  t.deepEqual(answers.during, [null]);
  const privateKey = answers.atEnd!.published!;
  t.deepEqual(cryptoBackend('node').x25519PublicKey(privateKey), identity!);
  t.is(answers.atEnd!.unseen, null);
});

test("a ratchet that follows the oracle keeps the device's next ratchet key only if the device's message opens with it (DR §3.5, §6.5)", (t) => {
  const crypto = cryptoBackend('node');
  const rng = Rng.fromSeed(1, 'ratchet-oracle');
  const responderKey = generateDh(crypto, rng);
  const sharedSecret = rng.bytes(32);
  const ad = rng.bytes(16);
  const initiator = ratchet.initInitiator(crypto, rng, sharedSecret, responderKey.publicKey, ad);
  const responder = ratchet.initResponder(sharedSecret, responderKey, ad);
  const clone = ratchet.initResponder(sharedSecret, { ...responderKey }, ad);
  const keys = new Map<string, Uint8Array>();
  const oracle = (publicKey: Uint8Array) => keys.get(Buffer.from(publicKey).toString('hex')) ?? null;

  const first = ratchet.encrypt(initiator, crypto, new TextEncoder().encode('first'));
  ratchet.decrypt(responder, crypto, rng, first);
  t.is(new TextDecoder().decode(ratchet.decrypt(clone, crypto, rng, first, oracle)), 'first');
  t.is(clone.sending.chain, null, 'the clone makes no ratchet key of its own');

  const reply = ratchet.encrypt(responder, crypto, new TextEncoder().encode('reply'));
  const before = structuredClone(clone);
  keys.set(Buffer.from(responder.sending.ratchet.publicKey).toString('hex'), generateDh(crypto, rng).privateKey);
  t.throws(() => ratchet.decryptOwnFollowing(clone, crypto, reply, oracle), undefined, 'a wrong private half does not open it');
  t.deepEqual(clone, before, 'and leaves the state as it was');

  keys.set(Buffer.from(responder.sending.ratchet.publicKey).toString('hex'), responder.sending.ratchet.privateKey);
  t.is(new TextDecoder().decode(ratchet.decryptOwnFollowing(clone, crypto, reply, oracle)), 'reply');
  ratchet.decrypt(initiator, crypto, rng, reply);
  const next = ratchet.encrypt(initiator, crypto, new TextEncoder().encode('next'));
  t.is(new TextDecoder().decode(ratchet.decrypt(clone, crypto, rng, next, oracle)), 'next', 'the clone follows the next DH step too');
});
