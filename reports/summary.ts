/**
 * report-summary.md: the report in a size a pull-request comment and a job summary always
 * hold. The verdict line, the breaches matrix (per target x adversary, the messages leaked
 * beyond the adversary's entitlement), then each violated claim, failed run, policy failure
 * and baseline regression in one line, linked to its run in index.html.
 *
 * Under `SUMMARY_MAX_CHARS` whatever the audit's size, by construction: every string taken
 * from the report is clipped before it is escaped (so a line has a bounded length), every
 * part of the summary writes into a budget of its own and refuses a line that would pass
 * it, and a list that outgrows its budget ends in "… and N more". The budgets add up to less
 * than the limit (the lists share theirs). GitHub refuses comments over 65,536 characters.
 *
 * Text from the report goes through `mdEscape`, as in report.md.
 */
import { clip } from '../harness/printable.ts';
import { runKey } from '../harness/report/read.ts';
import type { Report } from '../harness/report/types.ts';
import { buildMatrix, inconclusiveMark, PROPERTY_ABBREVIATIONS, type MatrixCell } from './matrix.ts';
import { mdEscape, verdictLine } from './md-text.ts';

export const SUMMARY_FILE = 'report-summary.md';
/** The summary is always shorter than this (in UTF-16 code units, so in characters too). */
export const SUMMARY_MAX_CHARS = 60_000;

/** Budgets of the parts of the summary, in characters (each line counts its newline). */
export const SUMMARY_BUDGETS = {
  head: 2_000,
  matrix: 16_000,
  /** Shared by the lists of violated claims, failed runs, policy failures and regressions. */
  lists: 38_000,
  foot: 1_000,
} as const;

/** At most this many adversary columns; the others are named as a count under the matrix. */
export const SUMMARY_MAX_COLUMNS = 12;
/** Names (targets, adversaries, scenarios, properties, files) are clipped to this many characters before escaping. */
const MAX_NAME_CHARS = 60;
/** Details and error messages are clipped to this many characters before escaping. */
const MAX_DETAIL_CHARS = 240;
/** Room kept in every list for its last line, `- … and N more ...`. */
const MORE_LINE_RESERVE = 120;

const totalBudget = Object.values(SUMMARY_BUDGETS).reduce((sum, budget) => sum + budget, 0);
if (totalBudget >= SUMMARY_MAX_CHARS) throw new Error(`summary budgets (${totalBudget}) must add up to less than ${SUMMARY_MAX_CHARS}`);

export function renderSummary(report: Report): string {
  const runIndex = firstRunIndex(report);
  const link = (target: string, scenario: string, adversary: string, text: string) => {
    const index = runIndex.get(runKey({ target, scenario, adversary }));
    // index.html anchors each run at `run-<its index in report.json>` (reports/html-runs.ts, reports/html-links.ts).
    return index === undefined ? text : `[${text}](index.html#run-${index})`;
  };
  const where = (target: string, scenario: string, adversary: string) =>
    link(target, scenario, adversary, `**${name(target)}** · ${name(scenario)} · ${name(adversary)}`);

  const lists: FindingList[] = [];
  if (report.violations.length > 0) {
    lists.push(findingList([`### Violated claims (${report.violations.length})`], report.violations, (v) =>
      `- ✗ ${where(v.target, v.scenario, v.adversary)} · **${name(v.property)}**: ${detail(v.detail)}`,
    ));
  }
  const errors = report.runs.filter((r) => r.status === 'error');
  if (errors.length > 0) {
    lists.push(findingList([`### Failed runs (${errors.length})`], errors, (r) => `- ⚠ ${where(r.target, r.scenario, r.adversary)}: ${detail(r.error ?? 'unknown error')}`));
  }
  if (report.policy) {
    const { file, failures } = report.policy;
    const title = `### Policy ${name(file)}${failures.length > 0 ? `: ${failures.length} failed` : ''}`;
    lists.push(
      findingList(failures.length === 0 ? [title, '', '✓ every expectation holds'] : [title], failures, (f) => {
        const property = f.property === null ? '' : ` · **${name(f.property)}**`;
        return `- ✗ expect[${f.entry}] ${where(f.target, f.scenario, f.adversary)}${property}: expected ${detail(f.expected)}, got ${detail(f.actual)}`;
      }),
    );
  }
  if (report.baseline) {
    const { file, regressions, notes } = report.baseline;
    const title = `### Baseline ${name(file)}${regressions.length > 0 ? `: ${regressions.length} regression${regressions.length === 1 ? '' : 's'}` : ''}`;
    const head = regressions.length === 0 ? [title, '', '✓ nothing got worse'] : [title];
    const tail = notes.length === 0 ? [] : ['', `<sub>${notes.length} note${notes.length === 1 ? '' : 's'} on the comparison: see report.md</sub>`];
    lists.push(findingList(head, regressions, (r) => `- ✗ ${link(r.target, r.scenario, r.adversary, detail(r.description))}`, tail));
  }

  const parts: string[][] = [headPart(report), matrixPart(report)];
  // The lists share one budget: each gets an equal share of what is left, and what a short
  // list does not use goes to the lists after it.
  let left = SUMMARY_BUDGETS.lists;
  lists.forEach((list, i) => {
    const lines = listPart(Math.floor(left / (lists.length - i)), list);
    left -= lines.reduce((sum, line) => sum + line.length + 1, 0);
    parts.push(lines);
  });
  parts.push(footPart());
  return `${parts.flat().join('\n').trimEnd()}\n`;
}

/* ------------------------------------------------------------------------------------------ */
/* Parts                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/** Lines under a character budget: a line that would pass it is refused. */
class Budget {
  readonly lines: string[] = [];
  #left: number;

  constructor(budget: number) {
    this.#left = budget;
  }

  get left(): number {
    return this.#left;
  }

  /** Adds the line (and its newline) if it fits; false when it does not. */
  add(line: string): boolean {
    if (line.length + 1 > this.#left) return false;
    this.lines.push(line);
    this.#left -= line.length + 1;
    return true;
  }
}

function headPart(report: Report): string[] {
  const part = new Budget(SUMMARY_BUDGETS.head);
  const ok = report.runs.filter((r) => r.status === 'ok').length;
  const na = report.runs.filter((r) => r.status === 'not-applicable').length;
  const failed = report.runs.filter((r) => r.status === 'error').length;
  const shard = report.shard ? ` · shard ${report.shard.index}/${report.shard.count} of ${report.shard.matrixSize} runs` : '';
  part.add('## keyhole summary');
  part.add('');
  part.add(verdictLine(report));
  part.add('');
  part.add(`${report.runs.length} runs (${ok} ok, ${na} not applicable, ${failed} failed)${shard} · seed ${name(report.seed)} · keyhole ${name(report.tool.version)}`);
  part.add('');
  return part.lines;
}

function matrixPart(report: Report): string[] {
  const part = new Budget(SUMMARY_BUDGETS.matrix);
  part.add('### Breaches: target × adversary');
  part.add('');
  const matrix = buildMatrix(report);
  if (matrix.targets.length === 0) {
    part.add('_no runs_');
    part.add('');
    return part.lines;
  }
  const columns = matrix.adversaries.slice(0, SUMMARY_MAX_COLUMNS);
  part.add(`| target \\ adversary | ${columns.map(name).join(' | ')} |`);
  part.add(`|---|${columns.map(() => ':---:').join('|')}|`);
  const legend = legendLine(matrix.adversaries.length - columns.length);
  let shown = 0;
  for (const target of matrix.targets) {
    const cells = columns.map((adversary) => breachCell(matrix.cell(target, adversary)));
    const row = `| **${name(target)}** | ${cells.join(' | ')} |`;
    // Room for the line under the table that says how many targets are left out, and the legend.
    if (row.length + 1 > part.left - MORE_LINE_RESERVE - legend.length - 2) break;
    part.add(row);
    shown++;
  }
  const hidden = matrix.targets.length - shown;
  part.add('');
  if (hidden > 0) part.add(`<sub>… and ${hidden} more target${hidden === 1 ? '' : 's'}: every one is in report.md and index.html</sub>`);
  part.add(legend);
  part.add('');
  return part.lines;
}

function breachCell(cell: MatrixCell | undefined): string {
  if (!cell) return '';
  if (cell.runs === cell.notApplicable) return 'n/a';
  const parts = [cell.breached > 0 ? `**${cell.breached}**` : '0'];
  // Property names are a fixed list, but a report read back (merge) may hold any string.
  if (cell.violated.length > 0) parts.push(`✗ ${name(cell.violated.map((p) => PROPERTY_ABBREVIATIONS[p] ?? p).join(', '))}`);
  if (cell.unnoticed > 0) parts.push(`👁 ${cell.unnoticed}`);
  const unsettled = inconclusiveMark(cell.inconclusive);
  if (unsettled !== null) parts.push(name(unsettled));
  if (cell.errors > 0) parts.push(`⚠ ${cell.errors}`);
  return parts.join(' ');
}

function legendLine(hiddenColumns: number): string {
  const more = hiddenColumns > 0 ? ` ${hiddenColumns} more adversar${hiddenColumns === 1 ? 'y is' : 'ies are'} in report.md.` : '';
  const abbreviations = Object.entries(PROPERTY_ABBREVIATIONS)
    .filter(([full, short]) => full !== short)
    .map(([full, short]) => `${short} = ${full}`)
    .join(', ');
  return (
    `<sub>cells: messages leaked beyond the adversary's entitlement (outside the exposed class), over all scenarios; ` +
    `✗ the claimed properties it broke; 👁 n: messages an active attack obtained, and contents it forged, with no alert to the users affected; ? properties it could not settle (a lower bound); ⚠ failed runs; n/a: the adversary applied to no scenario. ${abbreviations}.${more}</sub>`
  );
}

/** A list of findings: a heading, one line per item, and short lines after them. */
interface FindingList {
  head: string[];
  count: number;
  line(index: number): string;
  tail: string[];
}

function findingList<T>(head: string[], items: readonly T[], line: (item: T) => string, tail: string[] = []): FindingList {
  return { head, count: items.length, line: (index) => line(items[index]!), tail };
}

/** The heading, then one line per item while the budget lasts, then `… and N more`, then the tail. */
function listPart(budget: number, list: FindingList): string[] {
  const part = new Budget(budget);
  for (const text of list.head) part.add(text);
  part.add('');
  const reserve = MORE_LINE_RESERVE + list.tail.reduce((sum, text) => sum + text.length + 1, 0) + 1;
  for (let i = 0; i < list.count; i++) {
    const text = list.line(i);
    if (text.length + 1 > part.left - reserve) {
      part.add(`- … and ${list.count - i} more: every one is in report.md and index.html`);
      break;
    }
    part.add(text);
  }
  for (const text of list.tail) part.add(text);
  part.add('');
  return part.lines;
}

function footPart(): string[] {
  const part = new Budget(SUMMARY_BUDGETS.foot);
  part.add('<sub>Every run in full: [index.html](index.html), [report.md](report.md), [report.json](report.json).</sub>');
  return part.lines;
}

/* ------------------------------------------------------------------------------------------ */
/* Text                                                                                        */
/* ------------------------------------------------------------------------------------------ */

function name(value: unknown): string {
  return mdEscape(clip(String(value), MAX_NAME_CHARS));
}

function detail(value: unknown): string {
  return mdEscape(clip(String(value), MAX_DETAIL_CHARS));
}

/** At most `max` characters, ending in `…` when cut (never inside a surrogate pair). */

/** The index of each run in report.json (the first, should a report hold one twice). */
function firstRunIndex(report: Report): Map<string, number> {
  const first = new Map<string, number>();
  report.runs.forEach((run, index) => {
    const key = runKey(run);
    if (!first.has(key)) first.set(key, index);
  });
  return first;
}
