/**
 * `--baseline <report.json>`: what got worse than in an earlier report. Runs are matched by
 * (target, scenario, adversary), messages by id. Worse is:
 * - a message that was not leaked and now is;
 * - a property whose verdict was anything but `violated` and now is `violated`;
 * - a run that was `ok` and now is `error`;
 * - a new message id (or a new run) that looks the same as one of the baseline that is gone
 *   (`sоurce` with a Cyrillic `о` for `source`, UTS #39 confusables, `./look-alike.ts`): a
 *   renamed look-alike would otherwise pass as "new", and whatever the old one did, unseen.
 * Runs and messages the baseline does not have (or did not judge: its run was
 * `not-applicable` or failed) cannot have got worse; they are listed in notes instead.
 */
import { MAX_LISTED_ITEM_CHARS } from '../harness/limits.ts';
import { describeDifference, lookAlikePairs } from './look-alike.ts';
import { cut, echo } from '../harness/printable.ts';
import { readReportFile, runKey, runName } from '../harness/report/read.ts';
import type { BaselineOutcome, PropertyReport, Regression, Report, RunReport } from '../harness/report/types.ts';
import { isClaimViolation } from '../harness/report/verdicts.ts';

/** Reads the baseline report; anything unreadable or not a keyhole report is an `InputError`. */
export function loadBaseline(path: string): Report {
  return readReportFile(path, 'baseline report');
}

export function compareWithBaseline(baseline: Report, current: Pick<Report, 'runs' | 'seed'>, file: string): BaselineOutcome {
  const before = new Map(baseline.runs.map((run) => [runKey(run), run]));
  const regressions: Regression[] = [];
  const newRuns: RunReport[] = [];
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
      newRuns.push(run);
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
    const ids = new Set(run.messages.map((m) => m.id));
    const lookAlikes = lookAlikePairs(
      run.messages.filter((m) => !oldMessages.has(m.id)).map((m) => m.id),
      was.messages.filter((m) => !ids.has(m.id)).map((m) => m.id),
    );
    const renamed = new Set(lookAlikes.flatMap((pair) => [pair.added, pair.removed]));
    for (const { added, removed } of lookAlikes) {
      add(
        'look-alike',
        added,
        removed,
        added,
        `message ${echo(added)} is new and looks the same as ${echo(removed)} of the baseline, which is no longer sent ` +
          `(${describeDifference(added, removed)}); counted as worse: a look-alike id hides what became of that message`,
      );
    }
    for (const message of run.messages) {
      const old = oldMessages.get(message.id);
      if (!old) {
        if (!renamed.has(message.id)) newMessages.push(`${runName(run)}: ${message.id}`);
        continue;
      }
      if (message.leaked && !old.leaked) {
        const via = message.via ? ` (via ${message.via})` : '';
        add('message', message.id, 'not leaked', `leaked${via}`, `message '${message.id}' leaked${via}; it did not leak in the baseline`);
      }
    }
    for (const old of was.messages) if (!ids.has(old.id) && !renamed.has(old.id)) goneMessages.push(`${runName(run)}: ${old.id}`);

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

  let missing = baseline.runs.filter((run) => !seen.has(runKey(run)));
  // A new run that looks the same as a run of the baseline that is gone: worse, not new.
  const runPairs = lookAlikePairs(newRuns.map(runKey), missing.map(runKey));
  if (runPairs.length > 0) {
    const newByKey = new Map(newRuns.map((run) => [runKey(run), run]));
    const missingByKey = new Map(missing.map((run) => [runKey(run), run]));
    for (const { added, removed } of runPairs) {
      const run = newByKey.get(added)!;
      const old = missingByKey.get(removed)!;
      regressions.push({
        target: run.target,
        scenario: run.scenario,
        adversary: run.adversary,
        kind: 'look-alike',
        subject: runName(run),
        was: runName(old),
        now: runName(run),
        description:
          `the run ${echo(runName(run))} is new and looks the same as ${echo(runName(old))} of the baseline, which is not in this report ` +
          `(${describeDifference(runName(run), runName(old))}); counted as worse: a look-alike name hides what became of that run`,
      });
    }
    const paired = new Set(runPairs.flatMap((pair) => [pair.added, pair.removed]));
    newRuns.splice(0, newRuns.length, ...newRuns.filter((run) => !paired.has(runKey(run))));
    missing = missing.filter((run) => !paired.has(runKey(run)));
  }
  const notes: string[] = [];
  // Names in notes may come from the baseline file: each is cut to a readable length.
  const listed = (items: string[]) => {
    const shown = items.slice(0, 5).map((item) => cut(item, MAX_LISTED_ITEM_CHARS));
    return items.length > 5 ? `${shown.join('; ')}; and ${items.length - 5} more` : shown.join('; ');
  };
  if (newRuns.length > 0) {
    notes.push(`${newRuns.length} run(s) not in the baseline, not compared (new runs are not worse): ${listed(newRuns.map(runName))}`);
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
