/**
 * The removed-member adversary: a member keeps its devices' state after the admin removes it
 * from a group and replays the network recording through it. Message by message on the
 * built-in family-group scenario, for the reference and for MLS.
 */
import test from 'ava';
import { builtIn, leakPattern, property, run, scenarioFromYaml } from './helpers/audit.ts';

const familyGroup = builtIn('family-group');

const BEFORE_REMOVAL = ['welcome', 'hi-all', 'carol-hi', 'while-offline.1', 'while-offline.2', 'dinner', 'back-online'];
const AFTER_REMOVAL = ['after-removal', 'secret-plan', 'party-detail.1', 'party-detail.2', 'dave-hi', 'for-dave', 'last'];

for (const target of ['signal', 'mls']) {
  test(`${target}: bob's kept devices expose what he got as a member, nothing after his removal`, async (t) => {
    const report = await run(target, familyGroup, 'removed-member');
    t.is(report.status, 'ok', report.error ?? '');
    t.is(report.strikeStep, familyGroup.steps.findIndex((s) => s.kind === 'remove-member'));
    t.deepEqual(leakPattern(report), [
      ...BEFORE_REMOVAL.map((id) => `${id}:exposed:leaked(device-image)`),
      // After the removal, and after Dave joins: nothing, though Bob kept every key he had.
      ...AFTER_REMOVAL.map((id) => `${id}:after:clean`),
    ]);
    // Every group message reached every device of every member at the time: Alice's laptop
    // after it came back online, Dave's phone after he joined.
    t.deepEqual(report.messages.filter((m) => !m.delivered).map((m) => m.id), []);
    const confidentiality = property(report, 'confidentiality');
    t.is(confidentiality.verdict, 'holds');
    t.true(confidentiality.claimed);
    t.true(report.properties.every((p) => !(p.claimed && p.verdict === 'violated')));
  });
}

test('every built-in target runs the family group, one-to-one designs as pairwise copies', async (t) => {
  for (const target of ['server-side', 'static-e2ee', 'signal', 'mls']) {
    const report = await run(target, familyGroup, 'network');
    t.is(report.status, 'ok', `${target}: ${report.error}`);
    t.is(report.messages.length, 14, target);
    t.deepEqual(report.messages.filter((m) => !m.delivered).map((m) => m.id), [], target);
    t.deepEqual(report.messages.filter((m) => m.leaked).map((m) => m.id), [], target);
  }
});

test('a scenario that never removes the user is not-applicable', async (t) => {
  const scenario = scenarioFromYaml(`
name: no-removal
users: { alice: [phone], bob: [phone] }
groups:
  pair: { admin: alice, members: [alice, bob] }
steps:
  - send: { from: alice, to: pair, id: hello }
adversaries:
  removed-member: { group: pair, user: bob }
`);
  const report = await run('signal', scenario, 'removed-member');
  t.is(report.status, 'not-applicable');
  t.regex((report.notes ?? []).join(' '), /never removes bob from pair/);
});

test('without parameters in a scenario it is not-applicable there', async (t) => {
  const report = await run('signal', builtIn('stolen-phone'), 'removed-member');
  t.is(report.status, 'not-applicable');
});
