/**
 * The exceptional-access debate, message by message: a provider that turns hostile against
 * the reference messenger (`signal`) and against the "ghost user" proposal (`ghost`): key
 * substitution at first contact, a ghost device in the provider's listing, replays, forgeries.
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import { maliciousServer } from '../attacks/malicious-server/index.ts';
import { stolenDevice } from '../attacks/stolen-device.ts';
import { cryptoBackend } from '../harness/crypto/index.ts';
import type { BundleResponse } from '../harness/provider/api.ts';
import { decodeWire } from '../harness/provider/wire.ts';
import { Rng } from '../harness/rng.ts';
import { isClaimViolation } from '../harness/report/verdicts.ts';
import { executeRun } from '../harness/runner.ts';
import { compose } from '../attacks/compose.ts';
import type { Scenario } from '../harness/scenario/types.ts';
import type { RunReport } from '../harness/report/types.ts';
import { World } from '../harness/world.ts';
import { GHOST_CLAIMS } from '../targets/ghost.ts';
import { loadAllTargets } from '../targets/registry.ts';
import { SIGNAL_CLAIMS } from '../targets/signal.ts';
import { builtIn, leakPattern, message, property, run, scenarioFromYaml } from './helpers/audit.ts';

const targets = await loadAllTargets();

const verifiedChat = builtIn('verified-chat');
const firstContact = builtIn('first-contact');

/** A run as the runner does it, keeping the world, to see what clients accepted and rejected. */
/**
 * The attack step by step. `quiet`: with a capability beside the provider's, as in a
 * composite, the provider keeps to the strategies that cost no message (no re-registration,
 * whose identity change stops a verified client's sends), so replays, reorders and forgeries
 * meet a conversation that goes on.
 */
async function runWorld(target: string, scenario: Scenario, { quiet = false } = {}) {
  const design = targets[target]!;
  const world = new World({ design, scenario, crypto: cryptoBackend('node'), rng: Rng.fromSeed(1, 'run', scenario.name, design.name), seed: 1 });
  const params = maliciousServer.params!.parse(scenario.adversaries['malicious-server'] ?? {});
  const attack = maliciousServer.prepare({ scenario, params, rng: Rng.fromSeed(1, 'adversary', scenario.name) });
  const capabilities = new Set([...maliciousServer.capabilities, ...(quiet ? (['record-network'] as const) : [])]);
  const view = world.view(design, Rng.fromSeed(1, 'attacker', scenario.name, design.name), { capabilities });
  await attack.start!(view);
  await world.setUp();
  for (const [index, step] of scenario.steps.entries()) {
    await world.perform(index, step);
    await attack.afterStep!(index, view);
  }
  const holdings = await attack.conclude(view);
  return { world, holdings, attack };
}

const noClaimBroken = (report: Awaited<ReturnType<typeof run>>) => report.properties.filter(isClaimViolation).map((p) => p.property);

// --- ghost --------------------------------------------------------------------------------

test('ghost, verified chat: every message after the server adds its device leaks via ghost-device', async (t) => {
  const report = await run('ghost', verifiedChat, 'malicious-server');
  t.is(report.status, 'ok');
  t.deepEqual(leakPattern(report), [
    'hello:before:clean',
    'hi:before:clean',
    'plan:after:leaked(ghost-device)',
    'ack:after:leaked(ghost-device)',
    'detail.1:after:leaked(ghost-device)',
    'detail.2:after:leaked(ghost-device)',
    'bye:after:leaked(ghost-device)',
  ]);
  // The safety numbers still match: verification cannot reveal a ghost, and nothing looks wrong.
  t.true(report.messages.every((m) => m.verified && m.delivered));
  const membership = property(report, 'membership');
  t.is(membership.verdict, 'violated');
  t.false(membership.claimed);
  t.regex(membership.detail, /plan was encrypted to bob\.ghost, a device bob never linked/);
  t.is(property(report, 'confidentiality').verdict, 'violated');
  t.false(property(report, 'confidentiality').claimed);
  // The ghost can also speak: a message from a device the user never linked is accepted.
  t.is(property(report, 'authentication').verdict, 'violated');
  t.regex(property(report, 'authentication').detail, /accepted "forged-\d+-ghost" as from alice\.ghost, but nobody sent it/);
  t.is(property(report, 'replay').verdict, 'holds');
  t.true(property(report, 'replay').claimed);
  t.deepEqual(noClaimBroken(report), []);
});

test('ghost encrypts to the ghost devices the provider adds; signal, in the same run, does not', async (t) => {
  const ghost = await runWorld('ghost', verifiedChat);
  const plan = ghost.world.ledger.messages.find((m) => m.id === 'plan')!;
  t.deepEqual([...plan.encryptedTo].sort(), ['alice.ghost', 'bob.ghost', 'bob.laptop', 'bob.phone']);
  const signal = await runWorld('signal', verifiedChat);
  for (const truth of signal.world.ledger.messages) t.false(truth.encryptedTo.some((d) => d.endsWith('.ghost')), truth.id);
});

test('ghost, first contact: key substitution and the ghost device both read the conversation', async (t) => {
  const report = await run('ghost', firstContact, 'malicious-server');
  t.true(['hello', 'reply', 'secret', 'from-laptop'].every((id) => message(report, id).leaked));
  t.is(property(report, 'membership').verdict, 'violated');
  t.deepEqual(noClaimBroken(report), []);
});

test('ghost claims what signal claims, except confidentiality, authentication and membership against malicious-server', (t) => {
  const against = (claims: typeof SIGNAL_CLAIMS, adversary: string) =>
    claims.filter((c) => c.adversaries.includes(adversary)).map((c) => `${c.property}${c.scope ? `(${c.scope})` : ''}`);
  t.deepEqual(against(GHOST_CLAIMS, 'malicious-server'), ['replay']);
  t.deepEqual(against(SIGNAL_CLAIMS, 'malicious-server'), ['confidentiality(verified)', 'replay', 'membership', 'authentication(verified)', 'detection(verified)']);
  for (const adversary of ['network', 'server', 'quantum', 'escrow-agent', 'escrow-thief', 'removed-member', 'stolen-device']) {
    t.deepEqual(against(GHOST_CLAIMS, adversary), against(SIGNAL_CLAIMS, adversary), adversary);
  }
  t.is(targets['ghost']!.claims, GHOST_CLAIMS);
});

// --- signal -------------------------------------------------------------------------------

test('signal, verified chat: nothing leaks; re-registered keys stop the verified clients from sending, and every claim holds', async (t) => {
  const report = await run('signal', verifiedChat, 'malicious-server');
  t.is(report.status, 'ok');
  t.deepEqual(leakPattern(report), [
    'hello:before:clean',
    'hi:before:clean',
    'plan:after:clean',
    'ack:after:clean',
    'detail.1:after:clean',
    'detail.2:after:clean',
    'bye:after:clean',
  ]);
  t.true(report.messages.every((m) => m.verified));
  // plan went out on the old sessions (held back, then no longer readable once Bob's client
  // took the new key); after it, each side was served the other's re-registered identity,
  // and a client that verified the peer refuses to send to a changed safety number.
  t.deepEqual(report.messages.filter((m) => m.delivered).map((m) => m.id), ['hello', 'hi']);
  t.true(report.alerts.some((a) => a.kind === 'identity-changed' && a.user === 'alice' && a.about === 'bob'));
  for (const name of ['confidentiality', 'replay', 'membership'] as const) {
    t.is(property(report, name).verdict, 'holds', name);
    t.true(property(report, name).claimed, name);
  }
  t.deepEqual(noClaimBroken(report), []);
});

test('signal rejects every replayed envelope and every forgery', async (t) => {
  const { world } = await runWorld('signal', verifiedChat, { quiet: true });
  const { acceptances, rejections } = world.ledger;
  const strike = verifiedChat.marks['server-turns']!;
  const replays = rejections.filter((r) => /already received/.test(r.reason));
  const forgeries = rejections.filter((r) => /identity|signed device list/.test(r.reason));
  // Every envelope after the strike came twice; the second copy of each was refused.
  const accepted = acceptances.filter((a) => a.step > strike).length;
  t.true(accepted > 0);
  t.is(replays.length, accepted);
  t.true(forgeries.length > 0, 'the forgeries were delivered');
  t.true(forgeries.every((r) => r.step > strike));
  t.deepEqual(acceptances.filter((a) => a.claimedId.startsWith('forged')), [], 'no forgery was accepted');
  t.deepEqual(acceptances.filter((a) => a.markers.length !== 1), []);
});

test('signal takes reordered envelopes in any order, each once', async (t) => {
  const { world } = await runWorld('signal', verifiedChat, { quiet: true });
  const order = (device: string) => world.ledger.acceptances.filter((a) => a.device === device).map((a) => a.claimedId);
  // 'plan' was held back and arrived after the next envelope to each of Bob's devices (on the
  // laptop: Alice's sealed delivery receipt for 'ack'). Sealed envelopes name no sender, so the
  // provider holds back the first sealed one to each device: on Alice's phone, Bob's receipt
  // for 'plan', and 'ack' and 'bye' arrive in order.
  t.deepEqual(order('bob.phone'), ['hello', 'ack', 'plan', 'detail.1', 'detail.2']);
  t.deepEqual(order('bob.laptop'), ['hello', 'hi', 'plan', 'detail.1', 'detail.2', 'bye']);
  t.deepEqual(order('alice.phone'), ['hi', 'ack', 'bye']);
});

test('signal, first contact after the server turns: key substitution reads it until the users compare safety numbers', async (t) => {
  const report = await run('signal', firstContact, 'malicious-server');
  t.deepEqual(leakPattern(report), [
    'hello:after:leaked(key-substitution)',
    'reply:after:leaked(key-substitution)',
    'secret:after:leaked(key-substitution)',
    'from-laptop:after:leaked(key-substitution)',
    'after-verify:after:clean',
  ]);
  // The man in the middle relays: the conversation looks normal, on every device.
  t.deepEqual(report.messages.map((m) => [m.id, m.delivered, m.verified]), [
    ['hello', true, false],
    ['reply', true, false],
    ['secret', true, false],
    ['from-laptop', true, false],
    ['after-verify', false, false],
  ]);
  t.true((report.notes ?? []).some((n) => /safety numbers of alice and bob did not match/.test(n)));
  t.true((report.notes ?? []).some((n) => /refused to send after-verify/.test(n)));
  // Trust on first use is what the verified-only claims leave out: confidentiality is
  // violated (PQXDH §4.1: without comparing identity keys, a substituted key goes unnoticed),
  // but no claim is broken.
  t.like(property(report, 'confidentiality'), { verdict: 'violated', claimed: true, notClaimedFor: 'unverified messages' });
  t.is(property(report, 'membership').verdict, 'holds');
  t.is(property(report, 'replay').verdict, 'holds');
  t.deepEqual(noClaimBroken(report), []);
});

test('signal: a conversation that began before the server turned is re-registered only after a step, and both sides are shown identity-changed before anything is read', async (t) => {
  const scenario = scenarioFromYaml(`
name: early-contact
users: { alice: [phone], bob: [phone] }
steps:
  - send: { from: alice, to: bob, id: early }
  - send: { from: bob, to: alice, id: early-reply }
  - mark: turns
  - send: { from: alice, to: bob, id: later, count: 3 }
  - send: { from: bob, to: alice, id: answer }
adversaries:
  malicious-server: { at: turns }
`);
  const report = await run('signal', scenario, 'malicious-server');
  // later.1-3 go out before the provider has seen its ghost device left out; Bob's answer goes to Alice's shadow.
  t.deepEqual(report.messages.filter((m) => m.leaked).map((m) => `${m.id}:${m.via}`), ['answer:re-registration']);
  t.deepEqual(
    report.alerts.filter((a) => a.kind === 'identity-changed').map((a) => `${a.user} ${a.about}`),
    ['bob alice', 'alice bob'],
  );
  t.true(message(report, 'answer').noticed === true);
});

// --- the adversary ------------------------------------------------------------------------

test('malicious-server runs in a scenario that gives it no parameters, hostile from the start', async (t) => {
  const report = await run('signal', builtIn('stolen-phone'), 'malicious-server');
  t.is(report.status, 'ok');
  t.is(report.strikeStep, null);
  t.true(report.messages.every((m) => m.class === 'unrelated'));
  t.true(report.messages.every((m) => m.via === 'key-substitution' && m.delivered));
  t.deepEqual(noClaimBroken(report), []);
});

test('in every built-in scenario the malicious server runs, and signal and ghost keep their claims', async (t) => {
  const { builtInScenarios } = await import('../app/cli/catalogue.ts');
  for (const scenario of builtInScenarios()) {
    for (const target of ['signal', 'ghost']) {
      const report = await run(target, scenario, 'malicious-server');
      t.is(report.status, 'ok', `${target} ${scenario.name}: ${report.error}`);
      t.deepEqual(noClaimBroken(report), [], `${target} ${scenario.name}`);
      t.is(property(report, 'replay').verdict, 'holds', `${target} ${scenario.name}`);
    }
  }
});

test('malicious-server parameters: `at` is optional, nothing else is allowed', (t) => {
  const schema = maliciousServer.params!;
  t.deepEqual(schema.parse({}), {});
  t.deepEqual(schema.parse({ at: 'x' }), { at: 'x' });
  t.false(schema.safeParse({ at: 'x', device: 'bob.phone' }).success);
  t.true(maliciousServer.active);
  t.deepEqual([...maliciousServer.metadata], ['sender', 'recipient', 'timing', 'size']);
});

test('the malicious server is deterministic: same seed, same report', async (t) => {
  const a = await run('ghost', firstContact, 'malicious-server');
  const b = await run('ghost', firstContact, 'malicious-server');
  t.deepEqual(a, b);
});

// --- verification synced to devices that had not met the peer --------------------------

const verifiedBeforeMeeting = scenarioFromYaml(`
name: verified-before-meeting
users: { alice: [phone], bob: [phone, laptop], carol: [phone] }
groups:
  trio: { admin: alice, members: [alice, bob, carol] }
steps:
  - send: { from: alice, to: bob, id: warm-up }
  - verify: [alice, bob, carol]
  - mark: turns
  - send: { from: carol, to: trio, id: to-all }
  - send: { from: bob.laptop, to: carol, id: laptop-to-carol }
  - link-device: { user: carol, device: laptop }
  - send: { from: carol.laptop, to: alice, id: from-new-laptop }
adversaries:
  malicious-server: { at: turns }
`);

test('signal: a device that meets a verified peer only after the provider turns keeps the verified claims', async (t) => {
  const report = await run('signal', verifiedBeforeMeeting, 'malicious-server');
  t.is(report.status, 'ok', report.error ?? '');
  t.deepEqual(noClaimBroken(report), []);
  t.true(report.messages.filter((m) => m.verified).every((m) => !m.leaked));
});

// --- withhold-prekeys ("Prekey Pogo") ---------------------------------------------------

test('withhold-prekeys: once hostile, the provider hands out bundles without one-time prekeys', async (t) => {
  const scenario = scenarioFromYaml(`
name: withheld
users: { alice: [phone], bob: [phone] }
steps:
  - send: { from: alice, to: bob, id: early }
  - mark: turns
  - link-device: { user: bob, device: laptop }
  - send: { from: alice, to: bob, id: later }
adversaries:
  malicious-server: { at: turns }
`);
  const { world } = await runWorld('signal', scenario);
  const strike = scenario.marks['turns']!;
  const handedOut = world.wire.records
    .filter((r) => r.op === 'fetch-bundle' && r.direction === 'down' && r.device === 'alice.phone')
    .map((r) => ({ before: r.step < strike, response: decodeWire<BundleResponse>(r.bytes) }));
  t.deepEqual(handedOut.map((h) => [h.before, h.response.address]), [[true, 'bob.phone'], [false, 'bob.laptop']]);
  t.true(handedOut[0]!.response.oneTimeKeys['prekey'] instanceof Uint8Array);
  t.deepEqual(handedOut[1]!.response.oneTimeKeys, { prekey: null, kyber: null });
});

/** The provider, hostile from its mark, and the device it names seized later: `malicious-server+stolen-device` (SPEC §4). */
const hostileProviderThenSeizure = compose([maliciousServer, stolenDevice]);

const prekeyPogoText = readFileSync(new URL('./theory/prekey-pogo.yaml', import.meta.url), 'utf8');
const prekeyPogo = (waitBeforeSeizure?: string): Scenario =>
  scenarioFromYaml(waitBeforeSeizure ? prekeyPogoText.replace('  - mark: seizure', `  - wait: ${waitBeforeSeizure}\n  - mark: seizure`) : prekeyPogoText, 'prekey-pogo.yaml');

for (const target of ['signal', 'libsignal']) {
  test(`prekey pogo: withheld one-time prekeys cost the first messages' forward secrecy against a later seizure (${target}; PQXDH §4.9, §4.6)`, async (t) => {
    // PQXDH §4.9: a hostile server can refuse to hand out one-time prekeys; §4.6: the first
    // messages then rest on the signed prekey, which a seized image holds until it is deleted.
    const seizedLater = await executeRun({ design: targets[target]!, scenario: prekeyPogo(), adversary: hostileProviderThenSeizure }, 1, cryptoBackend('node'));
    t.is(seizedLater.status, 'ok', seizedLater.error ?? '');
    t.deepEqual(leakPattern(seizedLater), ['first-1:before:leaked(prekeys)', 'first-2:before:leaked(prekeys)', 'reply:exposed:leaked(device-image)', 'later:after:leaked(decrypt)']);
    t.is(property(seizedLater, 'forward-secrecy').verdict, 'violated');
    // The same seizure with an honest provider: the one-time prekeys were deleted when used.
    const honest = await run(target, prekeyPogo(), 'stolen-device');
    t.deepEqual(honest.messages.filter((m) => m.class === 'before').map((m) => `${m.id}:${m.leaked}`), ['first-1:false', 'first-2:false']);
    // The withheld prekeys alone give the provider nothing.
    const provider = await run(target, prekeyPogo(), 'malicious-server');
    t.deepEqual(provider.messages.filter((m) => m.leaked).map((m) => m.id), []);
  });
}

test('prekey pogo: the cost lasts until the signed prekey is replaced and deleted (PQXDH §3.2)', async (t) => {
  const within = await executeRun({ design: targets['signal']!, scenario: prekeyPogo('20d'), adversary: hostileProviderThenSeizure }, 1, cryptoBackend('node'));
  t.deepEqual(within.messages.filter((m) => m.class === 'before' && m.leaked).map((m) => m.id), ['first-1', 'first-2']);
  const after = await executeRun({ design: targets['signal']!, scenario: prekeyPogo('40d'), adversary: hostileProviderThenSeizure }, 1, cryptoBackend('node'));
  t.deepEqual(after.messages.filter((m) => m.class === 'before' && m.leaked).map((m) => m.id), []);
  t.is(property(after, 'forward-secrecy').verdict, 'holds');
});

/** The strategies the run's note says were applied, and those it says never were. */
function strategiesOf(report: RunReport): { applied: string[]; never: string[] } {
  const note = (report.notes ?? []).find((n) => n.startsWith('malicious-server applied: '));
  if (!note) throw new Error(`no strategy note in ${JSON.stringify(report.notes)}`);
  const [applied, never = ''] = note.slice('malicious-server applied: '.length).split('; never applied: ');
  return { applied: applied!.split(', ').map((part) => part.split(' ')[0]!), never: never === '' ? [] : never.split(', ') };
}

test('the run says which strategies the malicious server applied and which it never did: the Matrix ones only on Matrix', async (t) => {
  const signal = strategiesOf(await run('signal', verifiedChat, 'malicious-server'));
  t.deepEqual(signal.applied, ['key-substitution', 're-registration', 'ghost-device', 'replay', 'reorder', 'forge']);
  // Sealed envelopes have no sender to rewrite: rewrite-sender never acts on signal.
  t.deepEqual(signal.never, ['ghost-member', 'withhold-prekeys', 'rewrite-sender', 'spoof-to-device', 'forged-room-key'], 'a chat of two: no group; every bundle fetched before the strike');
  const matrix = strategiesOf(await run('matrix', verifiedChat, 'malicious-server'));
  t.true(matrix.applied.includes('spoof-to-device') && matrix.applied.includes('forged-room-key'), JSON.stringify(matrix));
  const family = strategiesOf(await run('signal', builtIn('family-group'), 'malicious-server'));
  t.true(family.applied.includes('ghost-member'), JSON.stringify(family));
});

test('rewrite-sender: on every design whose envelopes name their sender, the server relabels a message of its own device as another user\'s, and no client takes it as that user\'s', async (t) => {
  for (const target of ['escrow', 'ghost', 'static-e2ee', 'whatsapp', 'scanning']) {
    const report = await run(target, verifiedChat, 'malicious-server');
    t.true(strategiesOf(report).applied.includes('rewrite-sender'), `${target}: ${JSON.stringify(report.notes)}`);
    t.deepEqual((report.forgeries ?? []).filter((f) => f.id.endsWith('-rewritten')), [], target);
    t.false(property(report, 'authentication').detail.includes('-rewritten'), target);
  }
});

test('rewrite-sender on Matrix: the homeserver names the sender, and under the SDK defaults the library takes its word (from a device it cannot name, red MismatchedSender); invisible crypto refuses it', async (t) => {
  const defaults = await run('matrix', verifiedChat, 'malicious-server');
  t.deepEqual(
    (defaults.forgeries ?? []).filter((f) => f.id.endsWith('-rewritten')).map((f) => [f.id, f.acceptedBy, f.claimedFrom]),
    [['forged-3-rewritten', 'alice.phone', 'bob.unknown-device']],
  );
  t.true((defaults.notes ?? []).some((n) => n.includes('shield for forged-3-rewritten from bob.unknown-device: non-strict Red MismatchedSender')));
  const invisible = await run('matrix-invisible', verifiedChat, 'malicious-server');
  t.true(strategiesOf(invisible).applied.includes('rewrite-sender'));
  t.deepEqual((invisible.forgeries ?? []).filter((f) => f.id.endsWith('-rewritten')), []);
});

test('a message the server held back until after a re-registration is handed over and cannot be read: it names the device that refused it (unreadable)', async (t) => {
  const report = await run('signal', scenarioFromYaml(`
name: mid-unverified
users: { alice: [phone], bob: [phone] }
steps:
  - send: { from: alice, to: bob, id: m1 }
  - send: { from: bob, to: alice, id: m2 }
  - mark: server-turns
  - send: { from: alice, to: bob, id: m3 }
  - send: { from: bob, to: alice, id: m4 }
  - send: { from: alice, to: bob, id: m5 }
adversaries:
  malicious-server: { at: server-turns }
`), 'malicious-server');
  t.like(message(report, 'm3'), { delivered: true, unreadable: ['bob.phone'] });
  t.deepEqual(report.messages.filter((m) => m.unreadable).map((m) => m.id), ['m3']);
});
