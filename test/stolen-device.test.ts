/**
 * The seized-device attack (SPEC §4 `stolen-device`; "Principles": restore and replay) on
 * the cases theory settles: a phone kept off the network after it is imaged, sessions its
 * prekeys can derive again, and group membership as of each message. Each test names the
 * leaked and clean message ids.
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import { deviceEnvelopes } from '../attacks/capture.ts';
import { adversaryNamed } from '../attacks/registry.ts';
import { cryptoBackend } from '../harness/crypto/index.ts';
import type { Envelope } from '../harness/provider/api.ts';
import { executeRun } from '../harness/runner.ts';
import { Rng } from '../harness/rng.ts';
import type { Scenario } from '../harness/scenario/types.ts';
import { signal } from '../targets/signal.ts';
import type { Design } from '../targets/types.ts';
import { leakPattern, message, property, run, scenarioFromYaml } from './helpers/audit.ts';
import { setUpWorld } from './helpers/world.ts';

const THEORY = new URL('./theory/', import.meta.url);
const theoryText = (name: string): string => readFileSync(new URL(`${name}.yaml`, THEORY), 'utf8');
const theory = (name: string): Scenario => scenarioFromYaml(theoryText(name), `${name}.yaml`);

// --- a seized phone kept offline ------------------------------------------------------------

const SEIZED_PHONE_OFFLINE = [
  'hello:exposed:leaked(device-image)',
  'reply:exposed:leaked(device-image)',
  // Queued for the phone, never delivered: the recording has them, the image's sessions open them.
  'after-1:after:leaked(decrypt)',
  'after-2:after:leaked(decrypt)',
  'after-3:after:leaked(decrypt)',
  'after-4:after:leaked(decrypt)',
  'after-5:after:leaked(decrypt)',
];

for (const target of ['signal', 'libsignal', 'mls']) {
  test(`a seized phone kept offline: every message queued for it leaks, its own user's copies too (${target}; SPEC §4)`, async (t) => {
    // SPEC §4: with a device's state the adversary opens the messages sent to that device; a
    // phone that never comes back sends nothing that could heal its sessions.
    const report = await run(target, theory('seized-phone-offline'), 'stolen-device');
    t.is(report.status, 'ok', report.error ?? '');
    t.deepEqual(leakPattern(report), SEIZED_PHONE_OFFLINE);
    t.deepEqual(report.messages.filter((m) => !m.delivered).map((m) => m.id), ['after-1', 'after-2', 'after-3', 'after-4', 'after-5']);
    t.not(property(report, 'post-compromise-security').verdict, 'holds');
  });
}

test('the attack tries each envelope once: where it was delivered, or, never delivered, where it was uploaded', async (t) => {
  const scenario = scenarioFromYaml(`
name: queued
users: { alice: [phone], bob: [phone] }
steps:
  - send: { from: alice, to: bob, id: m1 }
  - offline: bob.phone
  - send: { from: alice, to: bob, id: m2 }
  - online: bob.phone
  - send: { from: bob, to: alice, id: m3 }
  - offline: bob.phone
  - send: { from: alice, to: bob, id: m4 }
`);
  const harness = await setUpWorld(signal, scenario);
  const { world } = harness;
  for (const [index, step] of scenario.steps.entries()) await world.perform(index, step);
  const view = world.view(signal, Rng.fromSeed(1, 'attacker'), { capabilities: new Set(['record-network']) });
  // An upload by the connection that carried it; a delivery as the provider names its sender (sealed).
  const tried = [...deviceEnvelopes(view, 'bob.phone')].map((c) => `${c.step}:${c.direction}:${c.uploader ?? c.envelope.from}>${c.envelope.to}`);
  // m1 delivered at once, and the phone's receipt for it; m2 uploaded at step 2, tried where it
  // was delivered (step 3), not twice, and its receipt; m3 the phone's own upload, and alice's
  // receipt for it; m4 uploaded and never delivered.
  t.deepEqual(tried, [
    '0:down:.sealed>bob.phone',
    '0:up:bob.phone>alice.phone',
    '3:down:.sealed>bob.phone',
    '3:up:bob.phone>alice.phone',
    '4:up:bob.phone>alice.phone',
    '4:down:.sealed>bob.phone',
    '6:up:alice.phone>bob.phone',
  ]);
});

// --- sessions the image can derive again ----------------------------------------------------

const RUN_OUT_LEAKS = ['from-21:before:leaked(prekeys)', 'from-22:before:leaked(prekeys)'];

for (const target of ['signal', 'libsignal']) {
  test(`sessions the image re-derives: the two first messages that found no one-time prekey leak from the seized phone's signed prekey (${target}; PQXDH §3.3, §4.6)`, async (t) => {
    // PQXDH §3.3: without a one-time prekey the session key rests on the signed prekey (and
    // the last-resort ML-KEM key), both still in the image; §3.4: used one-time prekeys are
    // deleted, so the other twenty sessions cannot be derived again.
    const report = await run(target, theory('prekeys-run-out'), 'stolen-device');
    t.is(report.status, 'ok', report.error ?? '');
    t.deepEqual(leakPattern(report).filter((m) => !m.endsWith(':clean')), RUN_OUT_LEAKS);
    t.is(report.messages.filter((m) => m.leaked).length, 2);
    t.is(property(report, 'forward-secrecy').verdict, 'violated');
  });

  test(`a signed prekey replaced and deleted before the seizure re-derives nothing (${target}; PQXDH §3.2)`, async (t) => {
    // PQXDH §3.2: the signed prekey is replaced at an interval and the old private key
    // eventually deleted "for forward secrecy"; forty days later the image no longer has it.
    const report = await run(target, theory('prekeys-run-out-rotated'), 'stolen-device');
    t.is(report.status, 'ok', report.error ?? '');
    t.deepEqual(report.messages.filter((m) => m.leaked).map((m) => m.id), []);
    t.is(property(report, 'forward-secrecy').verdict, 'holds');
  });
}

test('a design that quietly drops what it cannot open still has its sessions re-derived from the image (PQXDH §3.3)', async (t) => {
  // Some clients answer a message they take for a duplicate session start with nothing rather
  // than an error; the prekeys in the image derive the session all the same.
  const quiet: Design = {
    ...signal,
    name: 'quiet-signal',
    async restoreClient(context, image) {
      const client = await signal.restoreClient(context, image);
      return new Proxy(client, {
        get(target, key) {
          if (key === 'receive') return (envelope: Envelope) => target.receive(envelope).catch(() => null);
          const value = Reflect.get(target, key, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    },
  };
  const report = await executeRun({ design: quiet, scenario: theory('prekeys-run-out'), adversary: adversaryNamed('stolen-device') }, 1, cryptoBackend('node'));
  t.is(report.status, 'ok', report.error ?? '');
  t.deepEqual(leakPattern(report).filter((m) => !m.endsWith(':clean')), RUN_OUT_LEAKS);
});

test('a replaced signed prekey kept within its grace period still re-derives the sessions started on it (PQXDH §3.2)', async (t) => {
  // Twenty days on, the key has been replaced but is still kept for messages in flight (thirty days).
  const scenario = scenarioFromYaml(theoryText('prekeys-run-out-rotated').replace('wait: 40d', 'wait: 20d'), 'prekeys-run-out-rotated.yaml');
  const report = await run('signal', scenario, 'stolen-device');
  t.deepEqual(leakPattern(report).filter((m) => !m.endsWith(':clean')), RUN_OUT_LEAKS);
});

// --- membership as of each message ------------------------------------------------------------

for (const target of ['signal', 'libsignal', 'mls']) {
  test(`a seized member's image reads the message of a member removed afterwards (${target}; SPEC §5 membership)`, async (t) => {
    // Carol was a member when she wrote, and Bob's phone accepted her message: the image,
    // replaying it, checks her against the roster of that moment, as the phone did.
    const report = await run(target, theory('member-removed-later'), 'stolen-device');
    t.is(report.status, 'ok', report.error ?? '');
    t.deepEqual(leakPattern(report), [
      'hello:exposed:leaked(device-image)',
      'carol-hi:exposed:leaked(device-image)',
      'carol-after:after:leaked(decrypt)',
      'alice-after:after:leaked(decrypt)',
      'after-removal:after:leaked(decrypt)',
    ]);
    t.true(message(report, 'carol-after').delivered);
  });
}

test('a restored device reads the public directory as of the record it replays', async (t) => {
  const scenario = theory('member-removed-later');
  const harness = await setUpWorld(signal, scenario);
  const { world } = harness;
  const before = world.wire.records.length;
  for (const [index, step] of scenario.steps.entries()) await world.perform(index, step);
  const then = world.provider.observer(() => before);
  const now = world.provider.observer();
  t.deepEqual((await then.fetchRoster('family')).members, ['alice', 'bob', 'carol']);
  t.deepEqual((await now.fetchRoster('family')).members, ['alice', 'bob']);
  await t.throwsAsync(then.countOneTimeKeys(), { message: /cannot act on the provider/ });
});
