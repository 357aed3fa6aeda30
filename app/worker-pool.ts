/**
 * Worker threads for `--workers n`, startable before anything else is loaded. A worker spends
 * seconds loading the TypeScript sources; started as the command begins (`prestartWorkers`),
 * it loads them while this thread loads its own, and is ready when the first run is. A worker
 * waits for its `WorkerInit` as a message (see ./workers.ts), so it can start before the runs
 * are known. This module imports nothing of the harness but its limits, so that importing it is cheap.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

import { MAX_WORKERS } from '../harness/limits.ts';
import { CODE_EXEC_ARGV, codeUrl } from '../harness/package-root.ts';

/** The worker's module: its source (loaded through ts-node, as the main thread's) or its compiled JavaScript. */
export const WORKER_ENTRY = codeUrl('app/worker.ts');

export { MAX_WORKERS };

/**
 * The threads (this one included) that run an audit asked to use `requested`: never more than
 * the cores, since more threads only share them while each holds its own copy of the sources
 * (over 100 MB a thread), nor more than the runs, since a thread without a run only costs.
 * `runs` is unknown (Infinity) when the workers are started, before the scenarios are read.
 */
export function threadsFor(requested: number, runs = Infinity, cores = availableParallelism()): number {
  return Math.max(1, Math.min(requested, cores, runs));
}

/** A worker thread and what became of it, recorded from its start (before anyone listens). */
export interface StartedWorker {
  readonly worker: Worker;
  /** The error it threw, if it did. */
  readonly error: () => Error | undefined;
  /** Resolves with its exit code when it ends. */
  readonly exited: Promise<number>;
}

export function startWorker(entry: URL = WORKER_ENTRY): StartedWorker {
  const worker = new Worker(entry, { execArgv: [...CODE_EXEC_ARGV] });
  let error: Error | undefined;
  worker.on('error', (e) => {
    error = e;
  });
  const exited = new Promise<number>((resolve) => worker.on('exit', resolve));
  return { worker, error: () => error, exited };
}

const prestarted: StartedWorker[] = [];

/** Starts `count` workers now; `takePrestarted` hands them to the audit. Unused ones do not keep the process alive. */
export function prestartWorkers(count: number): void {
  for (let i = 0; i < count; i++) {
    const started = startWorker();
    started.worker.unref();
    prestarted.push(started);
  }
}

/** Ends the workers started earlier beyond the first `keep`: the audit has fewer runs than threads. */
export function discardPrestarted(keep: number): void {
  for (const started of prestarted.splice(Math.max(keep, 0))) void started.worker.terminate();
}

/** A worker started earlier with `entry`, if one is left. */
export function takePrestarted(entry: URL): StartedWorker | undefined {
  if (entry.href !== WORKER_ENTRY.href) return undefined;
  const started = prestarted.shift();
  started?.worker.ref();
  return started;
}

/** `--workers` when not given (SPEC §1): the cores available; `threadsFor` caps it by the runs. */
export function defaultWorkers(cores = availableParallelism()): number {
  return Math.max(1, Math.min(cores, MAX_WORKERS));
}

/**
 * The threads a command line that runs an audit asks for: the `n` of `--workers n`, or the
 * default when it has none; null for another command or a value that is not a number.
 */
export function workersRequested(argv: readonly string[]): number | null {
  if (argv[0] !== 'audit' && argv[0] !== 'run' && argv[0] !== 'init') return null;
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = arg === '--workers' ? argv[i + 1] : arg.startsWith('--workers=') ? arg.slice('--workers='.length) : undefined;
    if (value !== undefined) return /^\d{1,2}$/.test(value) ? Number(value) : null;
  }
  return defaultWorkers();
}
