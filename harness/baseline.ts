/**
 * `--baseline <report.json>`: what got worse than in an earlier report. Runs are matched by
 * (target, scenario, adversary), messages by id. Worse is:
 * - a message that was not leaked and now is;
 * - a property whose verdict was anything but `violated` and now is `violated`;
 * - a run that was `ok` and now is `error`.
 * Runs and messages the baseline does not have (or did not judge: its run was
 * `not-applicable` or failed) cannot have got worse; they are listed in notes instead.
 */
import { readReportFile, runKey, runName } from './report/read.ts';
import type { BaselineOutcome, PropertyReport, Regression, Report } from './report/types.ts';
import { isClaimViolation } from './report/verdicts.ts';

/** Reads the baseline report; anything unreadable or not a keyhole report is an `InputError`. */
export function loadBaseline(path: string): Report {
  return readReportFile(path, 'baseline report');
}

export function compareWithBaseline(baseline: Report, current: Pick<Report, 'runs' | 'seed'>, file: string): BaselineOutcome {
  const before = new Map(baseline.runs.map((run) => [runKey(run), run]));
  const regressions: Regression[] = [];
  const newRuns: string[] = [];
  const unjudged: string[] = [];
  const notApplicable: string[] = [];
  const newMessages: string[] = [];
  const goneMessages: string[] = [];
  const seen = new Set<string>();

  for (const run of current.runs) {
    const key = runKey(run);
    seen.add(key);
    const was = before.get(key);
    if (!was) {
      newRuns.push(runName(run));
      continue;
    }
    const add = (kind: Regression['kind'], subject: string | null, wasText: string, nowText: string, description: string) =>
      regressions.push({
        target: run.target,
        scenario: run.scenario,
        adversary: run.adversary,
        kind,
        subject,
        was: wasText,
        now: nowText,
        description: `${runName(run)}: ${description}`,
      });

    if (run.status === 'error') {
      if (was.status === 'ok') {
        add('status', null, 'ok', `error: ${run.error ?? 'unknown'}`, `the run failed (${run.error ?? 'unknown error'}); it was ok in the baseline`);
      }
      continue;
    }
    if (was.status !== 'ok') {
      // Nothing was judged in the baseline: nothing to compare with.
      if (run.status === 'ok') unjudged.push(`${runName(run)} (${was.status} in the baseline)`);
      continue;
    }
    if (run.status === 'not-applicable') {
      notApplicable.push(runName(run));
      continue;
    }

    const oldMessages = new Map(was.messages.map((m) => [m.id, m]));
    for (const message of run.messages) {
      const old = oldMessages.get(message.id);
      if (!old) {
        newMessages.push(`${runName(run)}: ${message.id}`);
        continue;
      }
      if (message.leaked && !old.leaked) {
        const via = message.via ? ` (via ${message.via})` : '';
        add('message', message.id, 'not leaked', `leaked${via}`, `message '${message.id}' leaked${via}; it did not leak in the baseline`);
      }
    }
    const ids = new Set(run.messages.map((m) => m.id));
    for (const old of was.messages) if (!ids.has(old.id)) goneMessages.push(`${runName(run)}: ${old.id}`);

    const oldProperties = new Map(was.properties.map((p) => [p.property, p]));
    for (const property of run.properties) {
      const old = oldProperties.get(property.property);
      if (property.verdict === 'violated' && old && old.verdict !== 'violated') {
        add(
          'property',
          property.property,
          old.verdict,
          'violated',
          `${property.property} is violated${claimNote(property)}; it was ${old.verdict} in the baseline${property.detail ? `: ${property.detail}` : ''}`,
        );
      }
    }
  }

  const missing = baseline.runs.filter((run) => !seen.has(runKey(run)));
  const notes: string[] = [];
  const listed = (items: string[]) => (items.length > 5 ? `${items.slice(0, 5).join('; ')}; and ${items.length - 5} more` : items.join('; '));
  if (newRuns.length > 0) {
    notes.push(`${newRuns.length} run(s) not in the baseline, not compared (new runs are not worse): ${listed(newRuns)}`);
  }
  if (unjudged.length > 0) {
    notes.push(`${unjudged.length} run(s) judged now but not in the baseline, not compared: ${listed(unjudged)}`);
  }
  if (notApplicable.length > 0) {
    notes.push(`${notApplicable.length} run(s) judged in the baseline are not applicable now: ${listed(notApplicable)}`);
  }
  if (newMessages.length > 0) {
    notes.push(`${newMessages.length} message(s) not in the baseline, not compared (new messages are not worse): ${listed(newMessages)}`);
  }
  if (goneMessages.length > 0) {
    notes.push(`${goneMessages.length} message(s) of the baseline are no longer sent: ${listed(goneMessages)}`);
  }
  if (missing.length > 0) {
    notes.push(`${missing.length} run(s) of the baseline are not in this report (other targets, scenarios, adversaries or shards): ${listed(missing.map(runName))}`);
  }
  if (baseline.seed !== current.seed) {
    notes.push(`the baseline was made with seed ${baseline.seed}, this report with seed ${current.seed}`);
  }
  return { file, regressions, notes };
}

/** ` (claimed)` for a claim violation, ` (not claimed for groups)` for a violation outside the claim's scope. */
function claimNote(property: PropertyReport): string {
  if (isClaimViolation(property)) return ' (claimed)';
  return property.notClaimedFor === undefined ? '' : ` (not claimed for ${property.notClaimedFor})`;
}
