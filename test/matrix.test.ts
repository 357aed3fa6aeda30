/**
 * The `matrix` targets (matrix-sdk-crypto-wasm, keyhole as the homeserver), message by
 * message: a seized phone in a direct room with deletions (Megolm keeps its inbound sessions,
 * so deleting messages protects none), a seized phone in a group room across a rotation of
 * the room key, the network and the provider, and the same report for the same seed.
 */
import test from 'ava';
import { loadOptions } from '../app/cli/catalogue.ts';
import { loadScenarioFile } from '../harness/scenario/load.ts';
import { builtIn, leakPattern, property, run } from './helpers/audit.ts';

const stolenPhone = builtIn('stolen-phone');
const familyGroup = builtIn('family-group');
const rotation = loadScenarioFile(new URL('./fixtures/scenarios/matrix-rotation.yaml', import.meta.url).pathname, loadOptions);

/**
 * Megolm (Matrix spec, "m.megolm.v1.aes-sha2"): a receiver keeps each inbound session from
 * the first index it got, for the room's history; deleted messages decrypt again from the
 * recording, and the sessions go on opening what comes after the seizure.
 */
const MEGOLM_STOLEN_PHONE = [
  'plan:before:leaked(decrypt)',
  'ack:exposed:leaked(device-image)',
  'source:before:leaked(decrypt)',
  'kept:exposed:leaked(device-image)',
  'after-1:after:leaked(decrypt)',
  'after-2:after:leaked(decrypt)',
  'after-3:after:leaked(decrypt)',
  'after-4:after:leaked(decrypt)',
  'after-5:after:leaked(decrypt)',
  'after-6:after:leaked(decrypt)',
];

for (const target of ['matrix', 'matrix@14.2.0']) {
  test(`${target}: a seized phone re-reads the deleted messages of a direct room and every later one in the same sessions`, async (t) => {
    const report = await run(target, stolenPhone, 'stolen-device');
    t.is(report.status, 'ok', report.error ?? '');
    t.deepEqual(leakPattern(report), MEGOLM_STOLEN_PHONE);
    t.is(property(report, 'forward-secrecy').verdict, 'violated');
    t.false(property(report, 'forward-secrecy').claimed);
  });
}

test('matrix: in a group room the seized phone reads the session it holds; its own next session, started after a member left, it cannot', async (t) => {
  const report = await run('matrix', rotation, 'stolen-device');
  t.is(report.status, 'ok', report.error ?? '');
  t.deepEqual(leakPattern(report), [
    'before:exposed:leaked(device-image)',
    'bob-before:exposed:leaked(device-image)',
    'same-session-1:after:leaked(decrypt)',
    'same-session-2:after:leaked(decrypt)',
    // Carol's removal rotated Bob's outbound session: the copy never had the new one.
    'bob-rotated:after:clean',
    // Alice's rotated session reaches Bob over an Olm session whose keys the image holds.
    'rotated-1:after:leaked(decrypt)',
    'rotated-2:after:leaked(decrypt)',
  ]);
});

for (const adversary of ['network', 'server']) {
  test(`matrix: nothing leaks to ${adversary}`, async (t) => {
    for (const scenario of [stolenPhone, familyGroup]) {
      const report = await run('matrix', scenario, adversary);
      t.is(report.status, 'ok', report.error ?? '');
      t.deepEqual(report.messages.filter((m) => m.leaked).map((m) => m.id), [], scenario.name);
      t.deepEqual(report.messages.filter((m) => !m.delivered).map((m) => m.id), [], scenario.name);
      t.is(property(report, 'confidentiality').verdict, 'holds', scenario.name);
    }
  });
}

test('matrix: the same seed gives the same report (the library\'s own randomness aside)', async (t) => {
  const first = await run('matrix', stolenPhone, 'stolen-device');
  const second = await run('matrix', stolenPhone, 'stolen-device');
  t.deepEqual(second, first);
});

const verifiedChat = builtIn('verified-chat');

test('matrix-invisible: against a malicious homeserver nothing verified leaks and no forgery is accepted (cross-signed senders only)', async (t) => {
  const report = await run('matrix-invisible', verifiedChat, 'malicious-server');
  t.is(report.status, 'ok', report.error ?? '');
  t.deepEqual(report.messages.filter((m) => m.verified && m.leaked).map((m) => m.id), []);
  t.is(property(report, 'confidentiality').verdict, 'holds');
  t.is(property(report, 'authentication').verdict, 'holds');
  t.true(property(report, 'authentication').claimed);
});

test('matrix: with the SDK defaults a device the homeserver adds gets forged messages accepted, and the app shows the shield', async (t) => {
  const report = await run('matrix', verifiedChat, 'malicious-server');
  t.is(report.status, 'ok', report.error ?? '');
  t.is(property(report, 'authentication').verdict, 'violated');
  t.false(property(report, 'authentication').claimed);
  t.true(report.alerts.some((a) => a.kind === 'unverified-sender'));
  t.true((report.notes ?? []).some((n) => /shield for forged-\d+-ghost/.test(n)), (report.notes ?? []).join('\n'));
});
