/**
 * Classic results of the protocols' own analyses, one scenario each under test/theory/.
 * Every test names the section its expectation rests on and checks concrete message ids
 * and verdicts, for the designs where the theory says what must happen.
 */
import test from 'ava';

import { loadOptions } from '../app/cli/catalogue.ts';
import type { RunReport } from '../harness/report/types.ts';
import { isClaimViolation } from '../harness/report/verdicts.ts';
import { loadScenarioFile } from '../harness/scenario/load.ts';
import type { Scenario } from '../harness/scenario/types.ts';
import { property, run } from './helpers/audit.ts';

function theory(name: string): Scenario {
  return loadScenarioFile(new URL(`./theory/${name}.yaml`, import.meta.url).pathname, loadOptions);
}

const runs = new Map<string, Promise<RunReport>>();

/** Each (target, scenario, adversary) runs once, however many tests look at it. */
function runOf(target: string, scenario: string, adversary: string): Promise<RunReport> {
  const key = `${target} ${scenario} ${adversary}`;
  let report = runs.get(key);
  if (!report) {
    report = run(target, theory(scenario), adversary).then((r) => {
      if (r.status !== 'ok') throw new Error(`${key}: ${r.status} ${r.error ?? ''}`);
      return r;
    });
    runs.set(key, report);
  }
  return report;
}

/** Leaked messages outside `exposed`: what the adversary got beyond its entitlement. */
function breached(report: RunReport): string[] {
  return report.messages.filter((m) => m.leaked && m.class !== 'exposed').map((m) => m.id);
}

function claimViolations(report: RunReport): string[] {
  return report.properties.filter(isClaimViolation).map((p) => p.property);
}

const RATCHETING = ['signal', 'escrow', 'ghost', 'libsignal', 'mls'];
/** The designs built on the reference client: its ratchet, its sender keys, its openSent. */
const REFERENCE_FAMILY = ['signal', 'escrow', 'ghost'];

// --- forward secrecy with deletion ------------------------------------------------------------

test('Double Ratchet §6.1 (secure deletion): a phone imaged after its user deleted the chat yields none of it, in every ratcheting design', async (t) => {
  for (const target of RATCHETING) {
    const report = await runOf(target, 'fs-with-deletion', 'stolen-device');
    t.deepEqual(report.messages.filter((m) => m.leaked).map((m) => m.id), [], target);
    t.true(report.messages.every((m) => m.class === 'before'), target);
    t.like(property(report, 'forward-secrecy'), { verdict: 'holds', claimed: true }, target);
  }
});

test('Double Ratchet §2.2 (the symmetric-key ratchet is what forward secrecy rests on): with long-term keys only, the image decrypts the whole recorded chat', async (t) => {
  const report = await runOf('static-e2ee', 'fs-with-deletion', 'stolen-device');
  t.deepEqual(breached(report), ['first', 'reply', 'place', 'time', 'ok']);
  t.like(property(report, 'forward-secrecy'), { verdict: 'violated', claimed: false });
});

// --- post-compromise security after a round trip ----------------------------------------------

test('Double Ratchet §6.2 (recovery from compromise): the reply on a ratchet key from before the seizure and the answer to it leak, then a fresh ratchet key heals', async (t) => {
  for (const target of REFERENCE_FAMILY) {
    const report = await runOf(target, 'pcs-after-round-trip', 'stolen-device');
    t.deepEqual(breached(report), ['after-1', 'after-2'], target);
    t.like(property(report, 'post-compromise-security'), { verdict: 'holds', claimed: true, healedAfter: 2 }, target);
  }
  // The library cannot open what its own device sent (cannotOpenSent): Bob's reply is not
  // tried, Alice's answer to it leaks, and the session heals just the same.
  const library = await runOf('libsignal', 'pcs-after-round-trip', 'stolen-device');
  t.deepEqual(breached(library), ['after-2']);
  t.like(property(library, 'post-compromise-security'), { verdict: 'holds', claimed: true, healedAfter: 1 });
});

test('RFC 9420 §16.6 (post-compromise security): a member whose device was imaged heals as soon as it commits a fresh leaf, before its first message', async (t) => {
  const report = await runOf('mls', 'pcs-after-round-trip', 'stolen-device');
  t.deepEqual(breached(report), []);
  t.like(property(report, 'post-compromise-security'), { verdict: 'holds', claimed: true, healedAfter: 0 });
});

// --- one-way streams --------------------------------------------------------------------------

const ALICES_STREAM = ['stream.1', 'stream.2', 'stream.3', 'stream.4'];
const BOBS_STREAM = ['later.1', 'later.2', 'later.3'];

test('Double Ratchet §2.3 (the DH ratchet turns only on a reply): streams nobody answers stay on the image\'s chains, both ways, and healing cannot be judged', async (t) => {
  for (const target of REFERENCE_FAMILY) {
    const report = await runOf(target, 'one-way-stream', 'stolen-device');
    t.deepEqual(breached(report), [...ALICES_STREAM, ...BOBS_STREAM], target);
    t.like(property(report, 'post-compromise-security'), { verdict: 'inconclusive', claimed: true }, target);
  }
});

test('RFC 9420 §16.6: another member\'s commit does not heal a compromised member, so Alice\'s stream to the imaged phone leaks in full in mls as in libsignal', async (t) => {
  for (const target of ['mls', 'libsignal']) {
    const report = await runOf(target, 'one-way-stream', 'stolen-device');
    t.deepEqual(breached(report).filter((id) => id.startsWith('stream.')), ALICES_STREAM, target);
    t.like(property(report, 'post-compromise-security'), { verdict: 'inconclusive', claimed: true }, target);
  }
});

// --- group seizure ----------------------------------------------------------------------------

test('sender keys have no post-compromise security: a seized member reads every sender, and the keys made after a removal reach it over pairwise sessions it still follows (Double Ratchet §6.2)', async (t) => {
  for (const target of REFERENCE_FAMILY) {
    const report = await runOf(target, 'group-seizure', 'stolen-device');
    t.deepEqual(
      breached(report),
      // a1, c1: the senders' keys from before; a2, c2: new keys after Dave's removal, sealed on
      // pairwise chains the image holds; b1: Bob's new key, sealed to Carol on his sending chain
      // from before the seizure; a3..c5: those keys go on, a join changes no key. d1..d3: Bob's
      // reply b1 carried a fresh ratchet key to Alice, so their pairwise session healed; d4, d5:
      // his session with Carol still rests on his ratchet key from before the seizure.
      ['a1', 'c1', 'a2', 'c2', 'b1', 'a3', 'c3', 'd4', 'd5', 'a4', 'a5', 'c5'],
      target,
    );
    t.like(property(report, 'post-compromise-security'), { verdict: 'violated', claimed: true }, target);
  }
});

test('RFC 9420 §16.6: an imaged member follows every commit but its own, so it reads the group until its real device commits a fresh leaf', async (t) => {
  const report = await runOf('mls', 'group-seizure', 'stolen-device');
  // After b1's commit nothing of the group leaks. d1 opens a new one-to-one group with a Welcome
  // to a KeyPackage Bob published before the seizure, whose private key the image holds
  // (RFC 9420 §10: the KeyPackage's init key opens the Welcome); Bob's commit before d2 heals it.
  t.deepEqual(breached(report), ['a1', 'c1', 'a2', 'c2', 'd1']);
  t.like(property(report, 'post-compromise-security'), { verdict: 'holds', claimed: true, healedAfter: 5 });
});

test('pairwise copies heal pair by pair (Double Ratchet §6.2): libsignal\'s group copies stop leaking as each pair\'s session takes a fresh ratchet key', async (t) => {
  const report = await runOf('libsignal', 'group-seizure', 'stolen-device');
  // c3 is Carol's copy on the chain built on Bob's ratchet key from before the seizure; Alice's
  // a3 is on the fresh key b1 carried. Bob's own copies are not tried (cannotOpenSent).
  t.deepEqual(breached(report), ['a1', 'c1', 'a2', 'c2', 'c3']);
  t.deepEqual(claimViolations(report), []);
});

// --- escrow theft ------------------------------------------------------------------------------

test('Double Ratchet §6.1 against exceptional access (Abelson et al., "Keys Under Doormats", 2015): a stolen escrow key opens the recorded past as well as the future', async (t) => {
  const escrow = await runOf('escrow', 'escrow-theft', 'escrow-thief');
  t.deepEqual(
    escrow.messages.map((m) => `${m.id}:${m.class}:${m.via}`),
    ['early:before:escrow', 'early-reply:before:escrow', 'early-group:before:escrow', 'late:after:escrow', 'late-group:after:escrow'],
  );
  t.like(property(escrow, 'forward-secrecy'), { verdict: 'violated', claimed: false });
  t.like(property(escrow, 'confidentiality'), { verdict: 'violated', claimed: false });
  for (const target of ['signal', 'ghost', 'libsignal', 'mls']) {
    const report = await runOf(target, 'escrow-theft', 'escrow-thief');
    t.deepEqual(breached(report), [], target);
    t.like(property(report, 'confidentiality'), { verdict: 'holds', claimed: true }, target);
  }
});

// --- a ghost in a verified chat ---------------------------------------------------------------

test('PQXDH §4.1 (authentication) with owner-signed device lists and admin-signed rosters: after safety numbers match, no device or member the provider adds gets a message', async (t) => {
  for (const target of ['signal', 'escrow', 'mls']) {
    const report = await runOf(target, 'ghost-in-verified-chat', 'malicious-server');
    t.deepEqual(breached(report), [], target);
    for (const name of ['confidentiality', 'membership'] as const) {
      t.like(property(report, name), { verdict: 'holds', claimed: true }, `${target} ${name}`);
    }
    // Where the ghost gets no copy the provider re-registers the users for each other; what
    // it then puts in a user's name comes after the app's identity-changed notice, outside
    // the chat's verification: no claim is broken.
    t.deepEqual(claimViolations(report), [], target);
  }
});

test('the ghost-user proposal (Levy and Robinson, 2018): a client that accepts provider-supplied devices and members sends the ghost every later message, verified or not', async (t) => {
  const report = await runOf('ghost', 'ghost-in-verified-chat', 'malicious-server');
  t.deepEqual(
    report.messages.filter((m) => m.leaked).map((m) => `${m.id}:${m.via}:${m.verified ? 'verified' : 'unverified'}`),
    ['plan:ghost-device:verified', 'ack:ghost-device:verified', 'group-plan:ghost-device:verified', 'group-ack:ghost-device:verified'],
  );
  t.like(property(report, 'membership'), { verdict: 'violated', claimed: false });
  t.like(property(report, 'confidentiality'), { verdict: 'violated', claimed: false });
  t.deepEqual(claimViolations(report), []);
});

test('libsignal with sealed sender in a verified chat: the provider, which cannot tell who writes to whom, re-registers every pair that looked each other up, and the verified clients refuse to send: nothing leaks', async (t) => {
  // Sealed sender hides each envelope's sender from the provider, so it takes every pair of
  // users that fetched each other's keys for a conversation and serves each the other's
  // shadow. The clients show identity-changed; those that verified the changed user refuse to
  // send (SPEC §2 verify), so the ghost member it added gets no group message either.
  // (The rule that a violation outside a claim's scope shows as "not claimed for groups" is
  // pinned in judge-properties.test.ts.)
  const report = await runOf('libsignal', 'ghost-in-verified-chat', 'malicious-server');
  t.deepEqual(report.messages.filter((m) => m.leaked).map((m) => m.id), []);
  for (const [device, id] of [['bob.phone', 'ack'], ['alice.phone', 'group-plan'], ['carol.phone', 'group-ack']]) {
    t.true((report.notes ?? []).some((n) => n.includes(`${device} refused to send ${id}`)), `${device} ${id}`);
  }
  const plan = report.messages.find((m) => m.id === 'plan')!.step;
  t.true(report.alerts.some((a) => a.kind === 'identity-changed' && a.user === 'bob' && a.about === 'alice' && a.step === plan));
  t.like(property(report, 'confidentiality'), { verdict: 'holds', claimed: true });
  t.like(property(report, 'membership'), { verdict: 'holds', claimed: true });
  t.deepEqual(claimViolations(report), []);
});
