/** `--shard i/n` and `keyhole merge`: the shards of an audit merge back into the whole audit's report. */
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { checkClaims, mergeReports, type ReportFile } from '../app/cli/merge.ts';
import { runKey } from '../harness/report/read.ts';
import type { Report, RunReport } from '../harness/report/types.ts';
import { matrixId, matrixIndex, MAX_MATRIX_RUNS, MAX_SHARDS, parseShard, shardOf, shardSize } from '../harness/shard.ts';
import { loadAllTargets } from '../targets/registry.ts';
import { keyhole } from './helpers/cli.ts';
import { expectInputError } from './helpers/errors.ts';

const AUDIT = ['audit', '-t', 'static-e2ee', '-a', 'network,server,stolen-device', '--seed', '3', '-r', 'json', '--quiet'];

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'keyhole-shard-'));
}

function readReport(path: string): Report {
  return JSON.parse(readFileSync(path, 'utf8')) as Report;
}

function withoutTiming(report: Report): Omit<Report, 'timing'> {
  const { timing: _timing, ...rest } = report;
  return rest;
}


test('--shard values: i/n with 1 <= i <= n', (t) => {
  t.deepEqual(parseShard('1/2'), { index: 1, count: 2 });
  t.deepEqual(parseShard(' 3 / 3 '), { index: 3, count: 3 });
  for (const bad of ['0/2', '3/2', 'x', '1/0', '1', '-1/2', '1.5/2', '1/2/3', '', `1/${MAX_SHARDS + 1}`]) {
    const error = expectInputError(t, () => parseShard(bad));
    t.is(error.problems[0]!.path, '--shard', bad);
    t.regex(error.message, /expected i\/n with 1 <= i <= n/);
  }
});

test('shards are deterministic, differ in size by at most one, keep matrix order and cover the matrix once', (t) => {
  for (const size of [0, 1, 5, 12, 37]) {
    const matrix = Array.from({ length: size }, (_, i) => i);
    for (const count of [1, 2, 3, 7, 40]) {
      const shards = Array.from({ length: count }, (_, i) => shardOf(matrix, { index: i + 1, count }));
      const sizes = shards.map((s) => s.length);
      t.true(Math.max(...sizes) - Math.min(...sizes) <= 1, `${size}/${count}: ${sizes}`);
      t.deepEqual(sizes, shards.map((_, i) => shardSize(size, { index: i + 1, count })));
      t.deepEqual(shards.flat().sort((a, b) => a - b), matrix);
      shards.forEach((shard, i) => {
        t.deepEqual(shard, [...shard].sort((a, b) => a - b));
        shard.forEach((value, position) => t.is(matrixIndex({ index: i + 1, count }, position), value));
      });
    }
  }
});

test('shards 1/2 and 2/2 merged give exactly the whole run\'s report.json apart from timing', (t) => {
  const [whole, one, two, merged] = [tempDir(), tempDir(), tempDir(), tempDir()];
  const wholeStatus = keyhole([...AUDIT, '-o', whole]).status;
  t.true(wholeStatus === 0 || wholeStatus === 1, `exit ${wholeStatus}`);
  t.true([0, 1].includes(keyhole([...AUDIT, '-o', one, '--shard', '1/2']).status!));
  t.true([0, 1].includes(keyhole([...AUDIT, '-o', two, '--shard', '2/2']).status!));
  const full = readReport(join(whole, 'report.json'));
  const first = readReport(join(one, 'report.json'));
  const second = readReport(join(two, 'report.json'));
  t.true(full.runs.length >= 4);
  t.deepEqual(first.shard, { index: 1, count: 2, matrixSize: full.runs.length, matrixId: matrixId(full.runs.map(runKey)) });
  t.is(second.shard!.matrixId, first.shard!.matrixId);
  t.false('shard' in full, 'the identity of the matrix is in shard reports only');
  t.true(Math.abs(first.runs.length - second.runs.length) <= 1);
  t.deepEqual([...first.runs, ...second.runs].length, full.runs.length);

  // The files in the "wrong" order (as a glob may sort shard-10 before shard-2): same result.
  const result = keyhole(['merge', join(two, 'report.json'), join(one, 'report.json'), '-o', merged, '-r', 'list,json']);
  t.is(result.status, wholeStatus, result.stderr);
  t.regex(result.stdout, /target \\ adversary/);
  const mergedReport = readReport(join(merged, 'report.json'));
  t.deepEqual(withoutTiming(mergedReport), withoutTiming(full));
  t.is(mergedReport.timing.startedAt, [first.timing.startedAt, second.timing.startedAt].sort()[0]);
  t.is(mergedReport.timing.durationMs, first.timing.durationMs + second.timing.durationMs);
});

/* ---------------------------------------------------------------------------------------- */
/* Reports that do not fit together                                                          */
/* ---------------------------------------------------------------------------------------- */

function run(target: string, scenario: string, adversary: string, leaked = false): RunReport {
  return {
    target,
    scenario,
    adversary,
    status: 'ok',
    error: null,
    messages: [{ id: 'm1', from: 'alice.phone', to: 'bob', step: 0, delivered: true, verified: false, class: 'unrelated', leaked, via: leaked ? 'cleartext' : null, noticed: null }],
    properties: [{ property: 'confidentiality', verdict: leaked ? 'violated' : 'holds', claimed: true, detail: leaked ? 'm1 leaked' : '' }],
    alerts: [],
    summary: { messages: 1, leaked: leaked ? 1 : 0, breached: leaked ? 1 : 0 },
  };
}

const matrix = ['x', 'y'].flatMap((target) => ['s'].flatMap((scenario) => ['a', 'b', 'c'].map((adversary) => run(target, scenario, adversary, target === 'y' && adversary === 'b'))));

function shardReport(index: number, count: number, overrides: Partial<Report> = {}): Report {
  return {
    schema: 'keyhole-report/1',
    tool: { name: 'keyhole', version: '0.1.0' },
    seed: 1,
    timing: { startedAt: new Date(index * 1000).toISOString(), durationMs: 10 },
    runs: shardOf(matrix, { index, count }),
    violations: [],
    shard: { index, count, matrixSize: matrix.length, matrixId: matrixId(matrix.map(runKey)) },
    ...overrides,
  };
}

const files = (...reports: Report[]): ReportFile[] => reports.map((report, i) => ({ file: `r${i + 1}.json`, report }));

test('mergeReports: matrix order from any file order, violations recomputed, timing summed', (t) => {
  const merged = mergeReports(files(shardReport(3, 3), shardReport(1, 3), shardReport(2, 3)));
  t.deepEqual(merged.runs, matrix);
  t.deepEqual(merged.violations, [{ target: 'y', scenario: 's', adversary: 'b', property: 'confidentiality', detail: 'm1 leaked' }]);
  t.deepEqual(merged.timing, { startedAt: new Date(1000).toISOString(), durationMs: 30 });
  t.is(merged.shard, undefined);
});

test('mergeReports: other seeds or versions, doubled runs and missing shards are input errors', (t) => {
  const seed = expectInputError(t, () => mergeReports(files(shardReport(1, 2), shardReport(2, 2, { seed: 2 }))));
  t.deepEqual(seed.problems.map((p) => [p.file, p.path]), [['r2.json', 'seed']]);
  t.regex(seed.message, /seed 2 differs from seed 1 of r1\.json/);

  const version = expectInputError(t, () => mergeReports(files(shardReport(1, 2), shardReport(2, 2, { tool: { name: 'keyhole', version: '9.9.9' } }))));
  t.deepEqual(version.problems.map((p) => p.path), ['tool.version']);

  const twice = expectInputError(t, () => mergeReports(files(shardReport(1, 2), shardReport(1, 2), shardReport(2, 2))));
  t.true(twice.problems.some((p) => p.file === 'r2.json' && p.path === 'runs[0]' && /duplicate run x · s · a \(also r1\.json runs\[0\]\)/.test(p.message)), twice.message);
  t.true(twice.problems.some((p) => p.path === 'shard.index' && /given twice/.test(p.message)), twice.message);

  const missing = expectInputError(t, () => mergeReports(files(shardReport(1, 3), shardReport(3, 3))));
  t.regex(missing.message, /missing shard report\(s\) 2\/3; merge needs the reports of all 3 shards/);

  const mixed = expectInputError(t, () => mergeReports(files(shardReport(1, 2), shardReport(2, 3))));
  t.regex(mixed.message, /r2\.json: shard: shard 2\/3 of 6 runs does not fit shard 1\/2 of 6 runs/);

  const unsharded = { ...shardReport(1, 1) };
  delete unsharded.shard;
  const notShard = expectInputError(t, () => mergeReports(files(shardReport(1, 2), unsharded)));
  t.regex(notShard.message, /r2\.json: not a shard report/);
});

test('mergeReports: whole reports without shard are joined in the order given', (t) => {
  const plain = (runs: RunReport[]): Report => {
    const report = shardReport(1, 1, { runs });
    delete report.shard;
    return report;
  };
  t.deepEqual(mergeReports(files(plain(matrix.slice(3)), plain(matrix.slice(0, 3)))).runs, [...matrix.slice(3), ...matrix.slice(0, 3)]);
});

test('keyhole merge: a bad report exits 2 naming the file; violations exit 1 as audit does', async (t) => {
  const designs = await loadAllTargets();
  const dir = tempDir();
  const good = join(dir, 'good.json');
  const bad = join(dir, 'bad.json');
  // Runs of catalogue targets, claimed as the catalogue says: signal's leak against network is a violated claim.
  const real = ['static-e2ee', 'signal'].flatMap((target) =>
    ['network', 'server', 'quantum'].map((adversary): RunReport => {
      const leaked = target === 'signal' && adversary === 'network';
      const claimed = designs[target]!.claims.some((c) => c.property === 'confidentiality' && c.adversaries.includes(adversary));
      const base = run(target, 's', adversary, leaked);
      return { ...base, properties: [{ ...base.properties[0]!, claimed }] };
    }),
  );
  const shard = (index: number): Report => ({ ...shardReport(index, 2), runs: shardOf(real, { index, count: 2 }), shard: { index, count: 2, matrixSize: real.length, matrixId: matrixId(real.map(runKey)) } });
  writeFileSync(good, JSON.stringify(shard(1)));
  writeFileSync(bad, JSON.stringify({ ...shard(2), schema: 'keyhole-report/0' }));
  const refused = keyhole(['merge', good, bad, '-o', dir, '-r', 'json']);
  t.is(refused.status, 2);
  t.true(refused.stderr.includes(`${bad}: schema: expected a shard report with schema 'keyhole-report/1', got "keyhole-report/0"`), refused.stderr);

  writeFileSync(bad, JSON.stringify(shard(2)));
  const merged = keyhole(['merge', good, bad, '-o', dir, '-r', 'json', '--quiet']);
  t.is(merged.status, 1, merged.stderr);
  t.deepEqual(readReport(join(dir, 'report.json')).runs, real);
});

test('--shard 3/2 on the command line exits 2', (t) => {
  const result = keyhole(['audit', '--shard', '3/2', '-r', 'json', '-o', tempDir()]);
  t.is(result.status, 2);
  t.regex(result.stderr, /<command line>: --shard: i must be from 1 to 2; expected i\/n/);
});

/* ---------------------------------------------------------------------------------------- */
/* Shard reports that lie                                                                    */
/* ---------------------------------------------------------------------------------------- */

/** Every case must finish well within this (a hang is killed) and within a 1 GiB heap. */
const HOSTILE = { timeoutMs: 60_000, maxHeapMiB: 1024 };

test('shards of another audit are refused, naming both files', (t) => {
  // Same seed, same shard count, same matrix size: only the adversaries differ.
  const [one, two, out] = [tempDir(), tempDir(), tempDir()];
  const audit = ['audit', '-t', 'static-e2ee', 'attacks/scenarios/stolen-phone.yaml', '-r', 'json', '--quiet'];
  t.true([0, 1].includes(keyhole([...audit, '-a', 'network,server', '-o', one, '--shard', '1/2']).status!));
  t.true([0, 1].includes(keyhole([...audit, '-a', 'network,stolen-device', '-o', two, '--shard', '2/2']).status!));
  const [first, second] = [join(one, 'report.json'), join(two, 'report.json')];
  const result = keyhole(['merge', first, second, '-o', out, '-r', 'json'], HOSTILE);
  t.is(result.status, 2, result.stderr);
  t.regex(result.stderr, new RegExp(`${second}: shard\\.matrixId: a shard of another audit: its matrix \\(sha256 [0-9a-f]{12}, 2 runs\\) is not the matrix of ${first} \\(sha256 [0-9a-f]{12}, 2 runs\\)`));
  t.notRegex(result.stderr, /\n\s+at /);
  t.throws(() => readFileSync(join(out, 'report.json')), undefined, 'nothing merged');
});

test('a shard report claiming a billion shards is refused', (t) => {
  const dir = tempDir();
  const file = join(dir, 'report.json');
  writeFileSync(file, JSON.stringify(shardReport(1, 2, { shard: { index: 1, count: 1_000_000_000, matrixSize: 6, matrixId: matrixId(matrix.map(runKey)) } })));
  const result = keyhole(['merge', file, '-o', join(dir, 'out'), '-r', 'json'], HOSTILE);
  t.is(result.status, 2, result.stderr);
  t.true(result.stderr.includes(`${file}: shard.count: expected at most ${MAX_SHARDS} shards`), result.stderr);
});

test('a shard report claiming a matrix of five billion runs is refused', (t) => {
  const dir = tempDir();
  const file = join(dir, 'report.json');
  writeFileSync(file, JSON.stringify(shardReport(1, 2, { shard: { index: 1, count: 2, matrixSize: 5_000_000_000, matrixId: matrixId(matrix.map(runKey)) } })));
  const result = keyhole(['merge', file, '-o', join(dir, 'out'), '-r', 'json'], HOSTILE);
  t.is(result.status, 2, result.stderr);
  t.true(result.stderr.includes(`${file}: shard.matrixSize: expected at most ${MAX_MATRIX_RUNS} runs`), result.stderr);
});

test('a shard whose runs were swapped for another audit\'s, its shard section kept, is refused', (t) => {
  const other = matrix.map((run) => ({ ...run, adversary: `${run.adversary}-other` }));
  const forged = shardReport(2, 2, { runs: shardOf(other, { index: 2, count: 2 }) });
  const error = expectInputError(t, () => mergeReports(files(shardReport(1, 2), forged)));
  t.deepEqual(error.problems.map((p) => [p.file, p.path]), [['r1.json', 'shard.matrixId']]);
  t.regex(error.message, /the runs of the 2 shard reports given are not the matrix they name \(sha256 [0-9a-f]{12}; their runs make sha256 [0-9a-f]{12}\)/);
});

test('a shard report that does not say which matrix it is a shard of is refused', (t) => {
  const old = shardReport(2, 2);
  delete old.shard!.matrixId;
  const error = expectInputError(t, () => mergeReports(files(shardReport(1, 2), old)));
  t.deepEqual(error.problems.map((p) => [p.file, p.path]), [['r2.json', 'shard.matrixId']]);
});

test('a thousand missing shards are counted, not listed', (t) => {
  const first = shardReport(1, MAX_SHARDS, { runs: matrix.slice(0, 1) });
  const error = expectInputError(t, () => mergeReports(files(first)));
  t.regex(error.message, new RegExp(`missing shard report\\(s\\) 2/${MAX_SHARDS}, 3/${MAX_SHARDS},.* 11/${MAX_SHARDS} and ${MAX_SHARDS - 11} more; merge needs`));
});

test('a shard whose claims were edited to hide a violation is refused: claims come from the catalogue', async (t) => {
  const designs = await loadAllTargets();
  const signalRun = (claimed: boolean, notClaimedFor?: string): RunReport => ({
    ...run('signal', 's', 'network', true),
    properties: [{ property: 'confidentiality', verdict: 'violated', claimed, ...(notClaimedFor !== undefined && { notClaimedFor }), detail: 'm1 leaked' }],
  });
  const as = (...runs: RunReport[]) => files({ ...shardReport(1, 1), runs });
  // signal claims confidentiality against network on every conversation (targets/signal.ts).
  t.notThrows(() => checkClaims(as(signalRun(true)), designs));
  const unclaimed = expectInputError(t, () => checkClaims(as(signalRun(false)), designs));
  t.is(unclaimed.problems[0]!.path, 'runs[0].properties[0].claimed');
  t.regex(unclaimed.message, /expected true: signal claims confidentiality against 'network'/);
  const scoped = expectInputError(t, () => checkClaims(as(signalRun(true, 'groups')), designs));
  t.is(scoped.problems[0]!.path, 'runs[0].properties[0].notClaimedFor');
  const unknown = expectInputError(t, () => checkClaims(as(run('acme', 's', 'network')), designs));
  t.regex(unknown.message, /unknown target 'acme'; expected one of: .*signal/);
});
