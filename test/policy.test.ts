/** Policy files (`--policy`, SPEC §6): loading with located errors, evaluating, and the exit status. */
import test from 'ava';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { evaluatePolicy, formatPolicyFailure, loadPolicyFile, parsePolicy } from '../harness/policy.ts';
import { PROPERTY_NAMES, type PropertyReport, type Report, type RunReport, type Verdict } from '../harness/report/types.ts';
import { keyhole } from './helpers/cli.ts';
import { expectInputError } from './helpers/errors.ts';

const BAD = 'test/bad-input/policies';
const ADVERSARIES = 'network,server,stolen-device';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'keyhole-policy-'));
}


/* ---------------------------------------------------------------------------------------- */
/* Loading                                                                                   */
/* ---------------------------------------------------------------------------------------- */

const expected = JSON.parse(readFileSync(`${BAD}/expected.json`, 'utf8')) as Record<string, { path: string; message: string; line?: string }>;

test('every bad policy fixture has an expectation and vice versa', (t) => {
  const files = readdirSync(BAD).filter((name) => name !== 'expected.json').sort();
  t.deepEqual(files, Object.keys(expected).sort());
});

for (const [name, want] of Object.entries(expected)) {
  test(`bad policy: ${name}`, (t) => {
    const file = `${BAD}/${name}`;
    const error = expectInputError(t, () => loadPolicyFile(file));
    const problem = error.problems.find((p) => p.path === want.path && p.message.includes(want.message));
    t.truthy(problem, `no problem at '${want.path}' containing "${want.message}" in:\n${error.message}`);
    t.is(problem?.file, file);
    const prefix = want.path === '' ? `${file}: ` : `${file}: ${want.path}: `;
    t.true(error.message.split('\n').some((l) => l.startsWith(prefix) && l.includes(want.message)), error.message);
    if (want.line) t.true(problem?.message.includes(`(line ${want.line})`), problem?.message);
    t.false(error.message.includes('    at '), 'no stack trace in the message');
  });
}

test('a missing policy file and a folder are input errors', (t) => {
  t.regex(expectInputError(t, () => loadPolicyFile(`${BAD}/no-such.yaml`)).message, /no-such\.yaml: cannot read: no such file/);
  t.regex(expectInputError(t, () => loadPolicyFile(BAD)).message, /is a folder; expected a policy file/);
});

test('YAML and JSON policies load to the same entries; "*", lists and omitted filters', (t) => {
  const yaml = parsePolicy(
    'expect:\n  - { target: static-e2ee, adversary: "*", property: forward-secrecy, verdict: holds }\n  - { target: "*", adversary: [server, network], maxLeaked: 0 }\n',
    'p.yaml',
  );
  const json = parsePolicy(
    JSON.stringify({
      expect: [
        { target: 'static-e2ee', adversary: '*', property: 'forward-secrecy', verdict: 'holds' },
        { target: '*', adversary: ['server', 'network'], maxLeaked: 0 },
      ],
    }),
    'p.json',
  );
  t.deepEqual(yaml.entries, json.entries);
  t.deepEqual(yaml.entries, [
    { target: ['static-e2ee'], adversary: null, scenario: null, property: 'forward-secrecy', verdict: 'holds' },
    { target: null, adversary: ['server', 'network'], scenario: null, maxLeaked: 0 },
  ]);
});

test('all problems of a policy are reported together', (t) => {
  const error = expectInputError(t, () =>
    parsePolicy('expect:\n  - { property: replay }\n  - { verdict: holds, maxLeaked: x }\n  - { target: a, colour: red, maxLeaked: 1 }\n', 'many.yaml'),
  );
  t.deepEqual(error.problems.map((p) => p.path).sort(), ['expect[0].verdict', 'expect[1].maxLeaked', 'expect[1].property', 'expect[2].colour'].sort());
});

/* ---------------------------------------------------------------------------------------- */
/* Evaluating                                                                                */
/* ---------------------------------------------------------------------------------------- */

function fakeRun(target: string, scenario: string, adversary: string, options: { status?: RunReport['status']; leaked?: number; verdicts?: Partial<Record<string, Verdict>> } = {}): RunReport {
  const status = options.status ?? 'ok';
  const properties: PropertyReport[] = PROPERTY_NAMES.map((property) => ({
    property,
    verdict: status === 'not-applicable' ? 'not-applicable' : (options.verdicts?.[property] ?? 'holds'),
    claimed: false,
    detail: '',
  }));
  const leaked = status === 'ok' ? (options.leaked ?? 0) : 0;
  return {
    target,
    scenario,
    adversary,
    status,
    error: status === 'error' ? 'the target threw' : null,
    messages: Array.from({ length: 3 }, (_, i) => ({
      id: `m${i + 1}`,
      from: 'alice.phone',
      to: 'bob',
      step: i,
      delivered: true,
      verified: false,
      class: 'unrelated' as const,
      leaked: i < leaked,
      via: i < leaked ? 'decrypt' : null,
      noticed: null,
    })),
    properties: status === 'error' ? [] : properties,
    alerts: [],
    summary: { messages: 3, leaked, breached: leaked },
  };
}

const runs = [
  fakeRun('a', 's1', 'x', { leaked: 2, verdicts: { 'forward-secrecy': 'violated' } }),
  fakeRun('a', 's1', 'y'),
  fakeRun('b', 's1', 'x', { status: 'not-applicable' }),
  fakeRun('b', 's1', 'y', { status: 'error' }),
];

test('a verdict entry compares the verdict of every run it matches', (t) => {
  const policy = parsePolicy('expect:\n  - { target: a, property: forward-secrecy, verdict: holds }\n', 'p.yaml');
  const failures = evaluatePolicy(policy, runs);
  t.deepEqual(failures, [{ entry: 0, target: 'a', scenario: 's1', adversary: 'x', property: 'forward-secrecy', expected: 'holds', actual: 'violated' }]);
  t.is(formatPolicyFailure(failures[0]!), 'expect[0] (a · s1 · x): forward-secrecy expected holds, got violated');
});

test('maxLeaked skips not-applicable runs; verdicts still compare them; error runs always fail', (t) => {
  const leaks = evaluatePolicy(parsePolicy('expect:\n  - { adversary: x, maxLeaked: 1 }\n', 'p.yaml'), runs);
  t.deepEqual(leaks.map((f) => [f.target, f.adversary, f.expected, f.actual]), [['a', 'x', 'at most 1 leaked message', '2 leaked (m1, m2)']]);

  const verdicts = evaluatePolicy(parsePolicy('expect:\n  - { target: b, property: replay, verdict: holds }\n', 'p.yaml'), runs);
  t.deepEqual(
    verdicts.map((f) => [f.adversary, f.actual]),
    [
      ['x', 'not-applicable'],
      ['y', 'a failed run (error: the target threw)'],
    ],
  );
  const onError = evaluatePolicy(parsePolicy('expect:\n  - { target: b, adversary: y, maxLeaked: 5 }\n', 'p.yaml'), runs);
  t.is(onError.length, 1);
  t.regex(onError[0]!.actual, /failed run/);
});

test('a name that matches no run is a failure, not a pass', (t) => {
  const policy = parsePolicy('expect:\n  - { target: [a, signal], scenario: nope, maxLeaked: 0 }\n  - { target: "*", adversary: y, property: replay, verdict: holds }\n', 'p.yaml');
  const failures = evaluatePolicy(policy, runs.slice(0, 2));
  t.deepEqual(
    failures.map((f) => [f.entry, f.target, f.scenario, f.adversary, f.actual]),
    [
      [0, 'a,signal', 'nope', '*', "none: 'signal' matched no run (targets in this audit: a)"],
      [0, 'a,signal', 'nope', '*', "none: 'nope' matched no run (scenarios in this audit: s1)"],
    ],
  );
  // The universe of a sharded audit is its whole matrix: a name of another shard is fine.
  t.deepEqual(evaluatePolicy(policy, runs.slice(0, 2), { targets: ['a', 'signal'], scenarios: ['s1', 'nope'], adversaries: ['x', 'y'] }), []);
});

/* ---------------------------------------------------------------------------------------- */
/* Through the command line                                                                  */
/* ---------------------------------------------------------------------------------------- */

test('a policy that holds exits 0 and is recorded in report.json', (t) => {
  const dir = tempDir();
  const file = join(dir, 'policy.yaml');
  writeFileSync(
    file,
    [
      'expect:',
      '  - { target: static-e2ee, adversary: server, maxLeaked: 0 }',
      '  - { target: static-e2ee, adversary: network, property: confidentiality, verdict: holds }',
      '  - { target: static-e2ee, scenario: stolen-phone, adversary: stolen-device, property: forward-secrecy, verdict: violated }',
      '',
    ].join('\n'),
  );
  const result = keyhole(['audit', '-t', 'static-e2ee', '-a', ADVERSARIES, '--policy', file, '-r', 'json', '-o', dir]);
  t.is(result.status, 0, result.stderr);
  t.regex(result.stderr, /every expectation holds/);
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
  t.deepEqual(report.policy, { file, failures: [] });
});

test('a violated policy exits 1 and lists every failed expectation on stderr', (t) => {
  const dir = tempDir();
  const file = join(dir, 'policy.json');
  writeFileSync(
    file,
    JSON.stringify({
      expect: [
        { target: 'static-e2ee', scenario: 'stolen-phone', adversary: 'stolen-device', property: 'forward-secrecy', verdict: 'holds' },
        { target: 'static-e2ee', adversary: 'server', maxLeaked: 0 },
        { scenario: 'no-such-scenario', maxLeaked: 0 },
      ],
    }),
  );
  const result = keyhole(['audit', '-t', 'static-e2ee', '-a', ADVERSARIES, '--policy', file, '-r', 'json', '-o', dir, '--quiet']);
  t.is(result.status, 1, result.stderr);
  t.true(result.stderr.includes('policy: expect[0] (static-e2ee · stolen-phone · stolen-device): forward-secrecy expected holds, got violated'), result.stderr);
  t.true(result.stderr.includes("policy: expect[2] (* · no-such-scenario · *): expected a run of scenario 'no-such-scenario', got none: 'no-such-scenario' matched no run"), result.stderr);
  t.false(result.stderr.includes('expect[1]'), 'the maxLeaked entry holds');
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
  t.deepEqual(report.policy?.failures.map((f) => f.entry), [0, 2]);
  t.deepEqual(report.violations, [], 'no claim is violated: the policy alone fails the audit');
});

test('a bad policy file exits 2 with the file, the place and the line, before any run', (t) => {
  const dir = tempDir();
  const result = keyhole(['audit', '-t', 'static-e2ee', '--policy', `${BAD}/bad-verdict.yaml`, '-r', 'json', '-o', dir]);
  t.is(result.status, 2);
  t.true(result.stderr.includes(`${BAD}/bad-verdict.yaml: expect[0].verdict: expected a verdict, one of: holds, violated, not-applicable, inconclusive, got 'hold' (line 4:14)`), result.stderr);
  t.notRegex(result.stderr, /\n\s+at /);
  t.deepEqual(readdirSync(dir), [], 'nothing ran, nothing written');
});
