/**
 * Groups in the reference messenger: sender keys over pairwise sessions, rosters signed by
 * the admin. A provider that slips a member into a group's roster gets nothing from
 * `signal`; `ghost` encrypts to it silently.
 */
import test from 'ava';
import { adversaries } from '../attacks/registry.ts';
import type { Adversary } from '../attacks/types.ts';
import { cryptoBackend } from '../harness/crypto/index.ts';
import { executeRun } from '../harness/runner.ts';
import { loadAllTargets } from '../targets/registry.ts';
import { SignalClient } from '../targets/signal/client.ts';
import type { ClientContext, Design } from '../targets/types.ts';
import { builtIn, property, scenarioFromYaml } from './helpers/audit.ts';

const targets = await loadAllTargets();

const familyGroup = builtIn('family-group');

/** A provider that adds `carol` to every roster it hands out, without the admin. */
const rosterForger: Adversary = {
  ...adversaries['server']!,
  name: 'server',
  active: true,
  capabilities: ['read-provider', 'control-provider'],
  prepare(setup) {
    const passive = adversaries['server']!.prepare(setup);
    return {
      ...passive,
      async start(view) {
        view.provider.interceptor = {
          fetchRoster: async (_requester, roster) => (roster.members.includes('carol') ? roster : { ...roster, members: [...roster.members, 'carol'] }),
        };
      },
    };
  },
};

const smallGroup = scenarioFromYaml(`
name: small-group
users: { alice: [phone], bob: [phone, laptop], carol: [phone] }
groups:
  pair: { admin: alice, members: [alice, bob] }
steps:
  - send: { from: alice, to: pair, id: g1 }
  - send: { from: bob.laptop, to: pair, id: g2 }
  - send: { from: alice, to: bob, id: direct }
`);

test('signal: a member the provider slips into the roster gets no group message; membership holds', async (t) => {
  const report = await executeRun({ design: targets['signal']!, scenario: smallGroup, adversary: rosterForger }, 1, cryptoBackend('node'));
  t.is(report.status, 'ok', report.error ?? '');
  t.is(property(report, 'membership').verdict, 'holds');
  t.true(report.messages.every((m) => m.delivered));
});

test('ghost: the slipped-in member gets every later group message; membership violated', async (t) => {
  const report = await executeRun({ design: targets['ghost']!, scenario: smallGroup, adversary: rosterForger }, 1, cryptoBackend('node'));
  t.is(report.status, 'ok', report.error ?? '');
  const membership = property(report, 'membership');
  t.is(membership.verdict, 'violated');
  t.regex(membership.detail, /g1 was encrypted to carol\.phone, but carol is not a member of pair/);
});

test('signal: group messages reach every current member device, including late joiners and offline devices', async (t) => {
  const { run } = await import('./helpers/audit.ts');
  const report = await run('signal', familyGroup, 'network');
  t.is(report.messages.length, 14);
  t.deepEqual(report.messages.filter((m) => !m.delivered).map((m) => m.id), []);
  t.is(report.summary.leaked, 0);
});

/** The reference, except that senders keep their sender key after a member leaves. */
const withoutRotation = {
  ...targets['signal']!,
  name: 'signal-without-rotation',
  createClient: (context: ClientContext) => new SignalClient(context, { secureDelete: true, rotateSenderKeys: false }),
  restoreClient: (context: ClientContext, image: Uint8Array) => new SignalClient(context, { secureDelete: true, rotateSenderKeys: false }).restore(image),
} satisfies Design;

test('a removed member reads nothing after its removal because senders rotate; without rotation it reads the group', async (t) => {
  const removed = adversaries['removed-member']!;
  const rotating = await executeRun({ design: targets['signal']!, scenario: familyGroup, adversary: removed }, 1, cryptoBackend('node'));
  t.deepEqual(rotating.messages.filter((m) => m.class === 'after' && m.leaked).map((m) => m.id), []);
  const stale = await executeRun({ design: withoutRotation, scenario: familyGroup, adversary: removed }, 1, cryptoBackend('node'));
  const leakedAfter = stale.messages.filter((m) => m.class === 'after' && m.leaked);
  t.true(leakedAfter.some((m) => m.id === 'secret-plan'), JSON.stringify(stale.messages.map((m) => [m.id, m.class, m.via])));
  t.true(leakedAfter.every((m) => m.via === 'removed-member'));
  t.is(property(stale, 'confidentiality').verdict, 'violated');
});

const verifiedGroup = scenarioFromYaml(`
name: verified-group
users: { alice: [phone], bob: [phone, laptop], carol: [phone] }
groups:
  family: { admin: alice, members: [alice, bob, carol] }
steps:
  - send: { from: alice, to: family, id: before }
  - verify: [alice, bob, carol]
  - mark: turns
  - send: { from: alice, to: family, id: g1 }
  - send: { from: bob.laptop, to: family, id: g2 }
  - send: { from: carol, to: family, id: g3 }
adversaries:
  malicious-server: { at: turns }
`);

test('a provider that turns hostile in a verified group: signal and mls leak nothing, membership holds', async (t) => {
  const { run } = await import('./helpers/audit.ts');
  for (const target of ['signal', 'mls']) {
    const report = await run(target, verifiedGroup, 'malicious-server');
    t.is(report.status, 'ok', `${target}: ${report.error}`);
    t.deepEqual(report.messages.filter((m) => m.leaked).map((m) => m.id), [], target);
    t.is(property(report, 'membership').verdict, 'holds', target);
    // (mls may lose a message the provider reorders across an epoch: delivery, not secrecy;
    // a signal client that verified a peer the provider re-registers refuses to send.)
  }
});

/** A seized phone whose sessions rest on its signed prekey alone: the provider handed out no one-time prekeys. */
const seizureWithoutOneTimePrekeys: Adversary = {
  ...adversaries['stolen-device']!,
  // It steers the provider's bundles, so it holds the provider too.
  capabilities: [...adversaries['stolen-device']!.capabilities, 'control-provider'],
  prepare(setup) {
    const seizure = adversaries['stolen-device']!.prepare(setup);
    return {
      ...seizure,
      async start(view) {
        view.provider.interceptor = {
          fetchBundle: async (_requester, response) => ({ ...response, oneTimeKeys: Object.fromEntries(Object.keys(response.oneTimeKeys).map((pool) => [pool, null])) }),
        };
      },
    };
  },
};

test('a group sender key handed over in a session start on the signed prekey is derived again from the seized image (PQXDH §4.6)', async (t) => {
  const { leakPattern } = await import('./helpers/audit.ts');
  const scenario = scenarioFromYaml(`
name: group-on-signed-prekey
users: { alice: [phone], bob: [phone] }
groups:
  pair: { admin: alice, members: [alice, bob] }
steps:
  - send: { from: alice, to: pair, id: g1 }
  - send: { from: alice, to: pair, id: g2 }
  - delete: { device: bob.phone, ids: [g1, g2] }
  - send: { from: bob, to: pair, id: g3 }
  - mark: seizure
adversaries:
  stolen-device: { device: bob.phone, at: seizure }
`);
  const report = await executeRun({ design: targets['signal']!, scenario, adversary: seizureWithoutOneTimePrekeys }, 1, cryptoBackend('node'));
  t.is(report.status, 'ok', report.error ?? '');
  // Alice's sender key came to Bob in her session start: derived again, it opens both of her
  // messages Bob deleted (the chain runs forward from the key handed over).
  t.deepEqual(leakPattern(report), ['g1:before:leaked(prekeys)', 'g2:before:leaked(prekeys)', 'g3:exposed:leaked(device-image)']);
  // With a one-time prekey in the session start, deleted once used (PQXDH §3.4), nothing comes back.
  const honest = await executeRun({ design: targets['signal']!, scenario, adversary: adversaries['stolen-device']! }, 1, cryptoBackend('node'));
  t.deepEqual(leakPattern(honest), ['g1:before:clean', 'g2:before:clean', 'g3:exposed:leaked(device-image)']);
});

test('a provider that turns hostile in a verified group: ghost leaks every later message to its slipped-in devices', async (t) => {
  const { run, leakPattern } = await import('./helpers/audit.ts');
  const report = await run('ghost', verifiedGroup, 'malicious-server');
  t.deepEqual(leakPattern(report), ['before:before:clean', 'g1:after:leaked(ghost-device)', 'g2:after:leaked(ghost-device)', 'g3:after:leaked(ghost-device)']);
  t.is(property(report, 'membership').verdict, 'violated');
});
