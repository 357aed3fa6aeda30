/**
 * `keyhole merge <report.json...> -o <dir>`: the reports of the shards of one audit
 * (`--shard i/n`) back into the report of the whole audit, and its other formats.
 *
 * Nothing in an input is trusted. Each is read as every input file is, and all of them
 * together may hold no more than one report.json (`MAX_REPORT_BYTES`, `MAX_REPORT_VALUES`),
 * so that the merged report can be read again. Every input is checked: schema
 * `keyhole-report/1`, one seed, one tool version, no run twice. Shard reports say which
 * shard they are (`shard`: index, count, matrix size within `harness/shard.ts`'s limits, and
 * the identity of the whole matrix), so the runs go back to their matrix order whatever
 * order the files come in; a missing shard, a shard of another matrix, or runs that do not
 * make up the matrix their shards name are errors, checked before anything is laid out.
 * Reports without `shard` (audits of different targets, say) are joined in the order given.
 * `--scenario` names the scenario files the audit ran, for reporters that point at their steps (github).
 */
import type { Design } from '../../targets/types.ts';
import { InputError } from '../../harness/errors.ts';
import { echo } from '../../harness/printable.ts';
import type { InputProblem } from '../../harness/errors.ts';
import { readReport, reportBudget, runKey, runName } from '../../harness/report/read.ts';
import type { Report, RunReport, ShardInfo } from '../../harness/report/types.ts';
import { assembleReport } from '../../harness/runner.ts';
import { loadScenarios } from '../../harness/scenario/load.ts';
import { matrixId, matrixIndex, MAX_SHARDS, shardSize } from '../../harness/shard.ts';
import { applyChecks, createReporters, exitStatus, loadChecks, openOutDir, pickReporters, printChecks, writeReports } from './audit.ts';
import { registryFor, type PluginFlags } from './catalogue.ts';
import type { Registry } from '../../harness/plugins/registry.ts';
import { EXIT } from './exit.ts';

export interface MergeFlags extends PluginFlags {
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
  const registry = await registryFor(flags);
  const reporterEntries = pickReporters(flags.reporter, registry);
  const checks = loadChecks(flags, registry);
  const scenarios = flags.scenario && flags.scenario.length > 0 ? loadScenarios(flags.scenario, registry.loadOptions) : [];
  if (files.length > MAX_SHARDS) {
    throw new InputError({ file: '<command line>', path: '', message: `expected at most ${MAX_SHARDS} reports to merge, got ${files.length}` });
  }
  const problems: InputProblem[] = [];
  const inputs: ReportFile[] = [];
  const budget = reportBudget('all the reports given to merge');
  for (const file of files) {
    try {
      inputs.push({ file, report: readReport(file, 'shard report', budget) });
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new InputError(problems);
  checkClaims(inputs, await designsNamedIn(inputs, registry), registry.targetNames());
  const report = mergeReports(inputs);
  const outDir = openOutDir(flags.out, reporterEntries, registry);
  applyChecks(report, checks);
  const reported = await writeReports(report, createReporters(reporterEntries, flags.out, scenarios, registry.reporters), outDir, flags.quiet);
  printChecks(report, flags.quiet);
  return reported ? exitStatus(report) : EXIT.harness;
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

/**
 * Which verdicts are claim violations decides the exit status, so a shard's `claimed` and
 * `notClaimedFor` are checked against what each design claims in this keyhole's catalogue:
 * a report is input, and an edited one must not hide a violated claim.
 */
export function checkClaims(inputs: readonly ReportFile[], catalogue: Readonly<Record<string, Design>>, known: readonly string[] = Object.keys(catalogue)): void {
  const problems: InputProblem[] = [];
  for (const { file, report } of inputs) {
    for (const [index, run] of report.runs.entries()) {
      const design = Object.hasOwn(catalogue, run.target) ? catalogue[run.target]! : undefined;
      if (!design) {
        problems.push({ file, path: `runs[${index}].target`, message: `unknown target ${echo(run.target)}; expected one of: ${known.join(', ')} (a target of a config or plugin needs --config or --plugin)` });
        continue;
      }
      for (const [at, property] of run.properties.entries()) {
        const claim = design.claims.find((c) => c.property === property.property && c.adversaries.includes(run.adversary));
        const path = `runs[${index}].properties[${at}]`;
        if (property.claimed !== (claim !== undefined)) {
          problems.push({
            file,
            path: `${path}.claimed`,
            message: `expected ${claim !== undefined}: ${design.name} ${claim ? 'claims' : 'does not claim'} ${property.property} against ${echo(run.adversary)}`,
          });
        } else if (property.notClaimedFor !== undefined && (!claim || (claim.scope === undefined && claim.conversations === undefined))) {
          problems.push({ file, path: `${path}.notClaimedFor`, message: `expected none: ${design.name}'s claim of ${property.property} against ${echo(run.adversary)} has no scope to fall outside of` });
        }
        if (problems.length >= MAX_CLAIM_PROBLEMS) throw new InputError(problems);
      }
    }
  }
  if (problems.length > 0) throw new InputError(problems);
}

/** The designs the reports name (loaded: their claims are in their modules); names that are none are left for `checkClaims` to refuse. */
async function designsNamedIn(inputs: readonly ReportFile[], registry: Registry): Promise<Record<string, Design>> {
  const names = new Set(inputs.flatMap(({ report }) => report.runs.map((run) => run.target)));
  const designs: Record<string, Design> = {};
  for (const name of names) {
    const design = registry.loadTarget(name);
    if (design) designs[name] = await design;
  }
  return designs;
}

/** How many claim problems `checkClaims` reports before it stops. */
const MAX_CLAIM_PROBLEMS = 20;

/** How many missing shards a message names; the rest are counted. */
const MISSING_SHARDS_NAMED = 10;

/**
 * The runs of all shards in matrix order; problems when shards are missing, doubled or from
 * other audits. Every number of every shard section is checked against the first one's and
 * against its runs before anything the size of the matrix is made.
 */
function orderShards(inputs: readonly ReportFile[], problems: InputProblem[]): RunReport[] {
  const first = inputs[0]!;
  const expected = first.report.shard!;
  const { count, matrixSize } = expected;
  const describeShard = (shard: ShardInfo) => `shard ${shard.index}/${shard.count} of ${shard.matrixSize} runs`;
  const byIndex = new Map<number, ReportFile>();
  const before = problems.length;
  for (const input of inputs) {
    const { file, report } = input;
    const shard = report.shard!;
    if (shard.matrixId === undefined) {
      problems.push({ file, path: 'shard.matrixId', message: 'missing: the report does not say which matrix it is a shard of (written by an older keyhole?); run the shards again' });
      continue;
    }
    if (shard.index > shard.count) {
      problems.push({ file, path: 'shard.index', message: `expected a shard from 1 to ${shard.count}, got ${shard.index}` });
      continue;
    }
    if (input !== first && expected.matrixId !== undefined && shard.matrixId !== expected.matrixId) {
      problems.push({
        file,
        path: 'shard.matrixId',
        message: `a shard of another audit: its matrix (${shortId(shard.matrixId)}, ${shard.matrixSize} runs) is not the matrix of ${first.file} (${shortId(expected.matrixId)}, ${matrixSize} runs); expected shards of one audit (same targets, scenarios and adversaries)`,
      });
      continue;
    }
    if (shard.count !== count || shard.matrixSize !== matrixSize) {
      problems.push({ file, path: 'shard', message: `${describeShard(shard)} does not fit ${describeShard(expected)} (${first.file}); expected shards of one audit` });
      continue;
    }
    const other = byIndex.get(shard.index);
    if (other !== undefined) {
      problems.push({ file, path: 'shard.index', message: `shard ${shard.index}/${count} is given twice (also ${other.file})` });
      continue;
    }
    byIndex.set(shard.index, input);
    const size = shardSize(matrixSize, shard);
    if (report.runs.length !== size) {
      problems.push({ file, path: 'runs', message: `shard ${shard.index}/${count} of a matrix of ${matrixSize} runs has ${size} runs, found ${report.runs.length}` });
    }
  }
  if (problems.length > before) return [];
  const missing: number[] = [];
  for (let index = 1; index <= count && missing.length <= MISSING_SHARDS_NAMED; index++) if (!byIndex.has(index)) missing.push(index);
  if (missing.length > 0) {
    const named = missing.slice(0, MISSING_SHARDS_NAMED).map((i) => `${i}/${count}`);
    const more = count - byIndex.size - named.length;
    problems.push({
      file: '<command line>',
      path: '',
      message: `missing shard report(s) ${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}; merge needs the reports of all ${count} shards`,
    });
    return [];
  }

  // Every shard is there once with the right number of runs: together they fill the matrix exactly.
  const slots: RunReport[] = new Array(matrixSize);
  for (const { report } of byIndex.values()) {
    report.runs.forEach((run, position) => {
      slots[matrixIndex(report.shard!, position)] = run;
    });
  }
  const found = matrixId(slots.map(runKey));
  if (found !== expected.matrixId) {
    problems.push({
      file: first.file,
      path: 'shard.matrixId',
      message: `the runs of the ${count} shard reports given are not the matrix they name (${shortId(expected.matrixId!)}; their runs make ${shortId(found)}); a report was changed, or its runs are of another audit`,
    });
    return [];
  }
  return slots;
}

/** The first digits of a matrix identity, enough to tell two apart in a message. */
function shortId(id: string): string {
  return `sha256 ${id.slice(0, 12)}`;
}
