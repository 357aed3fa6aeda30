/** `--workers n`: the matrix on worker threads gives the same report as one thread. */
import test from 'ava';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { adversaries } from '../attacks/registry.ts';
import { parseWorkers } from '../app/cli/audit.ts';
import { builtInScenarios } from '../app/cli/catalogue.ts';
import { cryptoBackend } from '../harness/crypto/index.ts';
import { InputError } from '../harness/errors.ts';
import type { Report } from '../harness/report/types.ts';
import { runMatrix } from '../harness/runner.ts';
import { executeSpecs, RunQueue } from '../app/workers.ts';
import { defaultWorkers, threadsFor, workersRequested } from '../app/worker-pool.ts';
import fc from 'fast-check';
import { loadAllTargets } from '../targets/registry.ts';
import { keyhole } from './helpers/cli.ts';

const targets = await loadAllTargets();

const AUDIT = ['audit', '-t', 'static-e2ee', '-a', 'network,server,stolen-device', '-r', 'json'];

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'keyhole-workers-'));
}

function withoutTiming(dir: string): Omit<Report, 'timing'> {
  const { timing: _timing, ...rest } = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
  return rest;
}

test('--workers 2 writes the same report.json as one worker, apart from timing', (t) => {
  const [one, two] = [tempDir(), tempDir()];
  const single = keyhole([...AUDIT, '-o', one, '--workers', '1']);
  const parallel = keyhole([...AUDIT, '-o', two, '--workers', '2']);
  t.true(single.status === 0 || single.status === 1, single.stderr);
  t.is(parallel.status, single.status, parallel.stderr);
  const report = withoutTiming(two);
  t.true(report.runs.length >= 4);
  t.true(report.runs.every((r) => r.status !== 'error'), 'no run failed');
  t.deepEqual(report, withoutTiming(one));
  // Not a terminal: no progress line.
  t.false(parallel.stderr.includes('\r'), parallel.stderr);
  t.false(parallel.stderr.includes('run 1/'), parallel.stderr);
});

test('--workers 64 on a one-run audit runs on one thread, says so, and writes the report of one thread', (t) => {
  const [one, many] = [tempDir(), tempDir()];
  const oneRun = ['audit', 'attacks/scenarios/stolen-phone.yaml', '-t', 'static-e2ee', '-a', 'network', '-r', 'json'];
  const single = keyhole([...oneRun, '-o', one]);
  const wide = keyhole([...oneRun, '-o', many, '--workers', '64']);
  t.true(single.status === 0 || single.status === 1, single.stderr);
  t.is(wide.status, single.status, wide.stderr);
  t.regex(wide.stderr, /^keyhole: --workers 64: 1 thread\(s\) for 1 run\(s\) on \d+ core\(s\)$/m);
  t.is(withoutTiming(many).runs.length, 1);
  t.deepEqual(withoutTiming(many), withoutTiming(one));
});

test('threads are capped by the cores and by the runs, and are at least one', (t) => {
  t.is(threadsFor(64, 1, 2), 1);
  t.is(threadsFor(64, 100, 2), 2);
  t.is(threadsFor(3, 100, 8), 3);
  t.is(threadsFor(64, Infinity, 4), 4, 'before the runs are known: by the cores');
  t.is(threadsFor(2, 0, 4), 1);
});

test('a worker that dies makes its run an error run; the other runs go on, in matrix order', async (t) => {
  const specs = runMatrix({
    targets: [targets['static-e2ee']!],
    scenarios: builtInScenarios().filter((s) => ['offline-laptop', 'stolen-phone'].includes(s.name)),
    adversaries: [adversaries['network']!, adversaries['server']!],
  });
  const crypto = cryptoBackend('node');
  const seen: number[] = [];
  const runs = await executeSpecs(specs, {
    seed: 1,
    crypto,
    workers: 2,
    // Every run through the crashing entry: none in this thread.
    runInThisThread: false,
    workerEntry: new URL('./fixtures/crashing-worker.ts', import.meta.url),
    onRun: (_run, done, total) => {
      t.is(total, specs.length);
      seen.push(done);
    },
  });
  t.deepEqual(seen, specs.map((_, i) => i + 1));
  t.deepEqual(runs.map((r) => [r.scenario, r.adversary]), specs.map((s) => [s.scenario.name, s.adversary.name]));
  const byName = Object.fromEntries(runs.map((r) => [`${r.scenario}/${r.adversary}`, r]));
  t.is(byName['stolen-phone/server']!.status, 'error');
  t.regex(byName['stolen-phone/server']!.error!, /worker thread exited \(code 7\)/);
  t.is(byName['offline-laptop/network']!.status, 'error');
  t.regex(byName['offline-laptop/network']!.error!, /worker thread crashed: boom in the worker/);
  // The runs that did not crash are exactly what one thread gives.
  const ok = runs.filter((r) => r.status === 'ok');
  t.is(ok.length, 2);
  const reference = await executeSpecs(specs, { seed: 1, crypto, workers: 1 });
  t.deepEqual(ok, reference.filter((r) => ok.some((o) => o.scenario === r.scenario && o.adversary === r.adversary)));
});

test('this thread and two worker threads give exactly the runs of one thread, in matrix order', async (t) => {
  const specs = runMatrix({
    targets: [targets['static-e2ee']!, targets['server-side']!],
    scenarios: builtInScenarios().filter((s) => ['offline-laptop', 'stolen-phone'].includes(s.name)),
    adversaries: [adversaries['network']!, adversaries['server']!, adversaries['stolen-device']!],
  });
  const crypto = cryptoBackend('node');
  const seen: string[] = [];
  const parallel = await executeSpecs(specs, { seed: 4, crypto, workers: 3, onRun: (run) => seen.push(`${run.target}/${run.scenario}/${run.adversary}`) });
  t.deepEqual(seen, specs.map((s) => `${s.design.name}/${s.scenario.name}/${s.adversary.name}`));
  t.deepEqual(parallel, await executeSpecs(specs, { seed: 4, crypto, workers: 1 }));
});

test('a worker thread that cannot even load fails the audit, naming why', async (t) => {
  const specs = runMatrix({
    targets: [targets['static-e2ee']!],
    scenarios: builtInScenarios().filter((s) => s.name === 'stolen-phone'),
    adversaries: [adversaries['network']!],
  });
  const error = await t.throwsAsync(
    executeSpecs(specs, { seed: 1, crypto: cryptoBackend('node'), workers: 2, workerEntry: new URL('./fixtures/broken-worker.ts', import.meta.url) }),
  );
  t.regex(error!.message, /worker thread crashed outside any run: this worker cannot load/);
});

test('--workers must be an integer from 1 to 64', (t) => {
  t.is(parseWorkers('1'), 1);
  t.is(parseWorkers('64'), 64);
  for (const bad of ['0', '65', 'x', '-1', '1.5', '']) {
    const error = t.throws(() => parseWorkers(bad));
    t.true(error instanceof InputError, bad);
    t.regex(error!.message, /<command line>: --workers: expected an integer from 1 to 64/);
  }
});

test('--workers 0 on the command line exits 2', (t) => {
  const result = keyhole(['audit', '--workers', '0', '-r', 'json', '-o', tempDir()]);
  t.is(result.status, 2);
  t.regex(result.stderr, /--workers: expected an integer from 1 to 64, got '0'/);
});

test('the run queue hands out every run once, from either end, until it is empty or closed', (t) => {
  fc.assert(
    fc.property(fc.nat(40), fc.array(fc.boolean(), { maxLength: 60 }), (total, fromBack) => {
      const queue = RunQueue.create(total);
      const taken: number[] = [];
      for (const back of fromBack) {
        const index = back ? queue.takeBack() : queue.takeFront();
        if (index !== null) taken.push(index);
      }
      for (let index = queue.takeFront(); index !== null; index = queue.takeFront()) taken.push(index);
      t.deepEqual([...taken].sort((a, b) => a - b), Array.from({ length: total }, (_, i) => i));
      t.is(queue.remaining(), 0);
    }),
  );
  const queue = RunQueue.create(5);
  t.is(queue.takeFront(), 0);
  t.is(queue.takeBack(), 4);
  t.is(new RunQueue(queue.buffer).takeBack(), 3); // another thread's view of the same queue
  t.is(queue.remaining(), 2);
  queue.close();
  t.is(queue.takeFront(), null);
  t.is(queue.takeBack(), null);
});

test('--workers is read off the command line before anything loads, for audits only', (t) => {
  t.is(workersRequested(['audit', '--workers', '3']), 3);
  t.is(workersRequested(['run', 'a.yaml', '--workers=2', '--quiet']), 2);
  t.is(workersRequested(['audit']), defaultWorkers(), 'no --workers: the default');
  t.is(workersRequested(['bench', '--workers', '2']), null);
  t.is(workersRequested(['audit', '--workers', 'x']), null);
});

test('--workers defaults to the cores available, capped by the runs (SPEC §1)', (t) => {
  t.is(defaultWorkers(2), 2);
  t.is(defaultWorkers(1), 1);
  t.is(defaultWorkers(500), 64, 'never more than the most --workers accepts');
  t.is(threadsFor(defaultWorkers(8), 3, 8), 3, 'three runs: three threads');
  t.is(threadsFor(defaultWorkers(8), 1, 8), 1, 'one run: this thread alone');
});
