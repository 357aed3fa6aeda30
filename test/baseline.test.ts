/** `--baseline <report.json>`: what got worse than in an earlier report. */
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { compareWithBaseline, loadBaseline } from '../app/baseline.ts';
import type { Report, RunReport } from '../harness/report/types.ts';
import { keyhole } from './helpers/cli.ts';
import { expectInputError } from './helpers/errors.ts';

const AUDIT = ['audit', '-t', 'static-e2ee', '-a', 'network,server,stolen-device', '-r', 'json'];

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'keyhole-baseline-'));
}

function readReport(dir: string): Report {
  return JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
}


function run(adversary: string, overrides: Partial<RunReport> = {}): RunReport {
  return {
    target: 't',
    scenario: 's',
    adversary,
    status: 'ok',
    error: null,
    messages: ['a', 'b'].map((id, step) => ({ id, from: 'alice.phone', to: 'bob', step, delivered: true, verified: false, class: 'before' as const, leaked: false, via: null, noticed: null })),
    properties: [
      { property: 'confidentiality', verdict: 'holds', claimed: true, detail: '' },
      { property: 'forward-secrecy', verdict: 'not-applicable', claimed: false, detail: '' },
    ],
    alerts: [],
    summary: { messages: 2, leaked: 0, breached: 0 },
    ...overrides,
  };
}

function report(runs: RunReport[], seed = 1): Report {
  return { schema: 'keyhole-report/1', tool: { name: 'keyhole', version: '0.1.0' }, seed, timing: { startedAt: new Date(0).toISOString(), durationMs: 1 }, runs, violations: [] };
}

test('an unchanged report has no regressions', (t) => {
  const runs = [run('x'), run('y')];
  t.deepEqual(compareWithBaseline(report(runs), report(structuredClone(runs)), 'b.json'), { file: 'b.json', regressions: [], notes: [] });
});

test('a message now leaked, a verdict now violated, a run now failing are regressions', (t) => {
  const before = report([run('x'), run('y'), run('z')]);
  const x = run('x');
  x.messages[1] = { ...x.messages[1]!, leaked: true, via: 'decrypt' };
  x.summary.leaked = 1;
  x.summary.breached = 1;
  const y = run('y');
  y.properties = [
    { property: 'confidentiality', verdict: 'violated', claimed: true, detail: 'b leaked' },
    { property: 'forward-secrecy', verdict: 'violated', claimed: false, detail: 'b leaked' },
  ];
  const z = run('z', { status: 'error', error: 'boom', messages: [], properties: [] });
  const outcome = compareWithBaseline(before, report([x, y, z]), 'b.json');
  t.deepEqual(
    outcome.regressions.map((r) => [r.adversary, r.kind, r.subject, r.was, r.now]),
    [
      ['x', 'message', 'b', 'not leaked', 'leaked (via decrypt)'],
      ['y', 'property', 'confidentiality', 'holds', 'violated'],
      ['y', 'property', 'forward-secrecy', 'not-applicable', 'violated'],
      ['z', 'status', null, 'ok', 'error: boom'],
    ],
  );
  t.is(outcome.regressions[0]!.description, "t · s · x: message 'b' leaked (via decrypt); it did not leak in the baseline");
});

test('a verdict now violated outside the claim\'s scope is a regression that says it is not claimed there', (t) => {
  const before = report([run('x')]);
  const x = run('x');
  x.properties = [
    { property: 'confidentiality', verdict: 'violated', claimed: true, notClaimedFor: 'groups', detail: 'g leaked' },
    { property: 'forward-secrecy', verdict: 'not-applicable', claimed: false, detail: '' },
  ];
  const [regression] = compareWithBaseline(before, report([x]), 'b.json').regressions;
  t.is(regression?.description, 't · s · x: confidentiality is violated (not claimed for groups); it was holds in the baseline: g leaked');
});

test('a baseline written before summary.breached existed gets it counted from its messages', (t) => {
  const old = report([run('x')]) as unknown as { runs: { summary: Record<string, number>; messages: { leaked: boolean; class: string; via: string | null }[] }[] };
  delete old.runs[0]!.summary['breached'];
  old.runs[0]!.summary['leaked'] = 2;
  old.runs[0]!.messages[0] = { ...old.runs[0]!.messages[0]!, leaked: true, via: 'decrypt' };
  old.runs[0]!.messages[1] = { ...old.runs[0]!.messages[1]!, leaked: true, via: 'device-image', class: 'exposed' };
  const file = join(tempDir(), 'old.json');
  writeFileSync(file, JSON.stringify(old));
  t.deepEqual(loadBaseline(file).runs[0]!.summary, { messages: 2, leaked: 2, breached: 1 });
});

test('new runs and messages are not worse; they are noted', (t) => {
  const before = report([run('x', { messages: run('x').messages.slice(0, 1) }), run('gone'), run('na', { status: 'not-applicable', messages: [], properties: [] })]);
  const leakedEverything = (r: RunReport): RunReport => ({
    ...r,
    messages: r.messages.map((m) => ({ ...m, leaked: true, via: 'cleartext' })),
    properties: r.properties.map((p) => ({ ...p, verdict: 'violated' })),
  });
  const now = report([run('x', { messages: [run('x').messages[0]!, { ...run('x').messages[1]!, leaked: true, via: 'decrypt' }] }), leakedEverything(run('new')), leakedEverything(run('na'))], 2);
  const outcome = compareWithBaseline(before, now, 'b.json');
  t.deepEqual(outcome.regressions, []);
  const notes = outcome.notes.join('\n');
  t.regex(notes, /1 run\(s\) not in the baseline, not compared \(new runs are not worse\): t · s · new/);
  t.regex(notes, /1 run\(s\) judged now but not in the baseline, not compared: t · s · na \(not-applicable in the baseline\)/);
  t.regex(notes, /1 message\(s\) not in the baseline, not compared \(new messages are not worse\): t · s · x: b/);
  t.regex(notes, /1 run\(s\) of the baseline are not in this report .*t · s · gone/);
  t.regex(notes, /seed 1, this report with seed 2/);
});

test('a baseline that is not a keyhole report is an input error with the place', (t) => {
  const dir = tempDir();
  const write = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  t.regex(expectInputError(t, () => loadBaseline(join(dir, 'missing.json'))).message, /missing\.json: cannot read: no such file/);
  t.regex(expectInputError(t, () => loadBaseline(write('junk.json', '{"schema": '))).message, /junk\.json: not JSON/);
  t.regex(expectInputError(t, () => loadBaseline(write('other.json', '{"schema": "keyhole-bench/1"}'))).message, /other\.json: schema: expected a baseline report with schema 'keyhole-report\/1', got "keyhole-bench\/1"/);
  const bad = report([run('x')]) as unknown as { runs: { messages: Record<string, unknown>[]; status: unknown }[] };
  bad.runs[0]!.messages[1]!['leaked'] = 'yes';
  bad.runs[0]!.status = 'fine';
  delete bad.runs[0]!.messages[0]!['id'];
  const error = expectInputError(t, () => loadBaseline(write('shape.json', JSON.stringify(bad))));
  const lines = error.message.split('\n');
  for (const [path, message] of [
    ['runs[0].status', 'expected one of: ok, error, not-applicable'],
    ['runs[0].messages[0].id', "missing required key 'id'"],
    ['runs[0].messages[1].leaked', 'expected true or false'],
  ]) {
    t.true(lines.some((l) => l.startsWith(`${join(dir, 'shape.json')}: ${path}: `) && l.includes(message!)), error.message);
  }
});

test('through the CLI: the same run against its own report exits 0; against a better baseline exits 1', (t) => {
  const first = tempDir();
  t.is(keyhole([...AUDIT, '-o', first]).status, 0);
  const baselineFile = join(first, 'report.json');

  const same = tempDir();
  const unchanged = keyhole([...AUDIT, '-o', same, '--baseline', baselineFile]);
  t.is(unchanged.status, 0, unchanged.stderr);
  t.regex(unchanged.stderr, /nothing got worse/);
  t.deepEqual(readReport(same).baseline, { file: baselineFile, regressions: [], notes: [] });

  // A baseline "better" than reality: a message the real run leaks is marked not leaked there,
  // and a violated property is marked as holding.
  const better = readReport(first);
  delete better.baseline;
  const leaky = better.runs.find((r) => r.messages.some((m) => m.leaked) && r.properties.some((p) => p.verdict === 'violated'));
  if (!leaky) return t.fail('no run of the audit leaks a message');
  const message = leaky.messages.find((m) => m.leaked)!;
  message.leaked = false;
  message.via = null;
  const property = leaky.properties.find((p) => p.verdict === 'violated')!;
  property.verdict = 'holds';
  const betterFile = join(tempDir(), 'better.json');
  writeFileSync(betterFile, JSON.stringify(better));

  const out = tempDir();
  const worse = keyhole([...AUDIT, '-o', out, '--baseline', betterFile, '--quiet']);
  t.is(worse.status, 1, worse.stderr);
  const name = `${leaky.target} · ${leaky.scenario} · ${leaky.adversary}`;
  t.true(worse.stderr.includes(`baseline: ${name}: message '${message.id}' leaked`), worse.stderr);
  t.true(worse.stderr.includes(`baseline: ${name}: ${property.property} is violated`), worse.stderr);
  t.deepEqual(
    readReport(out).baseline?.regressions.map((r) => [r.kind, r.subject]),
    [
      ['message', message.id],
      ['property', property.property],
    ],
  );
});

test('through the CLI: a baseline that is not a report exits 2', (t) => {
  const dir = tempDir();
  const file = join(dir, 'report.json');
  writeFileSync(file, '[1, 2, 3]');
  const result = keyhole([...AUDIT, '-o', dir, '--baseline', file]);
  t.is(result.status, 2);
  t.true(result.stderr.includes(`${file}: expected a baseline report: a JSON object with schema 'keyhole-report/1'`), result.stderr);
});

/* Look-alike names (UTS #39 confusables) and names from the baseline file on the terminal. */

const CYRILLIC_O = '\u043E';

test("a message id renamed to a look-alike (a Cyrillic 'о' in 'source') is a regression, not a new message", (t) => {
  const ids = (...names: string[]) => names.map((id, step) => ({ ...run('x').messages[0]!, id, step }));
  const before = report([run('x', { messages: ids('source', 'b') })]);
  const now = report([run('x', { messages: ids(`s${CYRILLIC_O}urce`, 'b') })]);
  const outcome = compareWithBaseline(before, now, 'b.json');
  t.deepEqual(
    outcome.regressions.map((r) => [r.kind, r.subject, r.was, r.now]),
    [['look-alike', `s${CYRILLIC_O}urce`, 'source', `s${CYRILLIC_O}urce`]],
  );
  t.is(
    outcome.regressions[0]!.description,
    `t · s · x: message 's${CYRILLIC_O}urce' is new and looks the same as 'source' of the baseline, which is no longer sent (character 2: U+043E, not U+006F); counted as worse: a look-alike id hides what became of that message`,
  );
  t.deepEqual(outcome.notes, [], 'neither noted as new nor as gone');
  // A rename to a name that does not look the same stays a note.
  const renamed = compareWithBaseline(before, report([run('x', { messages: ids('target', 'b') })]), 'b.json');
  t.deepEqual(renamed.regressions, []);
  t.is(renamed.notes.length, 2);
});

test('a scenario renamed to a look-alike makes its run a regression, not a new run', (t) => {
  const before = report([run('x', { scenario: 'stolen-phone' })]);
  const now = report([run('x', { scenario: `st${CYRILLIC_O}len-phone` })]);
  const outcome = compareWithBaseline(before, now, 'b.json');
  t.deepEqual(outcome.regressions.map((r) => [r.kind, r.scenario, r.was]), [['look-alike', `st${CYRILLIC_O}len-phone`, 't · stolen-phone · x']]);
  t.regex(outcome.regressions[0]!.description, /^the run 't · stоlen-phone · x' is new and looks the same as 't · stolen-phone · x' of the baseline, which is not in this report \(character 7: U\+043E, not U\+006F\)/);
  t.deepEqual(outcome.notes, []);
});

test('through the CLI: a message id renamed to a look-alike fails the baseline (exit 1)', (t) => {
  const dir = tempDir();
  const scenario = (id: string) => {
    const file = join(tempDir(), 'look-alike.yaml');
    writeFileSync(file, `name: look-alike\nusers: { alice: [phone], bob: [phone] }\nsteps:\n  - send: { from: alice, to: bob, id: "${id}" }\n`);
    return file;
  };
  const args = ['-t', 'static-e2ee', '-a', 'server', '-r', 'json', '--quiet'];
  t.is(keyhole(['audit', scenario('source'), ...args, '-o', dir]).status, 0);
  const out = tempDir();
  const result = keyhole(['audit', scenario(`s${CYRILLIC_O}urce`), ...args, '-o', out, '--baseline', join(dir, 'report.json')]);
  t.is(result.status, 1, result.stderr);
  t.true(
    result.stderr.includes(`baseline: static-e2ee · look-alike · server: message 's${CYRILLIC_O}urce' is new and looks the same as 'source' of the baseline, which is no longer sent (character 2: U+043E, not U+006F)`),
    result.stderr,
  );
  t.deepEqual(readReport(out).baseline?.regressions.map((r) => r.kind), ['look-alike']);
});

test('through the CLI: names from a baseline file reach the terminal escaped and cut, never raw', (t) => {
  const first = tempDir();
  t.is(keyhole([...AUDIT, '-o', first]).status, 0);
  const crafted = readReport(first);
  // Runs this audit does not have: the baseline note lists them.
  crafted.runs.push(
    { ...crafted.runs[0]!, scenario: 'retitled\u001b]0;pwned\u0007\u001b[2J\nkeyhole: baseline x: nothing got worse' },
    { ...crafted.runs[0]!, scenario: 'z'.repeat(100_000) },
    { ...crafted.runs[0]!, scenario: 'reversed \u202Eevil\u202C' },
  );
  const file = join(tempDir(), 'crafted.json');
  writeFileSync(file, JSON.stringify(crafted));
  const result = keyhole([...AUDIT, '-o', tempDir(), '--baseline', file]);
  t.is(result.status, 0, result.stderr);
  t.false(/[\p{Cc}\p{Cf}]/u.test(result.stderr.replaceAll('\n', '')), JSON.stringify(result.stderr.slice(0, 3000)));
  t.true(result.stderr.includes('retitled\\u001b]0;pwned\\u0007\\u001b[2J\\nkeyhole: baseline x: nothing got worse'), result.stderr.slice(0, 3000));
  t.true(result.stderr.includes('reversed \\u202eevil\\u202c'), result.stderr.slice(0, 3000));
  t.false(result.stderr.includes('z'.repeat(1000)), 'a 100,000-character name is cut');
  t.false(result.stderr.split('\n').some((line) => line.startsWith('keyhole: baseline x:')), 'no forged line');
});
