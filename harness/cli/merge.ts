/**
 * `keyhole merge <report.json...> -o <dir>`: the reports of the shards of one audit
 * (`--shard i/n`) back into the report of the whole audit, and its other formats.
 *
 * Every input is checked: schema `keyhole-report/1`, one seed, one tool version, no run twice.
 * Shard reports say which shard they are (`shard`), so the runs go back to their matrix
 * order whatever order the files come in, and a missing shard is an error. Reports without
 * `shard` (audits of different targets, say) are joined in the order given. `--scenario`
 * names the scenario files the audit ran, for reporters that point at their steps (github).
 */
import { InputError } from '../errors.ts';
import type { InputProblem } from '../errors.ts';
import { readReportFile, runKey, runName } from '../report/read.ts';
import type { Report, RunReport } from '../report/types.ts';
import { assembleReport } from '../runner.ts';
import { loadScenarios } from '../scenario/load.ts';
import { matrixIndex, shardSize } from '../shard.ts';
import { applyChecks, createReporters, exitStatus, loadChecks, pickReporters, printChecks, writeReports } from './audit.ts';
import { loadOptions } from './catalogue.ts';

export interface MergeFlags {
  out: string;
  reporter: string;
  policy?: string;
  baseline?: string;
  /** Scenario files or folders the audit ran (`--scenario`, repeatable): where the github reporter points. */
  scenario?: string[];
  quiet?: boolean;
}

export interface ReportFile {
  file: string;
  report: Report;
}

export async function merge(files: string[], flags: MergeFlags): Promise<number> {
  const reporterEntries = pickReporters(flags.reporter);
  const checks = loadChecks(flags);
  const scenarios = flags.scenario && flags.scenario.length > 0 ? loadScenarios(flags.scenario, loadOptions) : [];
  const problems: InputProblem[] = [];
  const inputs: ReportFile[] = [];
  for (const file of files) {
    try {
      inputs.push({ file, report: readReportFile(file, 'a shard report') });
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new InputError(problems);
  const report = mergeReports(inputs);
  applyChecks(report, checks);
  await writeReports(report, createReporters(reporterEntries, flags.out, scenarios), flags.quiet);
  printChecks(report, flags.quiet);
  return exitStatus(report);
}

/** One report of the whole audit from the reports of its shards; `InputError` when they do not fit together. */
export function mergeReports(inputs: readonly ReportFile[]): Report {
  if (inputs.length === 0) throw new InputError({ file: '<command line>', path: '', message: 'expected at least one report.json to merge' });
  const problems: InputProblem[] = [];
  const first = inputs[0]!;
  for (const { file, report } of inputs.slice(1)) {
    if (report.seed !== first.report.seed) {
      problems.push({ file, path: 'seed', message: `seed ${report.seed} differs from seed ${first.report.seed} of ${first.file}; expected reports of one audit` });
    }
    if (report.tool.version !== first.report.tool.version) {
      problems.push({
        file,
        path: 'tool.version',
        message: `keyhole ${report.tool.version} differs from keyhole ${first.report.tool.version} of ${first.file}; expected reports of one keyhole version`,
      });
    }
  }

  const where = new Map<string, string>();
  for (const { file, report } of inputs) {
    report.runs.forEach((run, index) => {
      const key = runKey(run);
      const seen = where.get(key);
      if (seen !== undefined) {
        problems.push({ file, path: `runs[${index}]`, message: `duplicate run ${runName(run)} (also ${seen}); each run may be in one report only` });
      } else {
        where.set(key, `${file} runs[${index}]`);
      }
    });
  }

  const sharded = inputs.filter((input) => input.report.shard !== undefined);
  let runs: RunReport[];
  if (sharded.length === 0) {
    runs = inputs.flatMap((input) => input.report.runs);
  } else if (sharded.length < inputs.length) {
    const whole = inputs.find((input) => input.report.shard === undefined)!;
    problems.push({ file: whole.file, path: '', message: `not a shard report (no 'shard'), but ${sharded[0]!.file} is one; expected the reports of the shards of one audit` });
    runs = [];
  } else {
    runs = orderShards(inputs, problems);
  }
  if (problems.length > 0) throw new InputError(problems);

  const startedAt = new Date(Math.min(...inputs.map((input) => Date.parse(input.report.timing.startedAt))));
  const durationMs = inputs.reduce((sum, input) => sum + input.report.timing.durationMs, 0);
  const merged = assembleReport(runs, first.report.seed, startedAt, durationMs);
  merged.tool = { name: 'keyhole', version: first.report.tool.version };
  return merged;
}

/** The runs of all shards in matrix order; problems when shards are missing, doubled or from other audits. */
function orderShards(inputs: readonly ReportFile[], problems: InputProblem[]): RunReport[] {
  const { count, matrixSize } = inputs[0]!.report.shard!;
  const byIndex = new Map<number, string>();
  const slots: (RunReport | undefined)[] = new Array(matrixSize);
  for (const { file, report } of inputs) {
    const shard = report.shard!;
    if (shard.count !== count || shard.matrixSize !== matrixSize) {
      problems.push({
        file,
        path: 'shard',
        message: `shard ${shard.index}/${shard.count} of ${shard.matrixSize} runs does not fit shard ${inputs[0]!.report.shard!.index}/${count} of ${matrixSize} runs (${inputs[0]!.file}); expected shards of one audit`,
      });
      continue;
    }
    if (shard.index > count) {
      problems.push({ file, path: 'shard.index', message: `expected a shard from 1 to ${count}, got ${shard.index}` });
      continue;
    }
    const other = byIndex.get(shard.index);
    if (other !== undefined) {
      problems.push({ file, path: 'shard.index', message: `shard ${shard.index}/${count} is given twice (also ${other})` });
      continue;
    }
    byIndex.set(shard.index, file);
    const expected = shardSize(matrixSize, shard);
    if (report.runs.length !== expected) {
      problems.push({ file, path: 'runs', message: `shard ${shard.index}/${count} of a matrix of ${matrixSize} runs has ${expected} runs, found ${report.runs.length}` });
      continue;
    }
    report.runs.forEach((run, position) => {
      slots[matrixIndex(shard, position)] = run;
    });
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((index) => !byIndex.has(index));
  if (missing.length > 0) {
    problems.push({
      file: '<command line>',
      path: '',
      message: `missing shard report(s) ${missing.map((i) => `${i}/${count}`).join(', ')}; merge needs the reports of all ${count} shards`,
    });
  }
  return slots.filter((run): run is RunReport => run !== undefined);
}
