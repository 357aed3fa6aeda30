/**
 * Executing the runs of an audit, in this thread or on worker threads (`--workers n`).
 *
 * Runs are independent and fully determined by the seed, so a pool of workers gives the same
 * runs as one thread; results are handed on (`onRun`) and returned in the order of the specs.
 * A worker receives each run by name (target, adversary, crypto backend) plus the scenario
 * as plain data, and looks the design and the adversary up in the registries. A worker that
 * dies makes its run an `error` run, and a fresh worker takes over the runs still to do.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

import { adversaries } from '../attacks/registry.ts';
import { targets } from '../targets/registry.ts';
import type { CryptoBackend, CryptoBackendName } from './crypto/backend.ts';
import { cryptoBackend } from './crypto/index.ts';
import type { RunReport } from './report/types.ts';
import { executeRun, type RunSpec } from './runner.ts';
import type { Scenario } from './scenario/types.ts';

export const MAX_WORKERS = 64;

/** Loads TypeScript in each worker, as `node --import ./register.js` does in the main thread. */
const REGISTER = new URL('../register.js', import.meta.url).href;
const WORKER_ENTRY = new URL('./worker.ts', import.meta.url);

export interface ExecuteOptions {
  seed: number;
  crypto: CryptoBackend;
  /** 1 (or less): run in this thread. */
  workers: number;
  /** Each finished run, in spec order; `done` runs of `total` are finished. */
  onRun?(run: RunReport, done: number, total: number): void;
  /** The worker's entry module (tests replace it). */
  workerEntry?: URL;
}

/** What a worker is started with. */
export interface WorkerInit {
  seed: number;
  crypto: CryptoBackendName;
}

/** One run, as sent to a worker. */
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
  return runOnWorkers(specs, options);
}

function runOnWorkers(specs: readonly RunSpec[], options: ExecuteOptions): Promise<RunReport[]> {
  for (const spec of specs) {
    if (targets[spec.design.name] !== spec.design || adversaries[spec.adversary.name] !== spec.adversary) {
      return Promise.reject(new Error(`worker threads run built-in targets and adversaries only, not ${spec.design.name} / ${spec.adversary.name}`));
    }
  }
  const total = specs.length;
  const init: WorkerInit = { seed: options.seed, crypto: options.crypto.name };
  const entry = options.workerEntry ?? WORKER_ENTRY;
  const results: (RunReport | undefined)[] = new Array(total);
  let next = 0;
  let handedOn = 0;
  let settled = false;
  const live = new Set<Worker>();

  return new Promise<RunReport[]>((resolve, reject) => {
    const stopAll = () => {
      settled = true;
      for (const worker of live) void worker.terminate();
      live.clear();
    };
    const fail = (error: Error) => {
      if (settled) return;
      stopAll();
      reject(error);
    };
    // Hand finished runs on in spec order, however the workers finish.
    const flush = () => {
      while (handedOn < total && results[handedOn] !== undefined) {
        handedOn++;
        try {
          options.onRun?.(results[handedOn - 1]!, handedOn, total);
        } catch (error) {
          fail(error instanceof Error ? error : new Error(String(error)));
          return;
        }
      }
      if (handedOn === total && !settled) {
        stopAll();
        resolve(results as RunReport[]);
      }
    };

    const spawn = () => {
      let worker: Worker;
      try {
        worker = new Worker(entry, { execArgv: ['--import', REGISTER], workerData: init });
      } catch (error) {
        fail(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      live.add(worker);
      let current: number | null = null;
      let crash: Error | undefined;
      const give = () => {
        if (next < total) {
          current = next++;
          const spec = specs[current]!;
          const task: RunTask = { index: current, target: spec.design.name, scenario: spec.scenario, adversary: spec.adversary.name };
          worker.postMessage(task);
        } else {
          current = null;
          live.delete(worker);
          void worker.terminate();
        }
      };
      worker.on('message', (reply: WorkerReply) => {
        if (settled || reply.index !== current) return;
        if (reply.type === 'failed') {
          const error = new Error(`run ${describeSpec(specs[reply.index]!)} failed in a worker thread: ${reply.error}`);
          if (reply.stack) error.stack = `${error.stack}\nin the worker: ${reply.stack}`;
          fail(error);
          return;
        }
        results[reply.index] = reply.run;
        give();
        flush();
      });
      worker.on('error', (error) => {
        crash = error;
      });
      worker.on('exit', (code) => {
        live.delete(worker);
        if (settled) return;
        if (current !== null) {
          const why = crash ? `the worker thread crashed: ${crash.message}` : `the worker thread exited (code ${code}) during the run`;
          results[current] = crashedRun(specs[current]!, why);
          current = null;
          if (next < total) spawn(); // a fresh worker for the runs still to do
        }
        flush();
      });
      give();
    };

    if (total === 0) {
      resolve([]);
      return;
    }
    for (let i = 0; i < Math.min(options.workers, total); i++) spawn();
  });
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
    summary: { messages: 0, leaked: 0 },
  };
}

/* ------------------------------------------------------------------------------------------ */
/* Inside a worker                                                                             */
/* ------------------------------------------------------------------------------------------ */

/** Runs one task: looks the design and adversary up by name and executes the run. */
export async function runTask(task: RunTask, init: WorkerInit): Promise<RunReport> {
  const design = Object.hasOwn(targets, task.target) ? targets[task.target] : undefined;
  const adversary = Object.hasOwn(adversaries, task.adversary) ? adversaries[task.adversary] : undefined;
  if (!design) throw new Error(`unknown target '${task.target}'`);
  if (!adversary) throw new Error(`unknown adversary '${task.adversary}'`);
  return executeRun({ design, scenario: task.scenario, adversary }, init.seed, cryptoBackend(init.crypto));
}

/** The worker's side: answer every task the main thread posts, one at a time. */
export function serveTasks(handle: (task: RunTask, init: WorkerInit) => Promise<RunReport> = runTask): void {
  if (isMainThread || !parentPort) throw new Error('serveTasks runs in a worker thread only');
  const port = parentPort;
  const init = workerData as WorkerInit;
  port.on('message', (task: RunTask) => {
    handle(task, init).then(
      (run) => port.postMessage({ type: 'done', index: task.index, run } satisfies WorkerReply),
      (error: unknown) =>
        port.postMessage({
          type: 'failed',
          index: task.index,
          error: error instanceof Error ? error.message : String(error),
          stack: error instanceof Error ? error.stack : undefined,
        } satisfies WorkerReply),
    );
  });
}
