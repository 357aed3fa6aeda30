/**
 * Composite adversaries (SPEC §4): `a+b` holds the union of its parts' capabilities and
 * parameters and uses them together. A seized phone plus a discrete-log oracle never loses
 * the classical Double Ratchet; PQXDH's ML-KEM secret still closes sessions the image did
 * not hold. Composite names work wherever the command line checks names.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CAPABILITY_NAMES, type Capability } from '../attacks/capabilities.ts';
import { serverHoldings, wireHoldings } from '../attacks/capture.ts';
import { compose, mergePositions } from '../attacks/compose.ts';
import { adversaries, adversaryNamed } from '../attacks/registry.ts';
import type { Adversary, AdversaryView, Holding } from '../attacks/types.ts';
import { loadOptions, pickAdversaries } from '../app/cli/catalogue.ts';
import { catalogue, COMPOSITION_NOTE, renderCatalogue } from '../app/cli/list.ts';
import { cryptoBackend } from '../harness/crypto/index.ts';
import { HarnessDefect, InputError } from '../harness/errors.ts';
import type { Report } from '../harness/report/types.ts';
import { executeRun } from '../harness/runner.ts';
import { loadScenarioFile } from '../harness/scenario/load.ts';
import { runTask } from '../app/workers.ts';
import { loadAllTargets } from '../targets/registry.ts';
import { builtIn, leakPattern, message, property, run, scenarioFromYaml } from './helpers/audit.ts';
import { keyhole } from './helpers/cli.ts';
import { leakedIds, runDesign, signalWithoutPostQuantum } from './helpers/designs.ts';

const targets = await loadAllTargets();

const stolenPhone = builtIn('stolen-phone');
const seizedAndQuantum = loadScenarioFile(new URL('theory/seized-phone-and-quantum.yaml', import.meta.url).pathname, loadOptions);

test('stolen-device+quantum on signal: every message after the seizure leaks and post-compromise security is violated, since the Double Ratchet heals only through X25519 (DR §6.2)', async (t) => {
  const report = await run('signal', stolenPhone, 'stolen-device+quantum');
  t.is(report.adversary, 'stolen-device+quantum');
  t.deepEqual(leakPattern(report), [
    'plan:before:clean',
    'ack:exposed:leaked(device-image)',
    'source:before:clean',
    'kept:exposed:leaked(device-image)',
    'after-1:after:leaked(decrypt)',
    'after-2:after:leaked(decrypt)',
    'after-3:after:leaked(decrypt)',
    'after-4:after:leaked(decrypt)',
    'after-5:after:leaked(decrypt)',
    'after-6:after:leaked(decrypt)',
  ]);
  const pcs = property(report, 'post-compromise-security');
  t.is(pcs.verdict, 'violated');
  t.is(pcs.healedAfter, null);
  // The deleted messages' session started on one-time prekeys the image no longer holds.
  t.is(property(report, 'forward-secrecy').verdict, 'holds');
  // signal claims post-compromise security against stolen-device alone, not against this composite.
  t.false(pcs.claimed);
  const alone = await run('signal', stolenPhone, 'stolen-device');
  t.is(property(alone, 'post-compromise-security').verdict, 'holds');
});

test("seized phone and quantum: the image plus the oracle follows Alice's and a new contact's sessions for good; a session Bob starts after the seizure stays closed behind PQXDH's ML-KEM secret (DR §6.2; PQXDH §4.7)", async (t) => {
  const report = await run('signal', seizedAndQuantum, 'stolen-device+quantum');
  t.deepEqual(leakedIds(report), ['before', 'landed', 'alice-1', 'bob-1', 'alice-2', 'bob-2', 'alice-3', 'bob-3', 'carol-1', 'bob-to-carol', 'carol-2']);
  t.deepEqual(['bob-to-dave', 'dave-1', 'bob-to-dave-2'].map((id) => message(report, id).leaked), [false, false, false]);
  t.is(property(report, 'post-compromise-security').verdict, 'violated');

  // The image alone: the ratchet heals after one message in each conversation.
  const alone = await run('signal', seizedAndQuantum, 'stolen-device');
  t.deepEqual(leakedIds(alone), ['before', 'landed', 'alice-1', 'carol-1']);
  // Without ML-KEM, Bob's new session with Dave falls to the oracle's other half, the rebuilt Dave.
  const classical = await runDesign(signalWithoutPostQuantum, seizedAndQuantum, 'stolen-device+quantum');
  t.deepEqual(['bob-to-dave', 'dave-1', 'bob-to-dave-2'].map((id) => message(classical, id).via), ['quantum', 'quantum', 'quantum']);
});

test('stolen-device+quantum runs on every design; where the oracle cannot drive a library’s restored image the run says so (inconclusive)', async (t) => {
  for (const name of Object.keys(targets)) {
    const report = await run(name, stolenPhone, 'stolen-device+quantum');
    t.is(report.status, 'ok', `${name}: ${report.error}`);
    t.true(leakedIds(report).includes('after-1'), name);
    const pcs = property(report, 'post-compromise-security');
    if (name === 'libsignal' || name === 'mls') {
      t.is(pcs.verdict, 'inconclusive', name);
      t.regex(pcs.detail, new RegExp(`the discrete-log oracle cannot drive ${name}'s restored bob\\.phone`), name);
    } else {
      t.is(pcs.verdict, 'violated', name);
    }
  }
});

/** An adversary that records what its view grants, through a composite or alone. */
function probe(name: string, capabilities: Capability[], seen: [string, Capability[]][]): Adversary {
  return {
    name,
    description: 'records its view',
    metadata: ['timing'],
    active: false,
    capabilities,
    prepare: () => ({
      position: { strikeStep: null, compromisedDevice: null, removedMember: null },
      async conclude(view: AdversaryView) {
        seen.push([name, CAPABILITY_NAMES.filter((c) => view.capabilities.has(c))]);
        if (!view.capabilities.has('read-provider')) assertNoProviderData(view);
        return [];
      },
    }),
  };
}

function assertNoProviderData(view: AdversaryView): void {
  let threw = false;
  try {
    void view.providerStored;
  } catch {
    threw = true;
  }
  if (!threw) throw new Error('a view without read-provider handed out the provider’s stored data');
}

test("a composite's view grants the union of its parts' capabilities, and a view never grants more than its adversary holds (SPEC §4)", async (t) => {
  const seen: [string, Capability[]][] = [];
  const pair = scenarioFromYaml(`
name: pair
users: { alice: [phone], bob: [phone] }
steps:
  - send: { from: alice, to: bob, id: m1 }
`);
  const design = targets['static-e2ee']!;
  const composite = compose([probe('a', ['record-network'], seen), probe('b', ['escrow-key', 'discrete-log-oracle'], seen)]);
  t.is(composite.name, 'a+b');
  t.deepEqual(composite.capabilities, ['record-network', 'discrete-log-oracle', 'escrow-key']);
  t.deepEqual(composite.metadata, ['timing']);
  const together = await executeRun({ design, scenario: pair, adversary: composite }, 1, cryptoBackend('node'));
  t.is(together.status, 'ok', together.error ?? '');
  const union: Capability[] = ['record-network', 'discrete-log-oracle', 'escrow-key'];
  // The composite's parts, then each part alone (the monotonicity self-check).
  t.deepEqual(seen, [
    ['a', union],
    ['b', union],
    ['a', ['record-network']],
    ['b', ['discrete-log-oracle', 'escrow-key']],
  ]);
});

test('scenario parameters are given per part: a composite whose part has none in a scenario is not-applicable there, naming the part', async (t) => {
  const pair = scenarioFromYaml(`
name: pair
users: { alice: [phone], bob: [phone] }
steps:
  - send: { from: alice, to: bob, id: m1 }
`);
  const report = await run('signal', pair, 'quantum+stolen-device');
  t.is(report.status, 'not-applicable');
  t.regex(report.notes![0]!, /stolen-device needs parameters \(device, at\) that scenario pair does not give/);
});

test('a composite strikes when its device is compromised (else when its first part strikes) and is entitled to whatever any part is: a seized member plus a removed one (SPEC §5 exposed)', async (t) => {
  const scenario = scenarioFromYaml(`
name: seized-and-removed
users: { alice: [phone], bob: [phone], carol: [phone] }
groups:
  family: { admin: alice, members: [alice, bob, carol] }
steps:
  - send: { from: alice, to: family, id: g1 }
  - send: { from: alice, to: carol, id: private }
  - mark: seizure
  - remove-member: { group: family, user: bob, by: alice }
  - send: { from: alice, to: family, id: g2 }
adversaries:
  stolen-device: { device: carol.phone, at: seizure }
  removed-member: { group: family, user: bob }
`);
  const composite = await run('signal', scenario, 'removed-member+stolen-device');
  t.is(composite.strikeStep, 2, "the seizure (step 2) comes before Bob's removal (step 3)");
  t.deepEqual(composite.messages.map((m) => `${m.id}:${m.class}`), ['g1:exposed', 'private:exposed', 'g2:after']);
  // Alone, the removed member is not entitled to Alice's message to Carol.
  const removed = await run('signal', scenario, 'removed-member');
  t.is(message(removed, 'private').class, 'before');
  t.is(message(composite, 'g2').via, 'decrypt', "Carol's image is still in the group");
  const merged = mergePositions([
    { strikeStep: 1, compromisedDevice: null, removedMember: null },
    { strikeStep: 4, compromisedDevice: 'bob.phone', removedMember: null },
    { strikeStep: 3, compromisedDevice: null, removedMember: { group: 'g', user: 'u' } },
  ]);
  t.is(merged.strikeStep, 4, 'forward secrecy and post-compromise security count from the seizure (SPEC §5)');
  const withoutDevice = mergePositions([
    { strikeStep: 5, compromisedDevice: null, removedMember: null },
    { strikeStep: 3, compromisedDevice: null, removedMember: { group: 'g', user: 'u' } },
  ]);
  t.is(withoutDevice.strikeStep, 3);
  t.is(merged.compromisedDevice, 'bob.phone');
  t.deepEqual(merged.removedMember, { group: 'g', user: 'u' });
  t.is(merged.parts!.length, 3);
});

const NO_POSITION = { strikeStep: null, compromisedDevice: null, removedMember: null };

/** A part reading the provider's stored data, concluding as `conclude` does with its view. */
function storedDataPart(name: string, description: string, conclude: (view: AdversaryView) => Promise<Iterable<Holding>>): Adversary {
  return { name, description, metadata: [], active: false, capabilities: ['read-provider'], prepare: () => ({ position: NO_POSITION, conclude }) };
}

/** The network recording, as a part. */
const recordingPart: Adversary = { ...adversaries['network']!, prepare: () => ({ position: NO_POSITION, conclude: async (view) => wireHoldings(view) }) };

const pair = scenarioFromYaml(`
name: pair
users: { alice: [phone], bob: [phone] }
steps:
  - send: { from: alice, to: bob, id: m1 }
  - send: { from: bob, to: alice, id: m2 }
`);

test('a composite that recovers fewer messages than one of its parts is a harness defect, not a finding (SPEC §4, exit 3)', async (t) => {
  // A part that misuses what the composite adds: it gives up when its view holds more than it asked for.
  const sulky = storedDataPart('sulky', "the provider's stored data, unless it holds more", async (view) => (view.capabilities.size > 1 ? [] : serverHoldings(view)));
  const design = targets['server-side']!;
  const alone = await executeRun({ design, scenario: pair, adversary: sulky }, 1, cryptoBackend('node'));
  t.deepEqual(leakedIds(alone), ['m1', 'm2']);
  await t.throwsAsync(executeRun({ design, scenario: pair, adversary: compose([sulky, recordingPart]) }, 1, cryptoBackend('node')), {
    instanceOf: HarnessDefect,
    message: /^harness defect \(a bug in keyhole, not a finding about the design\): sulky\+network recovered fewer messages than its part sulky alone \(server-side · pair, seed 1\): it missed m1, m2$/,
  });
});

test('a part that fails alone leaves a note on the composite: the check that it recovers at least as much did not run (SPEC §4)', async (t) => {
  // A part whose attack throws on its own (a design or attack that breaks without the other part's help).
  const brittle = storedDataPart('brittle', "the provider's stored data, when the network recording is there too", async (view) => {
    if (!view.capabilities.has('record-network')) throw new Error('no recording to start from');
    return serverHoldings(view);
  });
  const report = await executeRun({ design: targets['server-side']!, scenario: pair, adversary: compose([brittle, recordingPart]) }, 1, cryptoBackend('node'));
  t.is(report.status, 'ok');
  t.deepEqual(leakedIds(report), ['m1', 'm2']);
  t.true(report.notes!.includes('not checked to recover at least what brittle recovers alone (SPEC §4): it failed alone: no recording to start from'), report.notes!.join('\n'));
});

test('-a takes composites of distinct built-in adversaries; the default audit runs the single ones only', (t) => {
  t.deepEqual(pickAdversaries('stolen-device+quantum,network').map((a) => a.name), ['stolen-device+quantum', 'network']);
  t.is(pickAdversaries('stolen-device+quantum')[0], adversaryNamed('stolen-device+quantum'), 'one object per name');
  t.deepEqual(pickAdversaries(undefined).map((a) => a.name), Object.keys(adversaries));
  t.false(pickAdversaries(undefined).some((a) => a.parts !== undefined));
  const unknown = t.throws(() => pickAdversaries('stolen-device+nobody'), { instanceOf: InputError });
  t.regex(unknown!.message, /<command line>: --adversaries: unknown adversary 'nobody' in 'stolen-device\+nobody'/);
  const twice = t.throws(() => pickAdversaries('quantum+quantum'), { instanceOf: InputError });
  t.regex(twice!.message, /'quantum\+quantum' names quantum twice/);
});

test('worker threads run composites by name', async (t) => {
  const report = await runTask({ index: 0, target: 'static-e2ee', scenario: stolenPhone, adversary: 'stolen-device+quantum' }, { seed: 1, crypto: 'node' });
  t.is(report.adversary, 'stolen-device+quantum');
  t.is(report.status, 'ok');
});

test("keyhole list names each adversary's capabilities and how composites are named", (t) => {
  const list = catalogue();
  t.deepEqual(list.adversaries.find((a) => a.name === 'stolen-device')!.capabilities, ['device-image', 'record-network']);
  t.deepEqual(list.adversaries.find((a) => a.name === 'quantum')!.capabilities, ['record-network', 'discrete-log-oracle']);
  t.false(list.adversaries.some((a) => a.name.includes('+')));
  t.true(renderCatalogue(list, false).includes(COMPOSITION_NOTE));
});

test('the command line runs a composite and checks policies and baselines against its name (exit 2 for a bad composite)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'keyhole-compose-'));
  const scenario = new URL('../attacks/scenarios/stolen-phone.yaml', import.meta.url).pathname;
  const policy = join(dir, 'policy.yaml');
  writeFileSync(policy, 'expect:\n  - { target: static-e2ee, adversary: stolen-device+quantum, property: forward-secrecy, verdict: violated }\n');
  const first = keyhole(['audit', scenario, '-t', 'static-e2ee', '-a', 'stolen-device+quantum', '--policy', policy, '-o', dir, '-r', 'json', '--quiet']);
  t.is(first.status, 0, first.stderr);
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
  t.deepEqual(report.runs.map((r) => r.adversary), ['stolen-device+quantum']);
  t.deepEqual(report.policy?.failures, []);
  const again = keyhole(['audit', scenario, '-t', 'static-e2ee', '-a', 'stolen-device+quantum', '--baseline', join(dir, 'report.json'), '-o', join(dir, 'again'), '-r', 'json']);
  t.is(again.status, 0, again.stderr);
  t.regex(again.stderr, /nothing got worse/);
  const bad = keyhole(['audit', scenario, '-t', 'static-e2ee', '-a', 'quantum+quantum', '--quiet']);
  t.is(bad.status, 2);
  t.regex(bad.stderr, /names quantum twice/);
});
