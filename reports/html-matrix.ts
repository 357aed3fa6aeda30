/**
 * The heat map of index.html: the target x adversary matrix (`matrix.ts`), one cell per pair,
 * coloured by what the design claimed and how much was obtained beyond entitlement, with its
 * colour scale beneath.
 */
import type { Report } from '../harness/report/types.ts';
import { buildMatrix, CELL_LEGEND, cellCounts, inconclusiveMark, PROPERTY_ABBREVIATIONS, standingOf, type CellStanding, type MatrixCell } from './matrix.ts';
import { pairKey } from './html-links.ts';
import { escapeHtml, plural } from './html-text.ts';

export function matrixSection(report: Report, firstRun: Map<string, number>): string {
  const matrix = buildMatrix(report);
  if (matrix.targets.length === 0) return '<section id="matrix"><h2>Target × adversary</h2><p class="hint">No runs.</p></section>';
  const head = `<tr><th scope="col">target \\ adversary</th>${matrix.adversaries.map((a) => `<th scope="col">${escapeHtml(a)}</th>`).join('')}</tr>`;
  const rows = matrix.targets.map((target) => {
    const cells = matrix.adversaries.map((adversary) => heatCell(matrix.cell(target, adversary), firstRun.get(pairKey(target, adversary))));
    return `<tr><th scope="row">${escapeHtml(target)}</th>${cells.join('')}</tr>`;
  });
  return [
    '<section id="matrix">',
    '<h2>Target × adversary</h2>',
    '<table class="heat">',
    `<thead>${head}</thead>`,
    `<tbody>${rows.join('\n')}</tbody>`,
    '</table>',
    `<div class="scale"><span>${escapeHtml(CELL_LEGEND[0]!)}:</span>` +
      `<span class="swatch violated" style="background: ${cellColour('claim-broken', 1, 2).background}"></span><span>a claim broken (✗ names the properties)</span>` +
      `<span class="swatch" style="background: ${cellColour('unclaimed-breach', 1, 2).background}"></span><span>unclaimed: beyond entitlement, but no claim covers it</span>` +
      `<span class="swatch" style="background: ${cellColour('within-entitlement', 0, 2).background}"></span><span>nothing beyond entitlement</span>` +
      '<span>darker: a larger share</span>' +
      `<span>${escapeHtml(CELL_LEGEND[1]!)}</span>` +
      `<span>👁 ${escapeHtml(CELL_LEGEND[4]!)}</span>` +
      `<span>${escapeHtml(CELL_LEGEND[5]!)}</span>` +
      '<span class="swatch na"></span><span>n/a: the adversary did not apply</span>' +
      `<span>${escapeHtml(
        Object.entries(PROPERTY_ABBREVIATIONS)
          .filter(([name, short]) => name !== short)
          .map(([name, short]) => `${short} = ${name}`)
          .join(', '),
      )}</span></div>`,
    '</section>',
  ].join('\n');
}

const CELL_HUES: Record<CellStanding, number> = { 'claim-broken': 0, 'unclaimed-breach': 40, 'within-entitlement': 140 };

/**
 * A cell's colour says what the design claimed: red for a broken claim, amber for a breach
 * no claim covers, green for nothing beyond entitlement; red and amber darken as the share
 * of messages obtained beyond entitlement grows.
 */
export function cellColour(standing: CellStanding, breached: number, messages: number): { background: string; dark: boolean } {
  if (standing === 'within-entitlement') return { background: `hsl(${CELL_HUES[standing]} 55% 88%)`, dark: false };
  const f = messages > 0 ? Math.min(1, Math.max(0, breached / messages)) : 0;
  const light = Math.round(standing === 'claim-broken' ? 78 - 30 * f : 82 - 20 * f);
  return { background: `hsl(${CELL_HUES[standing]} 85% ${light}%)`, dark: light < 62 };
}

function heatCell(cell: MatrixCell | undefined, runIndex: number | undefined): string {
  if (!cell) return '<td class="empty"></td>';
  const link = (inner: string) => (runIndex === undefined ? `<span class="cell-body">${inner}</span>` : `<a href="#run-${runIndex}">${inner}</a>`);
  if (cell.runs === cell.notApplicable) return `<td class="na" title="not applicable">${link('n/a')}</td>`;
  const standing = standingOf(cell);
  const { background, dark } = cellColour(standing, cell.breached, cell.messages);
  const classes = ['cell', standing];
  if (dark) classes.push('dark');
  if (cell.violated.length > 0) classes.push('violated');
  if (cell.errors > 0) classes.push('has-errors');
  const pct = cell.messages > 0 ? Math.round((100 * cell.breached) / cell.messages) : 0;
  const title = [`${cell.breached} of ${cell.messages} messages obtained beyond entitlement (${pct}%) over ${plural(cell.runs, 'run')}`];
  if (cell.exposed > 0) title.push(`${cell.exposed} more leaked that the adversary was entitled to (exposed)`);
  if (cell.unnoticed > 0) title.push(`${cell.unnoticed} obtained or forged with no alert to the users affected (unnoticed)`);
  if (cell.linked > 0) title.push(`${cell.linked} linked to their senders (sender anonymity)`);
  if (cell.violated.length > 0) title.push(`violated claims: ${cell.violated.join(', ')}`);
  else if (standing === 'unclaimed-breach') title.push('no claim of the design covers these messages');
  if (cell.inconclusive.length > 0) title.push(`not settled (inconclusive): ${cell.inconclusive.join(', ')}; the count is a lower bound`);
  if (cell.errors > 0) title.push(plural(cell.errors, 'failed run'));
  if (cell.notApplicable > 0) title.push(`${cell.notApplicable} not applicable`);
  const { ratio, exposed, unnoticed, linked } = cellCounts(cell);
  let inner = `<span class="ratio">${escapeHtml(ratio)}</span>`;
  if (exposed !== null) inner += `<span class="exposed">${escapeHtml(exposed)}</span>`;
  if (unnoticed !== null) inner += `<span class="unnoticed">👁 ${escapeHtml(unnoticed)}</span>`;
  if (linked !== null) inner += `<span class="linked">${escapeHtml(linked)}</span>`;
  if (cell.violated.length > 0) inner += `<span class="broken">✗ ${escapeHtml(cell.violated.map((p) => PROPERTY_ABBREVIATIONS[p] ?? p).join(', '))}</span>`;
  else if (standing === 'unclaimed-breach') inner += '<span class="unclaimed">unclaimed</span>';
  const unsettled = inconclusiveMark(cell.inconclusive);
  if (unsettled !== null) inner += `<span class="unsettled">${escapeHtml(unsettled)}</span>`;
  if (cell.errors > 0) inner += `<span class="errs">⚠ ${escapeHtml(plural(cell.errors, 'error'))}</span>`;
  return `<td class="${classes.join(' ')}" style="background: ${background}" title="${escapeHtml(title.join('; '))}">${link(inner)}</td>`;
}
