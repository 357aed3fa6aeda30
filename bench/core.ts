/**
 * The benchmark machinery every group file shares: what a group declares (cross-validation
 * checks and timed cases), the cross-validation vote, and the runner on tinybench.
 *
 * Order of a run (noble's rule): every check of a group runs first; a case whose check failed
 * for its implementation is never timed and is reported as failed. Measurement data is kept
 * whole (`BenchResult`); formatting lives in ./report.ts.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Bench, type FnOptions } from 'tinybench';
import type { CryptoBackend } from '../harness/crypto/backend.ts';

export type GroupName = 'aead' | 'dh' | 'sig' | 'kdf' | 'kem' | 'protocol';

export const GROUPS: readonly GroupName[] = ['aead', 'dh', 'sig', 'kdf', 'kem', 'protocol'];

/** One implementation's answer to a check: a byte string, a verdict, or a structure of those. */
export type CheckOutput = unknown;

/**
 * A cross-validation check: the same input through every implementation. The outputs must all
 * be equal; with `expected` (a known-answer vector) each must equal it.
 */
export interface Check {
  id: string;
  /** Each implementation's output (WebCrypto's resolves later). */
  impls: Record<string, () => CheckOutput | Promise<CheckOutput>>;
  expected?: CheckOutput;
  /** A property each output must have on its own (a round trip gives the input back); null when it holds. */
  sane?: (output: CheckOutput) => string | null;
}

/** A timed case: one row of the results. */
export interface BenchCase {
  group: GroupName;
  task: string;
  /** The backend (`node`, `noble`), a raw library call (`node-raw`, `noble-raw`) or `own` (a library target's own crypto). */
  crypto: string;
  /** Protocol rows: the target. */
  target?: string;
  /** Payload bytes one op processes (bytesPerSec = opsPerSec * bytes); none: bytesPerSec is null. */
  bytes?: number;
  /** Ops one call of `fn` performs (a protocol call may send several messages). */
  opsPerCall?: number;
  /** Ids of the checks this case depends on; it runs only if each passed for `checkAs` (default: `crypto`). */
  checks: string[];
  checkAs?: string;
  /** Async set-up, after the checks and before timing (protocol cases build their clients here). */
  prepare?: () => Promise<void>;
  /** Protocol rows: wire bytes per message beyond the plaintext, known after `prepare`. */
  overheadBytes?: () => number | undefined;
  fn: () => unknown;
  fnOptions?: FnOptions;
  /** Per-case timing overrides (session set-up needs fewer, longer iterations). */
  timing?: Partial<Timing>;
}

export interface GroupPlan {
  group: GroupName;
  checks: Check[];
  cases: BenchCase[];
  /** Said once under the group's table (e.g. "node:crypto has no XChaCha20-Poly1305"); a protocol plan adds one as a scanning design loads. */
  notes: string[];
}

/** What a group file builds its plan from. */
export interface PlanContext {
  /** The backends to measure, by name (`--crypto`). */
  backends: readonly CryptoBackend[];
  /** Include the `<backend>-raw` rows of the backends measured. */
  raw: boolean;
  quick: boolean;
}

export interface BenchResult {
  group: GroupName;
  task: string;
  crypto: string;
  opsPerSec: number;
  bytesPerSec: number | null;
  p50Ns: number;
  samples: number;
  target?: string;
  overheadBytes?: number;
}

export interface BenchFailure {
  group: GroupName;
  task: string;
  crypto: string;
  target?: string;
  reason: string;
}

export interface Timing {
  /** Time budget per task, ms. */
  time: number;
  /** Minimum iterations per task. */
  iterations: number;
  warmupTime: number;
  warmupIterations: number;
}

export const TIMING: Record<'quick' | 'full', Timing> = {
  quick: { time: 30, iterations: 5, warmupTime: 10, warmupIterations: 2 },
  full: { time: 500, iterations: 20, warmupTime: 100, warmupIterations: 5 },
};

// ---------------------------------------------------------------------------------------------
// Cross-validation
// ---------------------------------------------------------------------------------------------

/** A stable text form of a check output, for comparison (bytes as hex). */
export function fingerprint(value: CheckOutput): string {
  return JSON.stringify(value, (_key, v: unknown) => (v instanceof Uint8Array ? `0x${Buffer.from(v).toString('hex')}` : v));
}

/** Per check id, per implementation: null when it passed, else why it failed. */
export type CheckVerdicts = Map<string, Map<string, string | null>>;

/**
 * Runs every check. An implementation passes when its output equals the known answer, or,
 * without one, the output a strict majority of the implementations gave. With no majority
 * (two implementations that disagree) none passes: nothing says which one is right.
 */
export async function crossValidate(checks: readonly Check[]): Promise<CheckVerdicts> {
  const verdicts: CheckVerdicts = new Map();
  for (const check of checks) {
    const outputs = new Map<string, string | Error>();
    for (const [impl, run] of Object.entries(check.impls)) {
      try {
        const output = await run();
        const insane = check.sane?.(output);
        outputs.set(impl, insane ? new Error(insane) : fingerprint(output));
      } catch (error) {
        outputs.set(impl, error instanceof Error ? error : new Error(String(error)));
      }
    }
    let reference: string | null = null;
    let source = '';
    if (check.expected !== undefined) {
      reference = fingerprint(check.expected);
      source = 'the known answer';
    } else {
      const counts = new Map<string, number>();
      for (const out of outputs.values()) if (typeof out === 'string') counts.set(out, (counts.get(out) ?? 0) + 1);
      for (const [out, count] of counts) if (count * 2 > outputs.size) reference = out;
      source = 'the other implementations';
    }
    const perImpl = new Map<string, string | null>();
    for (const [impl, out] of outputs) {
      if (out instanceof Error) perImpl.set(impl, `check "${check.id}" failed: ${out.message}`);
      else if (reference === null) perImpl.set(impl, `check "${check.id}": the implementations disagree and none has a majority`);
      else if (out !== reference) perImpl.set(impl, `check "${check.id}": output differs from ${source}`);
      else perImpl.set(impl, null);
    }
    verdicts.set(check.id, perImpl);
  }
  return verdicts;
}

/** Why a case may not run, or null when all its checks passed for its implementation. */
export function caseBlocked(benchCase: BenchCase, verdicts: CheckVerdicts): string | null {
  const impl = benchCase.checkAs ?? benchCase.crypto;
  for (const id of benchCase.checks) {
    const perImpl = verdicts.get(id);
    if (!perImpl) return `check "${id}" is missing`;
    if (!perImpl.has(impl)) return `check "${id}" has no ${impl} implementation`;
    const reason = perImpl.get(impl);
    if (reason) return reason;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------

export interface RunOutcome {
  results: BenchResult[];
  failed: BenchFailure[];
}

export interface RunOptions {
  timing: Timing;
  /** Called before each case is timed (progress output). */
  onCase?: (benchCase: BenchCase, index: number, total: number) => void;
}

function failure(benchCase: BenchCase, reason: string): BenchFailure {
  return {
    group: benchCase.group,
    task: benchCase.task,
    crypto: benchCase.crypto,
    ...(benchCase.target !== undefined ? { target: benchCase.target } : {}),
    reason,
  };
}

/** Checks a group, then times each case that passed, one tinybench task at a time. */
export async function runPlan(plan: GroupPlan, options: RunOptions): Promise<RunOutcome & { verdicts: CheckVerdicts }> {
  const verdicts = await crossValidate(plan.checks);
  const results: BenchResult[] = [];
  const failed: BenchFailure[] = [];
  let index = 0;
  for (const benchCase of plan.cases) {
    options.onCase?.(benchCase, index++, plan.cases.length);
    const blocked = caseBlocked(benchCase, verdicts);
    if (blocked) {
      failed.push(failure(benchCase, blocked));
      continue;
    }
    try {
      await benchCase.prepare?.();
      collectGarbage();
      results.push(await timeCase(benchCase, { ...options.timing, ...benchCase.timing }));
    } catch (error) {
      failed.push(failure(benchCase, error instanceof Error ? error.message : String(error)));
    }
  }
  return { results, failed, verdicts };
}

/**
 * A full garbage collection before each case, so that no case pays for the garbage of the one
 * before it (a short quick-run case would otherwise carry whatever the previous case's
 * session set-ups left behind).
 */
export const collectGarbage: () => void = (() => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  return typeof gc === 'function' ? gc : () => {};
})();

async function timeCase(benchCase: BenchCase, timing: Timing): Promise<BenchResult> {
  const bench = new Bench({ ...timing, throws: true });
  bench.add(benchCase.task, benchCase.fn, benchCase.fnOptions);
  const [task] = await bench.run();
  const result = task!.result;
  if (result.state !== 'completed') {
    throw new Error(`timing ended in state "${result.state}"${'error' in result ? `: ${String(result.error)}` : ''}`);
  }
  const ops = benchCase.opsPerCall ?? 1;
  const opsPerSec = (ops * 1000) / typicalMs(result.latency);
  const overheadBytes = benchCase.overheadBytes?.();
  return {
    group: benchCase.group,
    task: benchCase.task,
    crypto: benchCase.crypto,
    opsPerSec,
    bytesPerSec: benchCase.bytes === undefined ? null : opsPerSec * benchCase.bytes,
    p50Ns: Math.round((result.latency.p50 * 1e6) / ops),
    samples: result.latency.samplesCount,
    ...(benchCase.target !== undefined ? { target: benchCase.target } : {}),
    ...(overheadBytes !== undefined ? { overheadBytes } : {}),
  };
}

/**
 * The time one call typically takes, ms: the median sample. Medians, not means, because the
 * machines benchmarks run on (CI runners, laptops, a box shared with test suites) preempt the
 * process now and then; a handful of preempted samples moves a mean by integer factors and a
 * median hardly at all. (CPU time is no way out: it counts V8's collector threads too, which
 * run beside the measured code when a core is free, so it grows when the machine is quiet.)
 */
export function typicalMs(latency: { p50: number; mean: number }): number {
  return latency.p50 > 0 ? latency.p50 : latency.mean;
}

// ---------------------------------------------------------------------------------------------
// Shared helpers for group files
// ---------------------------------------------------------------------------------------------

export const SIZES = [
  { label: '64B', bytes: 64 },
  { label: '1KiB', bytes: 1024 },
  { label: '16KiB', bytes: 16 * 1024 },
  { label: '1MiB', bytes: 1024 * 1024 },
] as const;

/** Deterministic filler bytes (benchmarks need no secrecy, only reproducible inputs). */
export function filled(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Name of the raw-library rows beside a backend. */
export function rawName(backend: string): string {
  return `${backend}-raw`;
}
