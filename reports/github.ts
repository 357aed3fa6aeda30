/**
 * `github`: for GitHub Actions (SPEC §1). One workflow annotation (`::error ...::`) per
 * violated claim, failed run, policy failure and baseline regression, pointing at the
 * scenario file and the line of the step that sent the message concerned, when the scenario
 * is a file of the repository; then report-summary.md (`./summary.ts`) appended to the job
 * summary, `$GITHUB_STEP_SUMMARY`. Outside Actions (`GITHUB_ACTIONS` is not `true`) it says
 * so on stderr and writes nothing.
 *
 * The runner takes a workflow command from any line of a step's output, so every string taken
 * from the report is escaped as GitHub's workflow command rules say: `%`, CR and LF in the
 * message, and `:` and `,` too in a property, where they would end the value and begin
 * another. A message id or a scenario name can neither end the annotation's line (and start
 * a command of its own) nor add a property (`file=`, `line=`).
 */
import { appendFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { formatPolicyFailure } from '../harness/policy.ts';
import type { PolicyFailure, Regression, Report, RunReport, Violation } from '../harness/report/types.ts';
import { clip, escapeUnsafe } from '../harness/printable.ts';
import { runKey } from '../harness/report/read.ts';
import { renderSummary } from './summary.ts';
import type { ReporterEntry, ScenarioSource } from './types.ts';

/** Annotations printed at most; GitHub itself shows the first 10 errors of a step. */
export const MAX_ANNOTATIONS = 1_000;
/** An annotation's message is clipped to this many characters (before escaping). */
const MAX_MESSAGE_CHARS = 2_000;
/** An annotation's title is clipped to this many characters (before escaping). */
const MAX_TITLE_CHARS = 200;

/** What the reporter reads from the process it runs in (given, so that tests can set it). */
export interface GithubHost {
  env: Readonly<Record<string, string | undefined>>;
  stderr: NodeJS.WritableStream;
  /** The working folder, against which relative scenario paths are resolved. */
  cwd: string;
}

export interface Annotation {
  title: string;
  message: string;
  /** The scenario file, relative to the repository's root, with `/`. */
  file?: string;
  line?: number;
}

/** A workflow command's message: `%`, CR and LF escaped. */
export function escapeData(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A workflow command's property value: as a message, and `:` and `,` too. */
export function escapeProperty(value: string): string {
  return escapeData(value).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * Annotation text as the log may show it: control, bidirectional and invisible characters
 * from input as escapes (harness/printable.ts); line breaks stay, for `escapeData` to encode.
 */
function shown(text: string): string {
  return text
    .split(/(\r\n|\r|\n)/)
    .map((part, i) => (i % 2 === 1 ? part : escapeUnsafe(part)))
    .join('');
}

/** `::error title=...,file=...,line=...::message`, one line whatever the annotation holds. */
export function formatAnnotation(annotation: Annotation): string {
  const properties = [`title=${escapeProperty(clip(shown(annotation.title), MAX_TITLE_CHARS))}`];
  if (annotation.file !== undefined) properties.push(`file=${escapeProperty(shown(annotation.file))}`);
  if (annotation.file !== undefined && annotation.line !== undefined) properties.push(`line=${annotation.line}`);
  return `::error ${properties.join(',')}::${escapeData(clip(shown(annotation.message), MAX_MESSAGE_CHARS))}`;
}

/**
 * The annotations of a report: violated claims, failed runs, policy failures, baseline
 * regressions, in that order. `workspace`: the repository's root; scenario files outside
 * it (or inside a `node_modules` folder: an installed package's) are not pointed at.
 */
export function annotationsOf(report: Report, sources: ReadonlyMap<string, ScenarioSource>, workspace: string, cwd: string): Annotation[] {
  const runs = new Map<string, RunReport>();
  for (const run of report.runs) {
    const key = runKey(run);
    if (!runs.has(key)) runs.set(key, run);
  }
  const at = (where: Pick<Violation, 'target' | 'scenario' | 'adversary'>, step: (run: RunReport) => number | null) => {
    const run = runs.get(runKey(where));
    if (!run) return {};
    const source = sources.get(run.scenario);
    const file = source && repositoryPath(source.file, workspace, cwd);
    if (!source || file === null) return {};
    const index = step(run);
    const line = index === null ? null : (source.stepLines[index] ?? null);
    return line === null ? { file } : { file, line };
  };
  const name = (v: Pick<Violation, 'target' | 'scenario' | 'adversary'>) => `${v.target} · ${v.scenario} · ${v.adversary}`;

  const annotations: Annotation[] = [];
  for (const v of report.violations) {
    annotations.push({
      title: `keyhole: ${v.target} violates its ${v.property} claim against ${v.adversary}`,
      message: `${name(v)}: ${v.property} violated: ${v.detail}`,
      ...at(v, (run) => findingStep(run, v.property)),
    });
  }
  for (const run of report.runs.filter((r) => r.status === 'error')) {
    annotations.push({ title: `keyhole: a run of ${run.target} failed`, message: `${name(run)}: ${run.error ?? 'unknown error'}`, ...at(run, () => null) });
  }
  for (const f of report.policy?.failures ?? []) {
    annotations.push({
      title: `keyhole: policy expectation expect[${f.entry}] failed (${report.policy!.file})`,
      message: formatPolicyFailure(f),
      ...at(f, (run) => policyStep(run, f)),
    });
  }
  for (const r of report.baseline?.regressions ?? []) {
    annotations.push({
      title: `keyhole: regression against the baseline (${report.baseline!.file})`,
      message: r.description,
      ...at(r, (run) => regressionStep(run, r)),
    });
  }
  return annotations;
}

/* ------------------------------------------------------------------------------------------ */
/* Which step a finding points at                                                             */
/* ------------------------------------------------------------------------------------------ */

/**
 * The step that sent the message a violated property is about: the first message that leaked
 * beyond the adversary's entitlement (confidentiality), the first `before` message that
 * leaked (forward secrecy), the last `after` message that leaked (post-compromise security:
 * the leaks that did not stop); for the other properties, the adversary's strike.
 */
export function findingStep(run: RunReport, property: string): number | null {
  const leaked = run.messages.filter((m) => m.leaked);
  switch (property) {
    case 'confidentiality':
      return leaked.find((m) => m.class !== 'exposed')?.step ?? null;
    case 'forward-secrecy':
      return leaked.find((m) => m.class === 'before')?.step ?? null;
    case 'post-compromise-security':
      return leaked.findLast((m) => m.class === 'after')?.step ?? null;
    default:
      return run.strikeStep ?? null;
  }
}

function policyStep(run: RunReport, failure: PolicyFailure): number | null {
  if (run.status === 'error') return null;
  // An entry with a property failed on its verdict; one without, on leaked messages (maxLeaked).
  return failure.property !== null ? findingStep(run, failure.property) : (run.messages.find((m) => m.leaked)?.step ?? null);
}

function regressionStep(run: RunReport, regression: Regression): number | null {
  if (regression.kind === 'message') return run.messages.find((m) => m.id === regression.subject)?.step ?? null;
  if (regression.kind === 'property' && regression.subject !== null) return findingStep(run, regression.subject);
  return null;
}

/**
 * `file` as a path from the repository's root (`/`-separated), or null when it is not a file
 * of the repository: outside `workspace`, or in a `node_modules` folder.
 */
export function repositoryPath(file: string, workspace: string, cwd: string): string | null {
  const path = relative(resolve(workspace), resolve(cwd, file));
  if (path === '' || isAbsolute(path) || path === '..' || path.startsWith(`..${sep}`)) return null;
  const parts = path.split(sep);
  return parts.includes('node_modules') ? null : parts.join('/');
}

/* ------------------------------------------------------------------------------------------ */
/* The reporter                                                                                */
/* ------------------------------------------------------------------------------------------ */

/** The `github` reporter, reading its environment from `host`. */
export function githubReporterFor(host: () => GithubHost): ReporterEntry<null> {
  return {
    description: 'GitHub Actions: an annotation per finding, report-summary.md as the job summary',
    files: [],
    create: ({ stdout, scenarioSources }) => ({
      async onEnd(report) {
        const { env, stderr, cwd } = host();
        if (env.GITHUB_ACTIONS !== 'true') {
          stderr.write('keyhole: the github reporter writes only on GitHub Actions (GITHUB_ACTIONS is not true); nothing written\n');
          return null;
        }
        const annotations = annotationsOf(report, scenarioSources ?? new Map(), env.GITHUB_WORKSPACE || cwd, cwd);
        const lines = annotations.slice(0, MAX_ANNOTATIONS).map(formatAnnotation);
        if (annotations.length > MAX_ANNOTATIONS) {
          lines.push(`::warning title=keyhole::${annotations.length - MAX_ANNOTATIONS} more findings are not annotated; every one is in report.md`);
        }
        if (lines.length > 0) stdout.write(`${lines.join('\n')}\n`);
        const summaryFile = env.GITHUB_STEP_SUMMARY;
        if (summaryFile) await appendFile(summaryFile, renderSummary(report));
        else stderr.write('keyhole: GITHUB_STEP_SUMMARY is not set; the summary is not written to the job summary\n');
        return null;
      },
    }),
  };
}

export const githubReporter = githubReporterFor(() => ({ env: process.env, stderr: process.stderr, cwd: process.cwd() }));
