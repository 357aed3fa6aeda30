/**
 * Reporters are isolated from each other: a reporter that throws is named on stderr, the
 * command ends with the harness-failure status (SPEC §1, exit 3), and every other reporter
 * still writes its report. The throwing reporters are registered here, from the test file,
 * as any reporter is: one entry in the registry.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { main } from '../harness/cli/main.ts';
import type { Report, RunReport } from '../harness/report/types.ts';
import { multiplexReporters } from '../reports/multiplexer.ts';
import { reporters } from '../reports/registry.ts';
import type { Reporter, ReporterEntry } from '../reports/types.ts';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'keyhole-isolation-'));
}

/** A reporter that writes nothing and throws in `hook`. */
function throwing(hook: 'create' | 'onRun' | 'onEnd', message: string): ReporterEntry {
  return {
    description: `throws in ${hook}`,
    files: [],
    create: () => {
      if (hook === 'create') throw new Error(message);
      return {
        onRun: () => {
          if (hook === 'onRun') throw new Error(message);
        },
        onEnd: async () => {
          if (hook === 'onEnd') throw new Error(message);
          return null;
        },
      };
    },
  };
}

/** `main` in this process (so the registry holds the reporters registered here), stdout and stderr captured. */
async function keyholeHere(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  process.stdout.write = ((chunk: string | Uint8Array) => out.push(String(chunk)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => err.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    const status = await main(args);
    return { status, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
  }
}

test.serial('a reporter that throws at the end is named, the others still write, and the audit exits 3', async (t) => {
  reporters['broken-end'] = throwing('onEnd', 'the disk is on fire');
  reporters['broken-run'] = throwing('onRun', 'no room for run 1');
  t.teardown(() => {
    delete reporters['broken-end'];
    delete reporters['broken-run'];
  });
  const dir = tempDir();
  const scenario = join(dir, 'chat.yaml');
  writeFileSync(scenario, 'name: chat\nusers: { alice: [phone], bob: [phone] }\nsteps:\n  - send: { from: alice, to: bob, id: hi }\n');
  const out = join(dir, 'out');
  const result = await keyholeHere(['audit', scenario, '-t', 'server-side', '-a', 'server', '-o', out, '-r', 'broken-run,json,broken-end,md', '--workers', '1', '--quiet']);

  t.is(result.status, 3, result.stderr);
  t.is(
    result.stderr,
    "keyhole: reporter 'broken-run' failed (onRun): no room for run 1\n" +
      "keyhole: reporter 'broken-end' failed (onEnd): the disk is on fire\n",
  );
  // The reporters after each broken one wrote their files, with the run's findings.
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
  t.deepEqual(report.runs[0]!.messages.map((m) => [m.id, m.leaked, m.via]), [['hi', true, 'cleartext']]);
  t.true(existsSync(join(out, 'report.md')));
});

test.serial('a reporter that cannot be made is named too, and the others still write', async (t) => {
  reporters['broken-create'] = throwing('create', 'no such template');
  t.teardown(() => delete reporters['broken-create']);
  const dir = tempDir();
  const result = await keyholeHere(['audit', '-t', 'server-side', '-a', 'server', '-o', dir, '-r', 'broken-create,json', '--workers', '1', '--quiet']);
  t.is(result.status, 3, result.stderr);
  t.is(result.stderr, "keyhole: reporter 'broken-create' failed (create): no such template\n");
  t.true(existsSync(join(dir, 'report.json')));
});

test('a reporter that failed gets no more calls; the others get every call, in order', async (t) => {
  const calls: string[] = [];
  const recording = (name: string, failAt?: string): Reporter => ({
    onRun: (run) => {
      calls.push(`${name}.onRun(${run.scenario})`);
      if (failAt === run.scenario) throw new Error(`${name} broke`);
    },
    onEnd: async () => {
      calls.push(`${name}.onEnd`);
      return [`${name}.txt`];
    },
  });
  const multiplexer = multiplexReporters([
    { name: 'a', create: () => recording('a', 'first') },
    { name: 'b', create: () => recording('b') },
    { name: 'c', create: () => recording('c', 'second') },
  ]);
  multiplexer.onRun({ scenario: 'first' } as RunReport);
  multiplexer.onRun({ scenario: 'second' } as RunReport);
  multiplexer.onRun({ scenario: 'third' } as RunReport);
  t.deepEqual(await multiplexer.onEnd({} as Report), ['b.txt']);
  t.deepEqual(calls, [
    'a.onRun(first)',
    'b.onRun(first)',
    'c.onRun(first)',
    'b.onRun(second)',
    'c.onRun(second)',
    'b.onRun(third)',
    'b.onEnd',
  ]);
  t.deepEqual(multiplexer.failures, [
    { reporter: 'a', hook: 'onRun', message: 'a broke' },
    { reporter: 'c', hook: 'onRun', message: 'c broke' },
  ]);
});
