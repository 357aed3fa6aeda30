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
import { targets } from '../targets/registry.ts';
import { builtIn, property, scenarioFromYaml } from './helpers/audit.ts';

const familyGroup = builtIn('family-group');

/** A provider that adds `carol` to every roster it hands out, without the admin. */
const rosterForger: Adversary = {
  ...adversaries['server']!,
  name: 'server',
  active: true,
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
