/** `keyhole audit [SCENARIO...]`: run the matrix, write the reports, decide the exit status. */
import { availableParallelism } from 'node:os';
import { compareWithBaseline, loadBaseline } from '../baseline.ts';
import { cryptoBackend } from '../../harness/crypto/index.ts';
import { InputError } from '../../harness/errors.ts';
import { printable } from '../../harness/printable.ts';
import { evaluatePolicy, formatPolicyFailure, loadPolicyFile, universeOf, type Policy, type PolicyUniverse } from '../../harness/policy.ts';
import { assembleReport, runMatrix } from '../../harness/runner.ts';
import { loadScenarios } from '../../harness/scenario/load.ts';
import { runKey } from '../../harness/report/read.ts';
import { MAX_MATRIX_RUNS, matrixId, parseShard, shardOf } from '../../harness/shard.ts';
import { executeSpecs, MAX_WORKERS } from '../workers.ts';
import { prepareOutDir, type OutDir } from '../../reports/out-dir.ts';
import { enableKeyCache } from '../../harness/key-cache.ts';
import { defaultWorkers, discardPrestarted, threadsFor } from '../worker-pool.ts';
import { BUILT_IN, type Registry } from '../../harness/plugins/registry.ts';
import { describeReporterFailure, multiplexReporters, type ReporterMultiplexer } from '../../reports/multiplexer.ts';
import { reporterName, DEFAULT_REPORTERS } from '../../reports/registry.ts';
import type { ReporterEntry, ScenarioSource } from '../../reports/types.ts';
import type { Scenario } from '../../harness/scenario/types.ts';
import { builtInScenarios, pick, pickAdversaries, pickTargets, registryFor, type PluginFlags } from './catalogue.ts';
import { createProgress, progressWanted } from './progress.ts';
import type { Report } from '../../harness/report/types.ts';
import { EXIT } from './exit.ts';

export interface AuditFlags extends PluginFlags {
  targets?: string;
  adversaries?: string;
  seed: string;
  out: string;
  reporter: string;
  crypto: string;
  policy?: string;
  baseline?: string;
  shard?: string;
  workers?: string;
  quiet?: boolean;
}

export { EXIT };

export async function audit(scenarioPaths: string[], flags: AuditFlags): Promise<number> {
  enableKeyCache();
  // Every flag and input file is checked before the first run.
  const seed = parseSeed(flags.seed);
  const registry = await registryFor(flags);
  const targets = await pickTargets(flags.targets, registry);
  const adversaries = pickAdversaries(flags.adversaries, registry);
  const reporterEntries = pickReporters(flags.reporter, registry);
  const crypto = cryptoFlag(flags.crypto);
  const shard = flags.shard === undefined ? null : parseShard(flags.shard);
  const workers = flags.workers === undefined ? defaultWorkers() : parseWorkers(flags.workers);
  const checks = loadChecks(flags, registry);
  const scenarios = scenarioPaths.length > 0 ? loadScenarios(scenarioPaths, registry.loadOptions) : builtInScenarios(registry);

  const matrix = runMatrix({ targets, scenarios, adversaries });
  if (shard && matrix.length > MAX_MATRIX_RUNS) {
    throw new InputError({ file: '<command line>', path: '--shard', message: `the matrix has ${matrix.length} runs; a sharded audit may have at most ${MAX_MATRIX_RUNS}` });
  }
  const specs = shard ? shardOf(matrix, shard) : matrix;
  const threads = threadsFor(workers, specs.length);
  discardPrestarted(threads - 1);
  if (flags.workers !== undefined && threads < workers && !flags.quiet) {
    process.stderr.write(`keyhole: --workers ${workers}: ${threads} thread(s) for ${specs.length} run(s) on ${availableParallelism()} core(s)\n`);
  }
  const outDir = openOutDir(flags.out, reporterEntries, registry);
  const active = createReporters(reporterEntries, flags.out, scenarios, registry.reporters);
  const progress = createProgress(progressWanted(flags.quiet, process.stdout, process.stderr), process.stderr);
  const startedAt = new Date();
  let runs;
  try {
    runs = await executeSpecs(specs, {
      seed,
      crypto,
      workers: threads,
      registry,
      onRun: (run, done, total) => {
        progress.update(done, total, run);
        active.onRun(run);
      },
    });
  } finally {
    progress.end();
  }
  const report = assembleReport(runs, seed, startedAt, Date.now() - startedAt.getTime());
  if (shard) {
    const keys = matrix.map((spec) => runKey({ target: spec.design.name, scenario: spec.scenario.name, adversary: spec.adversary.name }));
    report.shard = { index: shard.index, count: shard.count, matrixSize: matrix.length, matrixId: matrixId(keys) };
  }
  // Names of the whole matrix, so that a name of another shard does not count as "matched no run".
  applyChecks(report, checks, {
    targets: targets.map((t) => t.name),
    scenarios: scenarios.map((s) => s.name),
    adversaries: adversaries.map((a) => a.name),
  });
  const reported = await writeReports(report, active, outDir, flags.quiet);
  printChecks(report, flags.quiet);
  return reported ? exitStatus(report) : EXIT.harness;
}

/** 1 when a claim is violated, a run failed, a policy expectation failed or something regressed. */
export function exitStatus(report: Report): number {
  const failed =
    report.violations.length > 0 ||
    report.runs.some((r) => r.status === 'error') ||
    (report.policy?.failures.length ?? 0) > 0 ||
    (report.baseline?.regressions.length ?? 0) > 0;
  return failed ? EXIT.violated : EXIT.ok;
}

/* ------------------------------------------------------------------------------------------ */
/* Shared with `keyhole merge`                                                                 */
/* ------------------------------------------------------------------------------------------ */

export interface Checks {
  policy: Policy | null;
  baseline: { file: string; report: Report } | null;
}

/** Loads `--policy` (or else the config's policy) and `--baseline` (input errors before anything runs). */
export function loadChecks(flags: { policy?: string; baseline?: string }, registry: Registry = BUILT_IN): Checks {
  const policy = flags.policy ?? registry.policyFile ?? undefined;
  return {
    policy: policy === undefined ? null : loadPolicyFile(policy),
    baseline: flags.baseline === undefined ? null : { file: flags.baseline, report: loadBaseline(flags.baseline) },
  };
}

/** Adds the policy failures and baseline regressions to the report (only for the flags given). */
export function applyChecks(report: Report, checks: Checks, universe: PolicyUniverse = universeOf(report.runs)): void {
  if (checks.policy) {
    report.policy = { file: checks.policy.file, failures: evaluatePolicy(checks.policy, report.runs, universe) };
  }
  if (checks.baseline) {
    report.baseline = compareWithBaseline(checks.baseline.report, report, checks.baseline.file);
  }
}

/** Policy failures and regressions on stderr, always; baseline notes unless `--quiet`. Names from input files are printed escaped. */
export function printChecks(report: Report, quiet: boolean | undefined): void {
  const lines: string[] = [];
  if (report.policy) {
    const { failures, file } = report.policy;
    if (failures.length > 0) {
      lines.push(`keyhole: ${failures.length} policy expectation(s) failed (${file}):`);
      for (const failure of failures) lines.push(`  policy: ${formatPolicyFailure(failure)}`);
    } else if (!quiet) {
      lines.push(`keyhole: policy ${file}: every expectation holds`);
    }
  }
  if (report.baseline) {
    const { regressions, notes, file } = report.baseline;
    if (regressions.length > 0) {
      lines.push(`keyhole: ${regressions.length} regression(s) against the baseline ${file}:`);
      for (const regression of regressions) lines.push(`  baseline: ${regression.description}`);
    } else if (!quiet) {
      lines.push(`keyhole: baseline ${file}: nothing got worse`);
    }
    if (!quiet) for (const note of notes) lines.push(`  baseline note: ${note}`);
  }
  if (lines.length > 0) process.stderr.write(`${lines.map((line) => printable(line)).join('\n')}\n`);
}

export function pickReporters(list: string, registry: Registry = BUILT_IN): ReporterEntry[] {
  return pick(registry.reporters, list, '--reporter');
}

/** The `--out` folder, checked (and made) before anything runs; null when no chosen reporter writes a file. */
export function openOutDir(out: string, entries: readonly ReporterEntry[], registry: Registry = BUILT_IN): OutDir | null {
  return prepareOutDir(out, entries, Object.values(registry.reporters));
}

/**
 * `scenarios`: those the audit ran, so that reporters can point at the steps of the ones read
 * from files; `catalogue`: the reporters by name (the command's registry), to name one that fails.
 */
export function createReporters(entries: readonly ReporterEntry[], outDir: string, scenarios: readonly Scenario[] = [], catalogue?: Readonly<Record<string, ReporterEntry>>): ReporterMultiplexer {
  const color = process.stdout.isTTY === true && !('NO_COLOR' in process.env);
  const scenarioSources = sourcesOf(scenarios);
  const options = { outDir, stdout: process.stdout, color, scenarioSources };
  return multiplexReporters(entries.map((entry) => ({ name: reporterName(entry, catalogue), create: () => entry.create(options) })));
}

function sourcesOf(scenarios: readonly Scenario[]): Map<string, ScenarioSource> {
  const sources = new Map<string, ScenarioSource>();
  for (const scenario of scenarios) {
    if (scenario.stepLines) sources.set(scenario.name, { file: scenario.source, stepLines: scenario.stepLines });
  }
  return sources;
}

/**
 * Renders every report: the terminal ones print, the file ones write into `outDir` (whose
 * report places are checked again first, so that nothing is written when one is taken),
 * then the files an earlier run left there that this run did not write are removed. A reporter
 * that fails is named on stderr and the others still write; false when one failed.
 */
export async function writeReports(report: Report, active: ReporterMultiplexer, outDir: OutDir | null, quiet: boolean | undefined): Promise<boolean> {
  outDir?.checkPlaces();
  const written = await active.onEnd(report);
  const removed = outDir?.removeStale(written, active.failures.length > 0) ?? [];
  for (const failure of active.failures) process.stderr.write(`keyhole: ${describeReporterFailure(failure)}\n`);
  if (!quiet && written.length > 0) process.stdout.write(`reports: ${printable(written.join(', '))}\n`);
  if (!quiet && removed.length > 0) process.stdout.write(`removed the reports of an earlier run that this run does not write: ${printable(removed.join(', '))}\n`);
  return active.failures.length === 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Flags                                                                                       */
/* ------------------------------------------------------------------------------------------ */

export function parseSeed(value: string): number {
  const seed = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(seed)) {
    throw new InputError({ file: '<command line>', path: '--seed', message: `expected a non-negative integer, got '${value}'` });
  }
  return seed;
}

export function parseWorkers(value: string): number {
  const workers = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || workers < 1 || workers > MAX_WORKERS) {
    throw new InputError({ file: '<command line>', path: '--workers', message: `expected an integer from 1 to ${MAX_WORKERS}, got '${value}'` });
  }
  return workers;
}

export function cryptoFlag(name: string) {
  try {
    return cryptoBackend(name);
  } catch (error) {
    throw new InputError({ file: '<command line>', path: '--crypto', message: (error as Error).message });
  }
}

export { DEFAULT_REPORTERS };
