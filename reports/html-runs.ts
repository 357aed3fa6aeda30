/**
 * The runs of index.html, grouped by target: per run a collapsible block with its badges,
 * error and notes, the conversation (`html-timeline.ts`), the properties with their verdicts,
 * the alerts the users were shown and the messages forged in a sender's name.
 */
import type { ForgeryReport, PropertyReport, Report, RunReport } from '../harness/report/types.ts';
import { isClaimViolation, verdictWording } from '../harness/report/verdicts.ts';
import { unnoticedCount } from './matrix.ts';
import { timeline } from './html-timeline.ts';
import { escapeHtml } from './html-text.ts';

export function runsSection(report: Report): string {
  if (report.runs.length === 0) return '';
  const out = [
    '<section id="runs">',
    '<h2>Runs</h2>',
    '<div class="toolbar"><button type="button" id="expand-all">expand all</button> <button type="button" id="collapse-all">collapse all</button></div>',
  ];
  let target: string | null = null;
  report.runs.forEach((run, index) => {
    if (run.target !== target) {
      target = run.target;
      out.push(`<h3>${escapeHtml(run.target)}</h3>`);
    }
    out.push(runBlock(run, index));
  });
  out.push('</section>');
  return out.join('\n');
}

function runBlock(run: RunReport, index: number): string {
  const violated = run.properties.filter(isClaimViolation);
  const open = violated.length > 0 || run.status === 'error';
  const badges: string[] = [];
  if (run.status === 'error') badges.push('<span class="badge error">error</span>');
  else if (run.status === 'not-applicable') badges.push('<span class="badge not-applicable">not applicable</span>');
  else badges.push(`<span class="badge ${run.summary.leaked > 0 ? 'leaks' : 'ok'}">${escapeHtml(`${run.summary.leaked}/${run.summary.messages} leaked`)}</span>`);
  for (const p of violated) badges.push(`<span class="badge claim-broken">✗ ${escapeHtml(p.property)}</span>`);
  if (run.status === 'ok') {
    for (const p of run.properties.filter((q) => q.verdict === 'inconclusive')) badges.push(`<span class="badge inconclusive">? ${escapeHtml(p.property)} inconclusive</span>`);
  }
  const unnoticed = unnoticedCount(run);
  if (unnoticed > 0) badges.push(`<span class="badge unnoticed">👁 ${escapeHtml(`${unnoticed} obtained or forged unnoticed`)}</span>`);

  const body: string[] = [];
  if (run.error !== null) body.push(`<p class="run-error">${escapeHtml(run.error)}</p>`);
  if (run.notes && run.notes.length > 0) {
    body.push(`<ul class="notes">${run.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`);
  }
  if (run.messages.length > 0 || run.strikeStep != null) body.push(timeline(run));
  // A run that did not apply lists every property as not applicable for the reason in its notes.
  if (run.properties.some((p) => p.claimed || p.verdict !== 'not-applicable')) body.push(propertiesTable(run.properties));
  body.push(alertsList(run));
  if (run.forgeries) body.push(forgeriesList(run.forgeries));

  return [
    `<details class="run status-${escapeHtml(run.status)}" id="run-${index}"${open ? ' open' : ''}>`,
    `<summary><span class="run-title">${escapeHtml(run.scenario)} · ${escapeHtml(run.adversary)}</span> ${badges.join(' ')}</summary>`,
    `<div class="body">${body.join('\n')}</div>`,
    '</details>',
  ].join('\n');
}

/** What the victims' apps showed them (SPEC §7 alerts), in order. */
function alertsList(run: RunReport): string {
  const alerts = run.alerts ?? [];
  if (alerts.length === 0) return '<p class="hint">Alerts: the users were shown none.</p>';
  const items = alerts.map(
    (a) => `<li>step ${escapeHtml(a.step)} · ${escapeHtml(`${a.user}.${a.device}`)}: <strong>${escapeHtml(a.kind)}</strong> about ${escapeHtml(a.about)}${a.members ? ` (${escapeHtml(a.members.join(', '))})` : ''}</li>`,
  );
  return `<h4>Alerts (${alerts.length})</h4><ol class="alerts">${items.join('')}</ol>`;
}

/** Messages clients accepted in a sender's name that the sender did not send. */
function forgeriesList(forgeries: readonly ForgeryReport[]): string {
  const items = forgeries.map((f) => {
    const sent = f.sentBy === null ? 'written by the adversary' : `sent by ${f.sentBy}`;
    const where = f.group === null ? '' : ` in ${f.group}`;
    const noticed = f.noticed ? 'an alert came first' : '<strong>unnoticed</strong>';
    return `<li>step ${escapeHtml(f.step)} · ${escapeHtml(f.acceptedBy)} accepted <strong>${escapeHtml(f.id)}</strong>${escapeHtml(where)} as from ${escapeHtml(f.claimedFrom)} (${escapeHtml(sent)}) · ${noticed}</li>`;
  });
  return `<h4>Forged (${forgeries.length})</h4><ol class="forgeries">${items.join('')}</ol>`;
}

function propertiesTable(properties: PropertyReport[]): string {
  const rows = properties.map((p) => {
    const broken = isClaimViolation(p);
    const extra: string[] = [];
    if (p.healedAfter !== undefined) extra.push(p.healedAfter === null ? 'never healed' : `healed after ${p.healedAfter}`);
    if (p.seen !== undefined) extra.push(`seen: ${p.seen.length > 0 ? p.seen.join(', ') : 'nothing'}`);
    return [
      `<tr class="${broken ? 'broken' : ''}">`,
      `<td>${escapeHtml(p.property)}</td>`,
      `<td><span class="badge ${escapeHtml(p.verdict)}${p.claimed && p.notClaimedFor === undefined ? '' : ' unclaimed'}">${broken ? '✗ ' : ''}${escapeHtml(verdictWording(p))}</span></td>`,
      `<td>${p.claimed ? 'claimed' : ''}</td>`,
      `<td class="detail">${escapeHtml(p.detail)}</td>`,
      `<td>${escapeHtml(extra.join('; '))}</td>`,
      '</tr>',
    ].join('');
  });
  return [
    '<table class="props">',
    '<thead><tr><th>property</th><th>verdict</th><th>claim</th><th>detail</th><th>healing / seen</th></tr></thead>',
    `<tbody>${rows.join('\n')}</tbody>`,
    '</table>',
  ].join('\n');
}
