/**
 * The command line as users and scripts meet it: exit statuses, files written, messages on
 * bad input. (The default audit itself runs once, in golden-verdicts.test.ts.)
 */
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../harness/report/types.ts';
import { keyhole } from './helpers/cli.ts';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'keyhole-cli-'));
}

test('the same seed gives the same report.json apart from timing', (t) => {
  const [a, b] = [tempDir(), tempDir()];
  const subset = ['-t', 'static-e2ee,signal', '-a', 'network,stolen-device,quantum'];
  t.is(keyhole(['audit', ...subset, '-o', a, '-r', 'json', '--seed', '7']).status, 0);
  t.is(keyhole(['audit', ...subset, '-o', b, '-r', 'json', '--seed', '7']).status, 0);
  const read = (dir: string) => {
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Partial<Report>;
    delete report.timing;
    return report;
  };
  t.deepEqual(read(a), read(b));
});

test('a scenario file given on the command line replaces the built-in ones', (t) => {
  const dir = tempDir();
  const file = join(dir, 'chat.yaml');
  writeFileSync(file, 'name: chat\nusers: { alice: [phone], bob: [phone] }\nsteps:\n  - send: { from: alice, to: bob, id: hi }\n');
  const result = keyhole(['audit', file, '-t', 'server-side', '-a', 'server', '-o', dir, '-r', 'json']);
  t.is(result.status, 0, result.stderr);
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
  t.deepEqual(report.runs.map((r) => [r.target, r.scenario, r.adversary]), [['server-side', 'chat', 'server']]);
  t.deepEqual(report.runs[0]!.messages.map((m) => [m.id, m.leaked, m.via]), [['hi', true, 'cleartext']]);
});

test('an unknown target name is bad usage: exit 2 naming the flag and the choices', (t) => {
  const result = keyhole(['audit', '-t', 'signel', '-r', 'json', '-o', tempDir()]);
  t.is(result.status, 2);
  t.regex(result.stderr, /--targets: unknown name 'signel'; expected a comma list of: server-side, static-e2ee/);
  t.notRegex(result.stderr, /\n\s+at /);
});

test('an unknown flag is bad usage: exit 2', (t) => {
  t.is(keyhole(['audit', '--no-such-flag']).status, 2);
});

test('a bad scenario file exits 2 with the file and the place, never a stack trace', (t) => {
  const dir = tempDir();
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'name: bad\nusers: { alice: [phone], bob: [phone] }\nsteps:\n  - send: { from: alice, to: dave }\n');
  const result = keyhole(['audit', file, '-o', dir]);
  t.is(result.status, 2);
  t.true(result.stderr.includes(file), result.stderr);
  t.regex(result.stderr, /steps\[0\]\.send\.to/);
  t.notRegex(result.stderr, /\n\s+at /);
});

test('a missing scenario file exits 2', (t) => {
  const result = keyhole(['audit', '/nonexistent/scenario.yaml']);
  t.is(result.status, 2);
  t.regex(result.stderr, /nonexistent\/scenario\.yaml/);
});

test('keyhole list --json lists every built-in target, adversary, scenario and reporter', (t) => {
  const result = keyhole(['list', '--json']);
  t.is(result.status, 0);
  const list = JSON.parse(result.stdout) as Record<string, { name: string; description: string }[]>;
  t.deepEqual(list['targets']!.map((e) => e.name).slice(0, 2), ['server-side', 'static-e2ee']);
  t.true(list['adversaries']!.some((e) => e.name === 'stolen-device'));
  t.true(list['scenarios']!.some((e) => e.name === 'stolen-phone'));
  t.deepEqual(list['reporters']!.map((e) => e.name), ['list', 'json', 'md', 'html', 'junit', 'sarif', 'github']);
  t.deepEqual((list['reporters']!.find((e) => e.name === 'md') as unknown as { files: string[] }).files, ['report.md', 'report-summary.md']);
  t.true(Object.values(list).flat().every((e) => e.description.length > 0));
});

test('keyhole client refuses, as bad input, the designs whose clients need keyhole\'s side (server logic, escrow or scanning authority)', (t) => {
  for (const [design, needs] of [
    ['server-side', 'server logic'],
    ['escrow', 'an escrow authority'],
    ['scanning', 'a scanning authority and its match list'],
  ] as const) {
    const result = keyhole(['client', design]);
    t.is(result.status, 2, `${design}: ${result.stderr}`);
    t.true(result.stderr.includes(`design: ${design} needs keyhole's side too (${needs}), which keyhole-client/1 leaves out`), result.stderr);
    t.is(result.stdout, '', 'nothing spoken on the protocol');
  }
});
