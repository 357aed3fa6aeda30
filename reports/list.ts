/**
 * `list`: the terminal summary. A target x adversary matrix (messages obtained beyond
 * entitlement over messages judged, the entitled ones apart, and the claims each adversary
 * broke), then every violated claim and every run that failed. Every text of the report
 * (which `keyhole merge` reads from files) is printed escaped and cut (`printable`): it can
 * carry no control sequence to the terminal.
 */
import Table from 'cli-table3';
import pc from 'picocolors';
import { MAX_ECHOED_CHARS } from '../harness/limits.ts';
import { printable } from '../harness/printable.ts';
import type { Report } from '../harness/report/types.ts';
import { buildMatrix, CELL_LEGEND, cellCounts, inconclusiveMark, PROPERTY_ABBREVIATIONS, standingOf, type MatrixCell } from './matrix.ts';
import type { ReporterEntry } from './types.ts';

export function renderList(report: Report, color: boolean): string {
  const c = pc.createColors(color);
  const name = (text: string) => printable(text, MAX_ECHOED_CHARS);
  const matrix = buildMatrix(report);
  const table = new Table({
    head: ['target \\ adversary', ...matrix.adversaries.map(name)].map((h) => c.bold(h)),
    style: { head: [], border: [] },
  });
  for (const target of matrix.targets) {
    table.push([c.bold(name(target)), ...matrix.adversaries.map((adversary) => formatCell(matrix.cell(target, adversary), c))]);
  }
  const lines = [table.toString(), ''];
  for (const clause of CELL_LEGEND) lines.push(c.dim(clause));
  if (report.violations.length > 0) {
    lines.push('', c.bold(c.red(`${report.violations.length} violated claim(s):`)));
    for (const v of report.violations) {
      lines.push(`  ${c.red('✗')} ${name(v.target)} · ${name(v.scenario)} · ${name(v.adversary)} · ${c.bold(name(v.property))}: ${printable(v.detail)}`);
    }
  }
  const errors = report.runs.filter((r) => r.status === 'error');
  if (errors.length > 0) {
    lines.push('', c.bold(c.red(`${errors.length} run(s) failed:`)));
    for (const r of errors) lines.push(`  ${c.red('!')} ${name(r.target)} · ${name(r.scenario)} · ${name(r.adversary)}: ${printable(String(r.error))}`);
  }
  const ok = report.runs.filter((r) => r.status === 'ok').length;
  const na = report.runs.filter((r) => r.status === 'not-applicable').length;
  const verdict =
    report.violations.length === 0 && errors.length === 0
      ? c.green('every design kept its claims')
      : c.red('claims violated or runs failed');
  lines.push('', `${report.runs.length} runs (${ok} ok, ${na} not applicable, ${errors.length} failed) in ${report.timing.durationMs} ms: ${verdict}`);
  return `${lines.join('\n')}\n`;
}

function formatCell(cell: MatrixCell | undefined, c: ReturnType<typeof pc.createColors>): string {
  if (!cell) return '';
  if (cell.runs === cell.notApplicable) return c.dim('n/a');
  const { ratio, exposed, unnoticed, linked } = cellCounts(cell);
  const standing = standingOf(cell);
  const tint = standing === 'claim-broken' ? c.red : standing === 'unclaimed-breach' ? c.yellow : c.green;
  const parts = [tint(ratio)];
  if (exposed !== null) parts.push(c.dim(exposed));
  if (unnoticed !== null) parts.push(c.magenta(unnoticed));
  if (linked !== null) parts.push(c.blue(linked));
  if (standing === 'claim-broken') parts.push(c.red(`✗ ${cell.violated.map((p) => PROPERTY_ABBREVIATIONS[p] ?? p).join(',')}`));
  if (standing === 'unclaimed-breach') parts.push(c.yellow('unclaimed'));
  const unsettled = inconclusiveMark(cell.inconclusive);
  if (unsettled !== null) parts.push(c.yellow(unsettled));
  if (cell.errors > 0) parts.push(c.red(`${cell.errors} error${cell.errors === 1 ? '' : 's'}`));
  return parts.join(' ');
}

export const listReporter: ReporterEntry = {
  description: 'a target x adversary matrix in the terminal',
  files: [],
  create: ({ stdout, color }) => ({
    async onEnd(report) {
      stdout.write(renderList(report, color));
      return null;
    },
  }),
};
