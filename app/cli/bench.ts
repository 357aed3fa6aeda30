/**
 * `keyhole bench` (SPEC §1, §8): primitives and whole protocols, each group cross-validated
 * before anything is timed. Exit status: 0 every row ran, 1 a row failed its check or its
 * run, 2 bad usage, 3 the harness itself failed.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { aeadPlan } from '../../bench/aead.ts';
import { auditFigures, selectedAuditFindings } from '../../bench/audit.ts';
import { TIMING, type BenchCase, type BenchFailure, type BenchResult, type GroupName, type GroupPlan, type PlanContext, runPlan } from '../../bench/core.ts';
import { dhPlan } from '../../bench/dh.ts';
import { GROUP_SIZE_TASK, groupSizeCurve } from '../../bench/group-size.ts';
import { groupSizeFinding, groupSizeSvg, type GroupSizeCurve } from '../../bench/group-size-chart.ts';
import { hotPath, SIDE_BY_SIDE, type Finding, type SideBySidePlan } from '../../bench/hot-path.ts';
import { kdfPlan } from '../../bench/kdf.ts';
import { opensslLimitRows } from '../../bench/openssl-limit.ts';
import { startUpFigures } from '../../bench/start-up.ts';
import { kemPlan } from '../../bench/kem.ts';
import { protocolPlan } from '../../bench/protocol.ts';
import { benchDocument, chartFileName, machineCaption, renderMarkdown, renderTerminal, type BenchRun } from '../../bench/report.ts';
import { sigPlan } from '../../bench/sig.ts';
import type { CryptoBackend } from '../../harness/crypto/backend.ts';
import { cryptoBackends } from '../../harness/crypto/index.ts';
import { InputError } from '../../harness/errors.ts';
import { writeReportFile } from '../../reports/out-dir.ts';

export interface BenchFlags {
  quick?: boolean;
  json?: string;
  md?: string;
  filter?: string;
  crypto?: string;
  quiet?: boolean;
}

const PLANS: readonly ((context: PlanContext) => GroupPlan)[] = [aeadPlan, dhPlan, sigPlan, kdfPlan, kemPlan, protocolPlan];

const COMMAND_LINE = '<command line>';

function parseFilter(filter: string | undefined): RegExp | null {
  if (filter === undefined) return null;
  try {
    return new RegExp(filter);
  } catch (error) {
    throw new InputError({ file: COMMAND_LINE, path: '--filter', message: `not a regular expression: ${(error as Error).message}` });
  }
}

export function parseCrypto(names: string | undefined, available: Record<string, CryptoBackend> = cryptoBackends): CryptoBackend[] {
  if (names === undefined) return Object.values(available);
  const list = names.split(',').map((n) => n.trim()).filter((n) => n.length > 0);
  const valid = Object.keys(available).join(', ');
  if (list.length === 0) throw new InputError({ file: COMMAND_LINE, path: '--crypto', message: `expected a comma list of: ${valid}` });
  const unknown = list.filter((n) => !Object.hasOwn(available, n));
  if (unknown.length > 0) {
    throw new InputError({ file: COMMAND_LINE, path: '--crypto', message: `unknown name '${unknown[0]}'; expected a comma list of: ${valid}` });
  }
  return [...new Set(list)].map((n) => available[n]!);
}

function checkOutputPath(path: string | undefined, flag: string): void {
  if (path === undefined) return;
  const dir = dirname(resolve(path));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new InputError({ file: COMMAND_LINE, path: flag, message: `cannot write ${path}: ${dir} is not a directory` });
  }
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new InputError({ file: COMMAND_LINE, path: flag, message: `cannot write ${path}: it is a directory` });
  }
}

/** The plans with only the cases the filter selects, and only the checks those cases need. */
export function selectPlans(plans: readonly GroupPlan[], filter: RegExp | null): GroupPlan[] {
  const selected: GroupPlan[] = [];
  for (const plan of plans) {
    const cases = filter ? plan.cases.filter((c) => filter.test(c.task)) : plan.cases;
    if (cases.length === 0) continue;
    const needed = new Set(cases.flatMap((c) => c.checks));
    selected.push({ ...plan, cases, checks: plan.checks.filter((c) => needed.has(c.id)) });
  }
  return selected;
}

export interface BenchOutcome extends BenchRun {}

/** Runs the benchmark suite; the programmatic entry the command and the tests share. */
export async function runBench(options: {
  backends: readonly CryptoBackend[];
  quick: boolean;
  filter: RegExp | null;
  plans?: readonly ((context: PlanContext) => GroupPlan)[];
  /** How signal and libsignal are timed side by side; by default, by --quick. */
  sideBySide?: SideBySidePlan;
  progress?: (line: string) => void;
}): Promise<BenchOutcome> {
  const context: PlanContext = { backends: options.backends, raw: true, quick: options.quick };
  const timing = TIMING[options.quick ? 'quick' : 'full'];
  const plans = selectPlans((options.plans ?? PLANS).map((make) => make(context)), options.filter);
  const results: BenchResult[] = [];
  const failed: BenchFailure[] = [];
  const notes: Partial<Record<GroupName, string[]>> = {};
  for (const plan of plans) {
    notes[plan.group] = plan.notes;
    const outcome = await runPlan(plan, {
      timing,
      onCase: (c: BenchCase, i, total) => options.progress?.(`${plan.group} ${i + 1}/${total}: ${c.task} ${c.target ? `${c.target} ` : ''}${c.crypto}`),
    });
    results.push(...outcome.results);
    failed.push(...outcome.failed);
    if (plan.group === 'aead' && options.plans === undefined) {
      options.progress?.('aead: openssl speed -evp, one core (the limit)');
      results.push(...(await opensslLimitRows(options.filter, options.quick ? 1 : 3)));
    }
  }
  let findings: Finding[] = [];
  if (results.some((r) => r.group === 'protocol')) {
    options.progress?.('hot path: signal and libsignal side by side, ratchet message and primitive calls');
    // The bare ratchet message: a longer budget and warm-up than a primitive (it is JavaScript the JIT must optimise first).
    findings = await hotPath(results, {
      backends: options.backends,
      timing: { ...timing, time: timing.time * 4, warmupTime: options.quick ? 300 : 1000, warmupIterations: 10 },
      sideBySide: options.sideBySide ?? SIDE_BY_SIDE[options.quick ? 'quick' : 'full'],
      quick: options.quick,
    });
  }
  let groupSizes: GroupSizeCurve | undefined;
  if (options.plans === undefined && (options.filter === null || options.filter.test(GROUP_SIZE_TASK))) {
    groupSizes = await groupSizeCurve({ crypto: options.backends[0]!, quick: options.quick, progress: options.progress });
    findings.push(groupSizeFinding(groupSizes, options.quick));
  }
  if (selectedAuditFindings(options.filter).length > 0) {
    findings.push(...(await auditFigures({ backends: options.backends, quick: options.quick, filter: options.filter, progress: options.progress })));
  }
  if (options.plans === undefined) {
    options.progress?.('start-up: keyhole list and --version in fresh processes');
    findings.push(...(await startUpFigures(options.filter, options.quick)));
  }
  return { results, failed, findings, notes, ...(groupSizes ? { groupSizes } : {}) };
}

export async function bench(flags: BenchFlags): Promise<number> {
  // Every flag is checked before the first measurement.
  const filter = parseFilter(flags.filter);
  const backends = parseCrypto(flags.crypto);
  checkOutputPath(flags.json, '--json');
  checkOutputPath(flags.md, '--md');

  const tty = process.stderr.isTTY === true && !flags.quiet;
  const started = Date.now();
  const run = await runBench({
    backends,
    quick: flags.quick === true,
    filter,
    progress: flags.quiet
      ? undefined
      : tty
        ? (line) => process.stderr.write(`\r\x1b[K${line.slice(0, (process.stderr.columns ?? 100) - 1)}`)
        : undefined,
  });
  if (tty) process.stderr.write('\r\x1b[K');

  if (run.results.length === 0 && run.failed.length === 0 && run.findings.length === 0 && !run.groupSizes) {
    throw new InputError({ file: COMMAND_LINE, path: '--filter', message: `no benchmark task matches ${String(filter)}` });
  }
  process.stdout.write(renderTerminal(run));
  process.stdout.write(`\n${run.results.length} rows, ${run.failed.length} failed, ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  // As report files are written: a temporary file renamed over the name, never through a link there.
  if (flags.json) await writeReportFile(dirname(resolve(flags.json)), basename(flags.json), `${JSON.stringify(benchDocument(run), null, 2)}\n`);
  if (flags.md) {
    // The group-size chart goes beside the Markdown, which shows it.
    const chart = run.groupSizes ? chartFileName(basename(flags.md)) : undefined;
    if (chart) await writeReportFile(dirname(resolve(flags.md)), chart, groupSizeSvg(run.groupSizes!, machineCaption()));
    await writeReportFile(dirname(resolve(flags.md)), basename(flags.md), renderMarkdown(run, chart));
  }
  return run.failed.length > 0 ? 1 : 0;
}
