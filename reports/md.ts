/**
 * `md`: report.md, the whole report in Markdown. A one-line verdict, the
 * target x adversary matrix, the violated claims and failed runs, then every run in a
 * collapsible `<details>` block (properties and messages).
 *
 * The md reporter also writes `report-summary.md` beside it (`./summary.ts`): the verdict,
 * the breaches matrix and the findings, in a size a comment always holds.
 *
 * Everything taken from the report goes through `mdEscape`, which turns the characters
 * that mean something to Markdown or HTML into character references, and newlines into
 * `<br>`: a message id like `<img src=x onerror=alert(1)>` or `a|b` shows as written and
 * can neither inject markup nor break a table.
 */
import type { AlertReport, ForgeryReport, MessageReport, PropertyReport, Report, RunReport, ScanFindings } from '../harness/report/types.ts';
import { filesReporter } from './file-reporter.ts';
import { isClaimViolation, verdictWording } from '../harness/report/verdicts.ts';
import { buildMatrix, CELL_LEGEND, cellCounts, inconclusiveMark, PROPERTY_ABBREVIATIONS, standingOf, type MatrixCell } from './matrix.ts';
import { mdEscape, verdictLine } from './md-text.ts';
import { selectMessages } from './message-selection.ts';
import { renderSummary, SUMMARY_FILE } from './summary.ts';

export { findingCounts, mdEscape } from './md-text.ts';

export function renderMarkdown(report: Report): string {
  const out: string[] = [];
  const errors = report.runs.filter((r) => r.status === 'error');
  const ok = report.runs.filter((r) => r.status === 'ok').length;
  const na = report.runs.filter((r) => r.status === 'not-applicable').length;

  out.push('# keyhole report', '');
  out.push(verdictLine(report), '');
  const shard = report.shard ? ` · shard ${mdEscape(report.shard.index)}/${mdEscape(report.shard.count)} of ${mdEscape(report.shard.matrixSize)} runs` : '';
  out.push(
    `${report.runs.length} runs (${ok} ok, ${na} not applicable, ${errors.length} failed)${shard} · seed ${mdEscape(report.seed)} · ` +
      `keyhole ${mdEscape(report.tool.version)} · started ${mdEscape(report.timing.startedAt)} · ${mdEscape(report.timing.durationMs)} ms`,
    '',
  );

  out.push('## Target × adversary', '', ...matrixTable(report), '');
  out.push(
    `<sub>${CELL_LEGEND.map(mdEscape).join('; ')}; n/a: the adversary did not apply to any scenario. ` +
      Object.entries(PROPERTY_ABBREVIATIONS)
        .filter(([name, short]) => name !== short)
        .map(([name, short]) => `${short} = ${name}`)
        .join(', ') +
      '</sub>',
    '',
  );

  if (report.violations.length > 0) {
    out.push(`## Violated claims (${report.violations.length})`, '');
    for (const v of report.violations) {
      out.push(`- ✗ **${mdEscape(v.target)}** · ${mdEscape(v.scenario)} · ${mdEscape(v.adversary)} · **${mdEscape(v.property)}**: ${mdEscape(v.detail)}`);
    }
    out.push('');
  }
  if (errors.length > 0) {
    out.push(`## Failed runs (${errors.length})`, '');
    for (const r of errors) {
      out.push(`- ⚠ **${mdEscape(r.target)}** · ${mdEscape(r.scenario)} · ${mdEscape(r.adversary)}: ${mdEscape(r.error ?? 'unknown error')}`);
    }
    out.push('');
  }

  if (report.policy) {
    const { file, failures } = report.policy;
    out.push(`## Policy ${mdEscape(file)}`, '');
    if (failures.length === 0) out.push('✓ every expectation holds');
    for (const f of failures) {
      const property = f.property === null ? '' : ` · **${mdEscape(f.property)}**`;
      out.push(
        `- ✗ expect[${mdEscape(f.entry)}] **${mdEscape(f.target)}** · ${mdEscape(f.scenario)} · ${mdEscape(f.adversary)}${property}: ` +
          `expected ${mdEscape(f.expected)}, got ${mdEscape(f.actual)}`,
      );
    }
    out.push('');
  }
  if (report.baseline) {
    const { file, regressions, notes } = report.baseline;
    out.push(`## Baseline ${mdEscape(file)}`, '');
    if (regressions.length === 0) out.push('✓ nothing got worse');
    for (const r of regressions) out.push(`- ✗ ${mdEscape(r.description)}`);
    if (notes.length > 0) {
      out.push('', `<details><summary>${notes.length} note${notes.length === 1 ? '' : 's'} on the comparison</summary>`, '');
      for (const note of notes) out.push(`- ${mdEscape(note)}`);
      out.push('', '</details>');
    }
    out.push('');
  }

  if (report.runs.length > 0) {
    out.push('## Runs', '');
    for (const run of report.runs) out.push(...runDetails(run), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function matrixTable(report: Report): string[] {
  const matrix = buildMatrix(report);
  if (matrix.targets.length === 0) return ['_no runs_'];
  const rows = [
    `| target \\ adversary | ${matrix.adversaries.map(mdEscape).join(' | ')} |`,
    `|---|${matrix.adversaries.map(() => ':---:').join('|')}|`,
  ];
  for (const target of matrix.targets) {
    const cells = matrix.adversaries.map((adversary) => matrixCell(matrix.cell(target, adversary)));
    rows.push(`| **${mdEscape(target)}** | ${cells.join(' | ')} |`);
  }
  return rows;
}

function matrixCell(cell: MatrixCell | undefined): string {
  if (!cell) return '';
  if (cell.runs === cell.notApplicable) return 'n/a';
  const { ratio, exposed, unnoticed, linked } = cellCounts(cell);
  const standing = standingOf(cell);
  const parts = [ratio];
  if (exposed !== null) parts.push(mdEscape(exposed));
  if (unnoticed !== null) parts.push(mdEscape(unnoticed));
  if (linked !== null) parts.push(mdEscape(linked));
  if (standing === 'claim-broken') parts.push(`✗ ${cell.violated.map((p) => mdEscape(PROPERTY_ABBREVIATIONS[p] ?? p)).join(', ')}`);
  if (standing === 'unclaimed-breach') parts.push('unclaimed');
  const unsettled = inconclusiveMark(cell.inconclusive);
  if (unsettled !== null) parts.push(mdEscape(unsettled));
  if (cell.errors > 0) parts.push(`⚠ ${cell.errors} error${cell.errors === 1 ? '' : 's'}`);
  return parts.join(' ');
}

function runDetails(run: RunReport): string[] {
  const violated = run.properties.filter(isClaimViolation).map((p) => p.property);
  // An unsettled property makes the leak count a lower bound, never a pass.
  const unsettled = run.status === 'ok' ? run.properties.filter((p) => p.verdict === 'inconclusive').map((p) => p.property) : [];
  const icon = run.status === 'error' ? '⚠' : run.status === 'not-applicable' ? '–' : violated.length > 0 ? '✗' : unsettled.length > 0 ? '?' : '✓';
  let headline = `${run.summary.leaked}/${run.summary.messages} leaked`;
  if (run.status === 'error') headline = 'error';
  if (run.status === 'not-applicable') headline = 'not applicable';
  if (violated.length > 0) headline += `; violated: ${violated.map(mdEscape).join(', ')}`;
  if (unsettled.length > 0) headline += `; inconclusive: ${unsettled.map(mdEscape).join(', ')}`;

  const out = [
    '<details>',
    `<summary>${icon} <b>${mdEscape(run.target)}</b> · ${mdEscape(run.scenario)} · ${mdEscape(run.adversary)}: ${headline}</summary>`,
    '',
    `- status: **${mdEscape(run.status)}**`,
  ];
  if (run.error !== null) out.push(`- error: ${mdEscape(run.error)}`);
  if (run.strikeStep !== undefined && run.strikeStep !== null) out.push(`- strike: step ${mdEscape(run.strikeStep)}`);
  const marks = Object.entries(run.marks ?? {});
  if (marks.length > 0) out.push(`- marks: ${marks.map(([name, step]) => `${mdEscape(name)} (step ${mdEscape(step)})`).join(', ')}`);
  if (run.scan) out.push(`- match list: ${scanLine(run.scan)}`);
  if (run.notes && run.notes.length > 0) {
    out.push('- notes:');
    for (const note of run.notes) out.push(`  - ${mdEscape(note)}`);
  }
  out.push('');
  // A run that did not apply lists every property as not applicable for the reason in its notes.
  const informative = run.properties.some((p) => p.claimed || p.verdict !== 'not-applicable');
  if (informative) out.push(...propertiesTable(run.properties), '');
  if (run.messages.length > 0) {
    const { shown, note } = selectMessages(run.messages);
    if (note !== null) out.push(`_${mdEscape(note)}_`, '');
    if (shown.length > 0) out.push(...messagesTable(shown), '');
  }
  if (run.forgeries) out.push(...forgeriesTable(run.forgeries), '');
  if (run.alerts && run.alerts.length > 0) out.push(alertsLine(run.alerts), '');
  out.push('</details>');
  return out;
}

/** What a match list flagged: "flagged 3 of 5 listed (forward, moved, pass-on); false positives: none; missed: did-you-see" */
function scanLine(scan: ScanFindings): string {
  const ids = (list: readonly string[]) => (list.length === 0 ? 'none' : list.map(mdEscape).join(', '));
  return `flagged ${scan.flagged.length} (${ids(scan.flagged)}); listed with near-duplicates: ${ids(scan.listed)}; false positives: ${scan.falsePositives.length} (${ids(scan.falsePositives)}); missed: ${ids(scan.missed)}`;
}

function propertiesTable(properties: PropertyReport[]): string[] {
  const rows = ['| property | verdict | claimed | detail | healedAfter |', '|---|---|:---:|---|:---:|'];
  for (const p of properties) {
    const verdict = isClaimViolation(p) ? `**✗ ${mdEscape(p.verdict)}**` : mdEscape(verdictWording(p));
    let detail = mdEscape(p.detail);
    if (p.seen) detail += `${detail ? '<br>' : ''}seen: ${p.seen.length > 0 ? p.seen.map(mdEscape).join(', ') : 'nothing'}`;
    const healed = p.healedAfter === undefined ? '' : p.healedAfter === null ? 'never' : mdEscape(p.healedAfter);
    rows.push(`| ${mdEscape(p.property)} | ${verdict} | ${p.claimed ? 'yes' : 'no'} | ${detail} | ${healed} |`);
  }
  return rows;
}

function messagesTable(messages: MessageReport[]): string[] {
  const rows = [
    '| id | from | to | step | class | delivered | verified | leaked | via | noticed |',
    '|---|---|---|---:|---|:---:|:---:|:---:|---|:---:|',
  ];
  for (const m of messages) {
    rows.push(
      `| ${mdEscape(m.id)} | ${mdEscape(m.from)} | ${mdEscape(m.to)} | ${mdEscape(m.step)} | ${mdEscape(m.class)} | ` +
        `${m.delivered ? 'yes' : 'no'}${m.unreadable ? ` (unreadable: ${m.unreadable.map(mdEscape).join(', ')})` : ''} | ${m.verified ? 'yes' : 'no'} | ${m.leaked ? '**leaked**' : 'no'} | ${m.via === null ? '' : mdEscape(m.via)} | ` +
        `${m.noticed === null || m.noticed === undefined ? '' : m.noticed ? 'yes' : '**no**'} |`,
    );
  }
  return rows;
}

/** At most this many alerts are listed per run in report.md. */
const MAX_ALERTS_SHOWN = 40;

/** What the apps showed: "**Alerts** (3): step 4 bob.phone identity-changed about alice; ..." */
function alertsLine(alerts: readonly AlertReport[]): string {
  const shown = alerts.slice(0, MAX_ALERTS_SHOWN).map((a) => {
    const members = a.members ? ` (${a.members.map(mdEscape).join(', ')})` : '';
    return `step ${mdEscape(a.step)} ${mdEscape(`${a.user}.${a.device}`)} ${mdEscape(a.kind)} about ${mdEscape(a.about)}${members}`;
  });
  const more = alerts.length > MAX_ALERTS_SHOWN ? `; and ${alerts.length - MAX_ALERTS_SHOWN} more (report.json, index.html)` : '';
  return `**Alerts** (${alerts.length}): ${shown.join('; ')}${more}`;
}

/** Messages clients accepted in a sender's name that the sender did not send. */
function forgeriesTable(forgeries: readonly ForgeryReport[]): string[] {
  const rows = [
    `**Forged** (${forgeries.length}: accepted as from a sender that did not send it)`,
    '',
    '| id | accepted by | step | as from | sent by | group | noticed |',
    '|---|---|---:|---|---|---|:---:|',
  ];
  for (const f of forgeries) {
    rows.push(
      `| ${mdEscape(f.id)} | ${mdEscape(f.acceptedBy)} | ${mdEscape(f.step)} | ${mdEscape(f.claimedFrom)} | ${f.sentBy === null ? 'the adversary' : mdEscape(f.sentBy)} | ` +
        `${f.group === null ? '' : mdEscape(f.group)} | ${f.noticed ? 'yes' : '**no**'} |`,
    );
  }
  return rows;
}

export const mdReporter = filesReporter('report.md, every run in detail, and report-summary.md, a summary for pull-request comments', [
  { name: 'report.md', render: renderMarkdown, signature: '# keyhole report' },
  { name: SUMMARY_FILE, render: renderSummary, signature: '## keyhole summary' },
]);
