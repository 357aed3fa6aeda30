/**
 * Client-side scanning as a design: whoever writes the match list reads every message that
 * matches it, near-duplicates included (MinHash over word shingles, Broder 1997), with
 * Apple's threshold vouchers (Bhowmick et al. 2021) only from accounts past the threshold;
 * the network and the provider learn nothing; the reference, which has no list, gives the
 * list's controller nothing.
 */
import test from 'ava';
import { Rng } from '../harness/rng.ts';
import { fingerprint, matchesList, resemblance } from '../targets/scanning/fingerprint.ts';
import { createPolynomial, recover, share } from '../targets/scanning/threshold.ts';
import { builtIn, leakPattern, property, run, scenarioFromYaml } from './helpers/audit.ts';
import { expectInputError } from './helpers/errors.ts';

const protestCall = builtIn('protest-call');

test('scanning vs list-controller: the forwards of the listed call leak through the vouchers of the account past the threshold', async (t) => {
  const report = await run('scanning', protestCall, 'list-controller');
  t.deepEqual(leakPattern(report), [
    'call:before:clean',
    'thanks:before:clean',
    'forward:after:leaked(scan-report)',
    'moved:after:leaked(scan-report)',
    'chat:after:clean',
    'dinner:after:clean',
    'pass-on:after:leaked(scan-report)',
    'did-you-see:after:clean', // bob matched once: below the threshold of 3, his voucher stays closed
    'reply:after:clean',
  ]);
  t.deepEqual(report.scan, {
    listed: ['call', 'forward', 'moved', 'pass-on', 'did-you-see'],
    flagged: ['forward', 'moved', 'pass-on'],
    falsePositives: [],
    missed: ['did-you-see'],
  });
  t.is(property(report, 'confidentiality').verdict, 'violated');
  t.false(property(report, 'confidentiality').claimed);
});

test('scanning-eu vs list-controller: every match is reported with its content, the single forward included', async (t) => {
  const report = await run('scanning-eu', protestCall, 'list-controller');
  t.deepEqual(
    report.messages.filter((m) => m.leaked).map((m) => `${m.id}:${m.via}`),
    ['forward:scan-report', 'moved:scan-report', 'pass-on:scan-report', 'did-you-see:scan-report'],
  );
  t.deepEqual(report.scan?.falsePositives, []);
});

test('scanning vs network and server: the reports are sealed to the authority, nothing leaks', async (t) => {
  for (const target of ['scanning', 'scanning-eu']) {
    for (const adversary of ['network', 'server']) {
      const report = await run(target, protestCall, adversary);
      t.is(report.summary.leaked, 0, `${target} ${adversary}`);
      t.true(property(report, 'confidentiality').claimed, `${target} ${adversary}`);
    }
  }
});

test('signal vs list-controller: a design without a list gives its controller nothing', async (t) => {
  const report = await run('signal', protestCall, 'list-controller');
  t.is(report.summary.leaked, 0);
  t.deepEqual(report.scan?.flagged, []);
  t.is(property(report, 'sender-anonymity').verdict, 'holds');
});

// A report is sent by the client of the account that matched, so each report names who sent
// what it carries: flagging a message is naming its sender.
test('list-controller: every message a report opened is linked to its sender by the report; the others stay unlinked', async (t) => {
  const report = await run('scanning-eu', protestCall, 'list-controller');
  t.deepEqual(
    report.messages.filter((m) => m.senderLinked).map((m) => `${m.id}:${m.from}:${m.senderLinked!.via}`),
    ['forward:alice.phone:scan-report', 'moved:alice.phone:scan-report', 'pass-on:alice.phone:scan-report', 'did-you-see:bob.laptop:scan-report'],
  );
  const anonymity = property(report, 'sender-anonymity');
  t.is(anonymity.verdict, 'violated');
  t.regex(anonymity.detail, /linked 4 of 9 messages to its sender: forward \(scan-report\)/);
});

test('list-controller from the start: the original message is flagged too, and a false positive is counted as one', async (t) => {
  const scenario = scenarioFromYaml(`
name: false-positive
users: { alice: [phone], bob: [phone] }
steps:
  - send: { from: alice, to: bob, id: leak, text: "the minutes of the board meeting say the plant will close in March" }
  - send: { from: alice, to: bob, id: again, like: leak }
  - send: { from: alice, to: bob, id: lookalike, text: "the minutes of the board meeting say the plant will close in April" }
  - send: { from: bob, to: alice, id: other, text: "lunch tomorrow?" }
adversaries:
  list-controller: { targets: [leak] }
`);
  const report = await run('scanning', scenario, 'list-controller');
  t.deepEqual(report.scan, { listed: ['leak', 'again'], flagged: ['leak', 'again', 'lookalike'], falsePositives: ['lookalike'], missed: [] });
});

test('fingerprint: normalisation ignores case, punctuation, accents and words with digits; near-duplicates resemble, other texts do not', (t) => {
  const base = fingerprint('Protest at the town hall on Saturday at noon');
  t.is(resemblance(base, fingerprint('PROTEST — at the Town Hall, on Saturday at noon!! [kh-0123456789abcdef] 12:00')), 1);
  t.true(matchesList(fingerprint('Protest at the city hall on Saturday at noon'), [base]));
  t.false(matchesList(fingerprint('Dinner at six on Saturday?'), [base]));
  t.false(matchesList(base, []));
});

test('threshold sharing: any threshold shares give the secret back, fewer give nothing', (t) => {
  const rng = Rng.fromSeed(1, 'shamir');
  const polynomial = createPolynomial(rng, 3);
  const shares = Array.from({ length: 5 }, () => share(polynomial, rng));
  t.deepEqual(recover(shares.slice(0, 3), 3), polynomial.coefficients[0]);
  t.deepEqual(recover(shares.slice(2, 5), 3), polynomial.coefficients[0]);
  t.is(recover(shares.slice(0, 2), 3), null);
  t.is(recover([shares[0]!, shares[0]!, shares[1]!], 3), null); // the same point twice is one share
  t.notDeepEqual(recover([shares[0]!, shares[1]!, { ...shares[2]!, y: shares[3]!.y }], 3), polynomial.coefficients[0]);
});

test('near-duplicates in a scenario: like plus an edit gives the edited text; bad references and edits are input errors', (t) => {
  const scenario = scenarioFromYaml(`
name: edits
users: { alice: [phone], bob: [phone] }
steps:
  - send: { from: alice, to: bob, id: a, text: "meet at the old mill" }
  - send: { from: alice, to: bob, id: b, like: a, edit: { replace: [old mill, new bridge], prepend: "Change:", append: "at nine" } }
  - send: { from: bob, to: alice, id: c, like: b }
`);
  const texts = scenario.steps.flatMap((s) => (s.kind === 'send' ? s.messages.map((m) => `${m.id}=${m.text}|${m.like ?? ''}`) : []));
  t.deepEqual(texts, ['a=meet at the old mill|', 'b=Change: meet at the new bridge at nine|a', 'c=Change: meet at the new bridge at nine|b']);
  const error = expectInputError(t, () =>
    scenarioFromYaml(`
name: bad-edits
users: { alice: [phone], bob: [phone] }
steps:
  - send: { from: alice, to: bob, id: a, text: "meet at the old mill" }
  - send: { from: alice, to: bob, id: g }
  - send: { from: alice, to: bob, like: later }
  - send: { from: alice, to: bob, like: a, text: "both" }
  - send: { from: alice, to: bob, like: a, edit: { replace: [castle, tower] } }
  - send: { from: alice, to: bob, like: g }
  - send: { from: alice, to: bob, edit: { append: "x" } }
  - send: { from: alice, to: bob, id: later, text: "later" }
adversaries:
  list-controller: { targets: [a, nowhere] }
`),
  );
  const messages = error.problems.map((p) => `${p.path}: ${p.message}`).join('\n');
  for (const expected of [
    "steps[2].send.like: unknown id 'later'",
    'steps[3].send.like: expected either text or like',
    "steps[4].send.edit.replace: 'castle' does not occur in the text of 'a'",
    "steps[5].send.like: message 'g' has a generated text",
    'steps[6].send.edit: an edit needs like',
    "adversaries.list-controller.targets[1]: unknown message id 'nowhere'",
  ]) {
    t.true(messages.includes(expected), `${expected}\n---\n${messages}`);
  }
  const empty = expectInputError(t, () =>
    scenarioFromYaml(`
name: empty-edit
users: { alice: [phone], bob: [phone] }
steps:
  - send: { from: alice, to: bob, id: a, text: "meet at the old mill" }
  - send: { from: alice, to: bob, like: a, edit: {} }
`),
  );
  t.regex(empty.message, /steps\[1\]\.send\.edit: expected at least one of replace/);
});
