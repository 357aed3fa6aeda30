/**
 * Reporters are isolated from each other: a reporter that throws is named on stderr, the
 * command ends with the harness-failure status (SPEC §1, exit 3), and every other reporter
 * still writes its report. The throwing reporters come from plugin modules this file writes,
 * as any user's reporters do.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { main } from '../app/cli/main.ts';
import type { Report, RunReport } from '../harness/report/types.ts';
import { multiplexReporters } from '../reports/multiplexer.ts';
import type { Reporter } from '../reports/types.ts';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'keyhole-isolation-'));
}

/**
 * A plugin module (SPEC §9) whose reporters each write nothing and throw in one hook, named
 * `broken-<hook>`; `--plugin` adds it as any user's reporters are added.
 */
function throwingPlugin(dir: string, messages: Partial<Record<'create' | 'onRun' | 'onEnd', string>>): string {
  const entries = Object.entries(messages).map(
    ([hook, message]) => `  'broken-${hook.toLowerCase().replace('on', '')}': {
    description: 'throws in ${hook}',
    files: [],
    create: () => {
      if (${JSON.stringify(hook)} === 'create') throw new Error(${JSON.stringify(message)});
      return {
        onRun: () => { if (${JSON.stringify(hook)} === 'onRun') throw new Error(${JSON.stringify(message)}); },
        onEnd: async () => { if (${JSON.stringify(hook)} === 'onEnd') throw new Error(${JSON.stringify(message)}); return null; },
      };
    },
  },`,
  );
  const file = join(dir, 'broken-reporters.mjs');
  writeFileSync(file, `export default { reporters: {\n${entries.join('\n')}\n} };\n`);
  return file;
}

/** A plugin with a reporter `notes` that writes notes.txt, or (when `broken`) throws instead. */
function notesPlugin(dir: string, broken: boolean): string {
  const file = join(dir, broken ? 'notes-broken.mjs' : 'notes.mjs');
  writeFileSync(
    file,
    `import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
export default { reporters: { notes: {
  description: 'notes',
  files: [{ name: 'notes.txt', signature: 'keyhole notes' }],
  create: ({ outDir }) => ({ onEnd: async () => {
    if (${broken}) throw new Error('template missing');
    writeFileSync(join(outDir, 'notes.txt'), 'keyhole notes\\n');
    return join(outDir, 'notes.txt');
  } }),
} } };
`,
  );
  return file;
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
  const dir = tempDir();
  const plugin = throwingPlugin(dir, { onEnd: 'the disk is on fire', onRun: 'no room for run 1' });
  const scenario = join(dir, 'chat.yaml');
  writeFileSync(scenario, 'name: chat\nusers: { alice: [phone], bob: [phone] }\nsteps:\n  - send: { from: alice, to: bob, id: hi }\n');
  const out = join(dir, 'out');
  const result = await keyholeHere(['audit', scenario, '-t', 'server-side', '-a', 'server', '-o', out, '-r', 'broken-run,json,broken-end,md', '--plugin', plugin, '--workers', '1', '--quiet']);

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
  const dir = tempDir();
  const plugin = throwingPlugin(dir, { create: 'no such template' });
  const result = await keyholeHere(['audit', '-t', 'server-side', '-a', 'server', '-o', dir, '-r', 'broken-create,json', '--plugin', plugin, '--workers', '1', '--quiet']);
  t.is(result.status, 3, result.stderr);
  t.is(result.stderr, "keyhole: reporter 'broken-create' failed (create): no such template\n");
  t.true(existsSync(join(dir, 'report.json')));
});

test.serial("a reporter that fails leaves no earlier run's copy of its file beside this run's reports", async (t) => {
  // The notes reporter wrote notes.txt; in the next run it cannot: that run's folder must not hold the old one.
  const dir = tempDir();
  const out = join(dir, 'out');
  const first = await keyholeHere(['audit', '-t', 'server-side', '-a', 'server', '-o', out, '-r', 'json,notes', '--plugin', notesPlugin(dir, false), '--workers', '1', '--quiet']);
  t.is(first.status, 0, first.stderr);
  t.true(existsSync(join(out, 'notes.txt')));
  const second = await keyholeHere(['audit', '-t', 'server-side', '-a', 'server', '-o', out, '-r', 'json,notes', '--plugin', notesPlugin(dir, true), '--workers', '1', '--quiet']);
  t.is(second.status, 3, second.stderr);
  t.is(second.stderr, "keyhole: reporter 'notes' failed (onEnd): template missing\n");
  t.false(existsSync(join(out, 'notes.txt')));
  t.true(existsSync(join(out, 'report.json')));
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
