/**
 * Executing the runs of an audit, in this thread or on several threads (`--workers n`).
 *
 * Runs are independent and fully determined by the seed, so any number of threads gives the
 * same runs as one; results are handed on (`onRun`) and returned in the order of the specs.
 *
 * With n threads, this thread runs work too, beside n - 1 worker threads (started early by
 * `./worker-pool.ts`, so that they load the sources while this thread loads its own). Every
 * thread takes its next run itself from a shared queue (`RunQueue`, on a SharedArrayBuffer),
 * so none waits for another to hand it work: this thread from the front of the matrix, the
 * workers from the back, so that the last runs, where one thread may finish before another,
 * come from the middle rather than from the end, where the costliest targets are.
 *
 * A worker receives the runs by name (target, adversary, crypto backend) plus the scenarios
 * as plain data, and looks the design and the adversary up in the catalogue: the built-in
 * one, plus the config and plugin modules of the command, which each worker loads itself. A worker that
 * dies makes the run it was in an `error` run; the other threads take the runs still to do
 * (and with no run in this thread, a fresh worker).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { isMainThread, parentPort } from 'node:worker_threads';

import { BUILT_IN, loadRegistry, type PluginSource, type Registry } from '../harness/plugins/registry.ts';
import type { CryptoBackend, CryptoBackendName } from '../harness/crypto/backend.ts';
import { cryptoBackend } from '../harness/crypto/index.ts';
import type { RunReport } from '../harness/report/types.ts';
import { executeRun, type RunSpec } from '../harness/runner.ts';
import { startWorker, takePrestarted, WORKER_ENTRY, type StartedWorker } from './worker-pool.ts';
import type { Scenario } from '../harness/scenario/types.ts';

export { MAX_WORKERS } from './worker-pool.ts';

/** A worker's slot in the `running` array while it has no run. */
const IDLE = -1;

export interface ExecuteOptions {
  seed: number;
  crypto: CryptoBackend;
  /** Threads in all, this one included; 1 (or less): everything in this thread. */
  workers: number;
  /** The catalogue the specs' designs and adversaries come from (default: the built-in one); workers load the same. */
  registry?: Registry;
  /** Each finished run, in spec order; `done` runs of `total` are finished. */
  onRun?(run: RunReport, done: number, total: number): void;
  /** The worker's entry module (tests replace it). */
  workerEntry?: URL;
  /**
   * Whether this thread runs work beside the workers (default true). Tests turn it off to send
   * every run through `workerEntry`; then `workers` threads are all worker threads.
   */
  runInThisThread?: boolean;
}

/** What a worker is given, as its first message. */
export interface WorkerInit {
  seed: number;
  crypto: CryptoBackendName;
  /** The config and plugin modules to load, or null for the built-in catalogue. */
  plugins: PluginSource | null;
  scenarios: Scenario[];
  /** The runs of the audit, by position; `scenario` indexes `scenarios`. */
  runs: { target: string; scenario: number; adversary: string }[];
  /** The `RunQueue` every thread takes runs from. */
  queue: SharedArrayBuffer;
  /** Int32Array[workers]: the run each worker is in (IDLE when none). */
  running: SharedArrayBuffer;
  slot: number;
}

/** One run, as a worker executes it. */
export interface RunTask {
  index: number;
  target: string;
  scenario: Scenario;
  adversary: string;
}

type WorkerReply =
  | { type: 'done'; index: number; run: RunReport }
  | { type: 'failed'; index: number; error: string; stack: string | undefined };

export async function executeSpecs(specs: readonly RunSpec[], options: ExecuteOptions): Promise<RunReport[]> {
  if (options.workers <= 1) {
    const runs: RunReport[] = [];
    for (const spec of specs) {
      const run = await executeRun(spec, options.seed, options.crypto);
      runs.push(run);
      options.onRun?.(run, runs.length, specs.length);
    }
    return runs;
  }
  return runOnThreads(specs, options);
}

async function runOnThreads(specs: readonly RunSpec[], options: ExecuteOptions): Promise<RunReport[]> {
  const registry = options.registry ?? BUILT_IN;
  for (const spec of specs) {
    if ((await registry.loadTarget(spec.design.name)) !== spec.design || registry.findAdversary(spec.adversary.name) !== spec.adversary) {
      throw new Error(`worker threads run the catalogue's targets and adversaries only, not ${spec.design.name} / ${spec.adversary.name}`);
    }
  }
  const total = specs.length;
  if (total === 0) return [];
  const inThisThread = options.runInThisThread ?? true;
  const workerCount = Math.min(inThisThread ? options.workers - 1 : options.workers, total);
  const scenarios = [...new Set(specs.map((s) => s.scenario))];
  const queue = RunQueue.create(total);
  const running = new Int32Array(new SharedArrayBuffer(4 * Math.max(workerCount, 1))).fill(IDLE);
  const init: Omit<WorkerInit, 'slot'> = {
    seed: options.seed,
    crypto: options.crypto.name,
    plugins: registry.source,
    scenarios,
    runs: specs.map((s) => ({ target: s.design.name, scenario: scenarios.indexOf(s.scenario), adversary: s.adversary.name })),
    queue: queue.buffer,
    running: running.buffer as SharedArrayBuffer,
  };
  const entry = options.workerEntry ?? WORKER_ENTRY;
  const results: (RunReport | undefined)[] = new Array(total);
  let handedOn = 0;
  let failure: Error | null = null;
  const live = new Set<StartedWorker['worker']>();
  const exited: Promise<void>[] = [];

  const fail = (error: Error) => {
    failure ??= error;
    queue.close(); // nothing more is taken
    for (const worker of live) void worker.terminate();
  };
  // Hand finished runs on in spec order, however the threads finish.
  const flush = () => {
    while (failure === null && handedOn < total && results[handedOn] !== undefined) {
      handedOn++;
      try {
        options.onRun?.(results[handedOn - 1]!, handedOn, total);
      } catch (error) {
        fail(error instanceof Error ? error : new Error(String(error)));
      }
    }
  };

  const spawn = (slot: number) => {
    let started: StartedWorker;
    try {
      started = takePrestarted(entry) ?? startWorker(entry);
    } catch (error) {
      fail(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    const { worker } = started;
    live.add(worker);
    worker.postMessage({ ...init, slot } satisfies WorkerInit);
    worker.on('message', (reply: WorkerReply) => {
      if (reply.type === 'failed') {
        const error = new Error(`run ${describeSpec(specs[reply.index]!)} failed in a worker thread: ${reply.error}`);
        if (reply.stack) error.stack = `${error.stack}\nin the worker: ${reply.stack}`;
        fail(error);
        return;
      }
      results[reply.index] = reply.run;
      flush();
    });
    exited.push(
      started.exited.then((code) => {
        const crash = started.error();
        live.delete(worker);
        const index = Atomics.exchange(running, slot, IDLE);
        if (failure === null && index === IDLE && crash) {
          // Not in a run: the worker itself is broken (it could not load, say).
          fail(new Error(`a worker thread crashed outside any run: ${crash.message}`));
        } else if (failure === null && index !== IDLE && results[index] === undefined) {
          const why = crash ? `the worker thread crashed: ${crash.message}` : `the worker thread exited (code ${code}) during the run`;
          results[index] = crashedRun(specs[index]!, why);
          flush();
          // Without this thread taking runs, a fresh worker takes over the runs still to do.
          if (!inThisThread && queue.remaining() > 0) spawn(slot);
        }
      }),
    );
  };

  for (let slot = 0; slot < workerCount; slot++) spawn(slot);

  if (inThisThread) {
    for (let index = queue.takeFront(); index !== null; index = queue.takeFront()) {
      results[index] = await executeRun(specs[index]!, options.seed, options.crypto);
      flush();
      // Let the workers' finished runs in (and the progress line move) between runs.
      await nextTurn();
    }
  }
  // Workers exit once the queue is empty; a respawned worker adds itself to `exited`.
  for (let waited = 0; waited < exited.length; waited++) await exited[waited];
  if (failure) throw failure;
  for (let index = 0; index < total; index++) {
    results[index] ??= crashedRun(specs[index]!, 'no thread finished the run');
  }
  flush();
  return results as RunReport[];
}

/**
 * The runs still to do, as the range [front, back) of run indices, shared by every thread:
 * Int32Array [lock, front, back]. Taking a run holds the lock for a few instructions (a spin
 * lock: a claim is rare and brief, and Atomics.wait is not allowed on the main thread).
 */
export class RunQueue {
  readonly #cells: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.#cells = new Int32Array(buffer);
  }

  static create(total: number): RunQueue {
    const queue = new RunQueue(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));
    Atomics.store(queue.#cells, 2, total);
    return queue;
  }

  takeFront(): number | null {
    return this.#take((front, back) => (front < back ? [front, front + 1, back] : null));
  }

  takeBack(): number | null {
    return this.#take((front, back) => (front < back ? [back - 1, front, back - 1] : null));
  }

  remaining(): number {
    return this.#take((front, back) => [back - front, front, back])!;
  }

  /** Nothing more is taken. */
  close(): void {
    this.#take((front) => [0, front, front]);
  }

  #take(step: (front: number, back: number) => [number, number, number] | null): number | null {
    const cells = this.#cells;
    while (Atomics.compareExchange(cells, 0, 0, 1) !== 0) {
      // another thread is taking a run
    }
    try {
      const result = step(Atomics.load(cells, 1), Atomics.load(cells, 2));
      if (result === null) return null;
      Atomics.store(cells, 1, result[1]);
      Atomics.store(cells, 2, result[2]);
      return result[0];
    } finally {
      Atomics.store(cells, 0, 0);
    }
  }
}

function describeSpec(spec: RunSpec): string {
  return `${spec.design.name} · ${spec.scenario.name} · ${spec.adversary.name}`;
}

/** The report of a run whose worker died: an `error` run, as when a target throws. */
function crashedRun(spec: RunSpec, why: string): RunReport {
  return {
    target: spec.design.name,
    scenario: spec.scenario.name,
    adversary: spec.adversary.name,
    status: 'error',
    error: why,
    notes: [],
    marks: spec.scenario.marks,
    messages: [],
    properties: [],
    alerts: [],
    summary: { messages: 0, leaked: 0, breached: 0 },
  };
}

/* ------------------------------------------------------------------------------------------ */
/* Inside a worker                                                                             */
/* ------------------------------------------------------------------------------------------ */

/** The catalogues loaded in this thread, by their source (a worker loads the command's modules once). */
const registries = new Map<string, Promise<Registry>>();

function registryOf(plugins: PluginSource | null): Promise<Registry> {
  if (plugins === null) return Promise.resolve(BUILT_IN);
  const key = JSON.stringify(plugins);
  let registry = registries.get(key);
  if (!registry) {
    registry = loadRegistry(plugins);
    registries.set(key, registry);
  }
  return registry;
}

/** Runs one task: looks the design and adversary up by name and executes the run. */
export async function runTask(task: RunTask, init: Pick<WorkerInit, 'seed' | 'crypto'> & Partial<Pick<WorkerInit, 'plugins'>>): Promise<RunReport> {
  const registry = await registryOf(init.plugins ?? null);
  const design = await registry.loadTarget(task.target);
  const adversary = registry.findAdversary(task.adversary);
  if (!design) throw new Error(`unknown target '${task.target}'`);
  if (!adversary) throw new Error(`unknown adversary '${task.adversary}'`);
  return executeRun({ design, scenario: task.scenario, adversary }, init.seed, cryptoBackend(init.crypto));
}

/**
 * The worker's side: take runs from the shared counter until none is left, post each result,
 * then end (the thread exits when its event loop is empty).
 */
export function serveTasks(handle: (task: RunTask, init: WorkerInit) => Promise<RunReport> = runTask): void {
  if (isMainThread || !parentPort) throw new Error('serveTasks runs in a worker thread only');
  const port = parentPort;
  port.once('message', (init: WorkerInit) => void serve(port, init, handle));
}

async function serve(port: NonNullable<typeof parentPort>, init: WorkerInit, handle: (task: RunTask, init: WorkerInit) => Promise<RunReport>): Promise<void> {
  const queue = new RunQueue(init.queue);
  const running = new Int32Array(init.running);
  for (let index = queue.takeBack(); index !== null; index = queue.takeBack()) {
    // Recorded before anything can fail, so that the main thread knows which run a crash hit.
    Atomics.store(running, init.slot, index);
    const run = init.runs[index]!;
    const task: RunTask = { index, target: run.target, scenario: init.scenarios[run.scenario]!, adversary: run.adversary };
    try {
      port.postMessage({ type: 'done', index, run: await handle(task, init) } satisfies WorkerReply);
    } catch (error) {
      port.postMessage({
        type: 'failed',
        index,
        error: error instanceof Error ? error.message : String(error),
        stack: error instanceof Error ? error.stack : undefined,
      } satisfies WorkerReply);
      return;
    }
    Atomics.store(running, init.slot, IDLE);
  }
  // Done: with nothing more to listen for, the thread's event loop empties and it exits.
}
