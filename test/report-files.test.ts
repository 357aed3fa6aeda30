/**
 * Report files (`--baseline`, `merge` inputs) are untrusted input, read as scenarios and
 * policies are: whatever the file, keyhole exits 2 at once with the file and what is wrong,
 * in bounded memory, never a hang, a stack trace or exit 3.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { MAX_REPORT_BYTES, MAX_REPORT_VALUES } from '../harness/report/read.ts';
import type { Report } from '../harness/report/types.ts';
import { keyhole, type CliResult } from './helpers/cli.ts';

const AUDIT = ['audit', '-t', 'static-e2ee', '-a', 'network', 'attacks/scenarios/stolen-phone.yaml', '-r', 'json', '--quiet'];
/** Every case must finish well within this (a hang is killed) and within a 1 GiB heap. */
const HOSTILE = { timeoutMs: 60_000, maxHeapMiB: 1024 };

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'keyhole-report-files-'));
}

function fifo(dir: string): string {
  const path = join(dir, 'report.json');
  const made = spawnSync('mkfifo', [path]);
  if (made.status !== 0) throw new Error(`mkfifo failed: ${made.stderr}`);
  return path;
}

/** Exit 2, the file named with what is wrong, no stack trace, no run. */
function assertRefused(t: import('ava').ExecutionContext, result: CliResult, line: string): void {
  t.is(result.status, 2, result.stderr);
  t.true(result.stderr.includes(line), result.stderr);
  t.notRegex(result.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
  t.notRegex(result.stderr, /internal error/);
}

function baseline(file: string): CliResult {
  return keyhole([...AUDIT, '-o', tempDir(), '--baseline', file], HOSTILE);
}

/** A shard report keyhole accepts, whose `padding` (an extra key, allowed) holds `values` zeros. */
function paddedShardReport(index: number, values: number): string {
  const report: Report & { padding?: string } = {
    schema: 'keyhole-report/1',
    tool: { name: 'keyhole', version: '0.1.0' },
    seed: 1,
    timing: { startedAt: new Date(0).toISOString(), durationMs: 1 },
    runs: [],
    violations: [],
    shard: { index, count: 2, matrixSize: 0, matrixId: '0'.repeat(64) },
  };
  return JSON.stringify(report).replace(/}$/, `,"padding":[${'0,'.repeat(values)}0]}`);
}

test('--baseline /dev/zero is refused at once', (t) => {
  assertRefused(t, baseline('/dev/zero'), '/dev/zero: is not a regular file (a device); expected a baseline report file');
});

test('--baseline on a FIFO is refused at once', (t) => {
  const path = fifo(tempDir());
  assertRefused(t, baseline(path), `${path}: is not a regular file (a named pipe); expected a baseline report file`);
});

test('merge of a FIFO is refused at once', (t) => {
  const dir = tempDir();
  const path = fifo(dir);
  assertRefused(t, keyhole(['merge', path, '-o', join(dir, 'out'), '-r', 'json'], HOSTILE), `${path}: is not a regular file (a named pipe); expected a shard report file`);
});

test('a baseline larger than a report may be is refused before it is read', (t) => {
  const path = join(tempDir(), 'huge.json');
  const fd = openSync(path, 'w');
  ftruncateSync(fd, MAX_REPORT_BYTES + 1); // sparse: nothing is written
  closeSync(fd);
  assertRefused(t, baseline(path), `${path}: is too large (${MAX_REPORT_BYTES + 1} bytes; at most ${MAX_REPORT_BYTES})`);
});

test('a baseline nested a million levels deep is refused before it is parsed', (t) => {
  const path = join(tempDir(), 'deep.json');
  writeFileSync(path, `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`);
  assertRefused(t, baseline(path), `${path}: nested too deeply (more than 64 levels); expected a baseline report (line 1:65)`);
});

test('a baseline of millions of empty mappings is refused before it is parsed', (t) => {
  const path = join(tempDir(), 'many.json');
  writeFileSync(path, `{"schema":"keyhole-report/1","runs":[${'{},'.repeat(MAX_REPORT_VALUES)}{}]}`);
  assertRefused(t, baseline(path), `${path}: holds too many values (more than ${MAX_REPORT_VALUES}); expected a baseline report (line 1:`);
});

test('a baseline that is not UTF-8 is refused', (t) => {
  const path = join(tempDir(), 'latin1.json');
  writeFileSync(path, Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x3a, 0x31, 0x7d])); // {"é":1} in Latin-1
  assertRefused(t, baseline(path), `${path}: not a text file (not valid UTF-8)`);
});

test('shard reports that together hold more than one report are refused', (t) => {
  const dir = tempDir();
  const [one, two] = [join(dir, 'one.json'), join(dir, 'two.json')];
  const half = Math.ceil(MAX_REPORT_VALUES / 2) + 10;
  writeFileSync(one, paddedShardReport(1, half));
  writeFileSync(two, paddedShardReport(2, half));
  const result = keyhole(['merge', one, two, '-o', join(dir, 'out'), '-r', 'json'], HOSTILE);
  assertRefused(t, result, `${two}: holds too many values (more than `);
  t.regex(result.stderr, new RegExp(`what is left of ${MAX_REPORT_VALUES} for all the reports given to merge together\\); expected a shard report`));
  t.false(result.stderr.includes(`${one}:`), 'the first report alone is fine');
});
