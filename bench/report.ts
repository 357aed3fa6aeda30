/**
 * Formatting of a benchmark run, kept apart from measuring (tinybench's rule): the JSON
 * document (schema keyhole-bench/1), the terminal tables and the Markdown tables.
 *
 * Tables go group by group; a section is the rows of one task (the same work on different
 * implementations or targets), and "vs fastest" says how many times slower than the fastest
 * row of its section each row is.
 */
import { availableParallelism, cpus } from 'node:os';
import Table from 'cli-table3';
import type { BenchFailure, BenchResult, GroupName } from './core.ts';
import { GROUPS } from './core.ts';
import { formatFinding, type Finding } from './hot-path.ts';
import { GROUP_SIZE_TASK, groupSizeMarkdown, type GroupSizeCurve } from './group-size-chart.ts';
import { BENCH_SCHEMA, type BenchDocument } from './schema.ts';

export interface BenchRun {
  results: BenchResult[];
  failed: BenchFailure[];
  findings: Finding[];
  notes: Partial<Record<GroupName, string[]>>;
  /** The group-size curve, when it was measured. */
  groupSizes?: GroupSizeCurve;
}

export function machine(): BenchDocument['machine'] {
  return {
    cpu: cpus()[0]?.model.trim() || 'unknown',
    cores: typeof availableParallelism === 'function' ? availableParallelism() : cpus().length,
    node: process.version,
  };
}

export function benchDocument(run: BenchRun): BenchDocument {
  return {
    schema: BENCH_SCHEMA,
    machine: machine(),
    results: run.results,
    failed: run.failed,
    findings: run.findings,
    ...(run.groupSizes ? { groupSizes: { ...run.groupSizes, sizes: [...run.groupSizes.sizes] } } : {}),
  };
}

/** The machine in words, for a chart's caption. */
export function machineCaption(): string {
  const m = machine();
  return `keyhole bench on ${m.cpu}, ${m.cores} cores, Node ${m.node}`;
}

/** The file the group-size chart is written to beside a Markdown file of that name. */
export function chartFileName(markdownName: string): string {
  return `${markdownName.replace(/\.(md|markdown)$/i, '')}-group-size.svg`;
}

/** The group-size curve's lines: what was measured, where the curves cross, what was skipped. */
function groupSizeLines(curve: GroupSizeCurve): { table: string[]; notes: string[] } {
  const notes = [
    'time: from the admin\'s call until every member has processed what it sent (one process); uploaded: bytes the admin\'s device uploaded; per member: divided by the group size',
    ...curve.crossovers.map((c) => `crossover: ${c}`),
    ...curve.skipped.map((s) => `not measured: ${s.target} at ${s.members} members: ${s.reason}`),
  ];
  return { table: groupSizeMarkdown(curve), notes };
}

// ---------------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------------

export function formatOps(ops: number): string {
  if (ops >= 100) return Math.round(ops).toLocaleString('en-US');
  return ops.toPrecision(3);
}

export function formatMBps(bytesPerSec: number | null): string {
  if (bytesPerSec === null) return '';
  const mb = bytesPerSec / 1e6;
  return mb >= 100 ? Math.round(mb).toLocaleString('en-US') : mb.toPrecision(3);
}

export function formatNs(ns: number): string {
  if (ns < 1_000) return `${Math.round(ns)} ns`;
  if (ns < 1_000_000) return `${(ns / 1_000).toPrecision(3)} us`;
  if (ns < 1_000_000_000) return `${(ns / 1_000_000).toPrecision(3)} ms`;
  return `${(ns / 1e9).toPrecision(3)} s`;
}

function ratio(row: BenchResult, section: readonly BenchResult[]): string {
  const best = Math.max(...section.map((r) => r.opsPerSec));
  const slower = best / row.opsPerSec;
  return slower < 1.005 ? 'fastest' : `${slower.toFixed(2)}x`;
}

// ---------------------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------------------

type Cell = string;

interface GroupTable {
  group: GroupName;
  head: Cell[];
  /** Sections of rows; a section is one task. */
  sections: Cell[][][];
}

function sectionsOf<T extends { task: string }>(rows: readonly T[]): T[][] {
  const sections: T[][] = [];
  for (const row of rows) {
    const last = sections[sections.length - 1];
    if (last && last[0]!.task === row.task) last.push(row);
    else sections.push([row]);
  }
  return sections;
}

function groupTables(run: BenchRun): GroupTable[] {
  const tables: GroupTable[] = [];
  for (const group of GROUPS) {
    const rows = run.results.filter((r) => r.group === group);
    const failed = run.failed.filter((f) => f.group === group);
    if (rows.length === 0 && failed.length === 0) continue;
    const protocol = group === 'protocol';
    const head = protocol
      ? ['task', 'target', 'crypto', 'msg/s', 'MB/s', 'p50', 'overhead B', 'vs fastest']
      : ['task', 'crypto', 'ops/s', 'MB/s', 'p50', 'vs fastest'];
    // Keep the run's order; failed rows go in their task's section.
    const all: ({ kind: 'ok'; row: BenchResult } | { kind: 'failed'; row: BenchFailure })[] = [];
    for (const row of rows) all.push({ kind: 'ok', row });
    for (const row of failed) {
      const at = all.findLastIndex((e) => e.row.task === row.task);
      all.splice(at === -1 ? all.length : at + 1, 0, { kind: 'failed', row });
    }
    const sections = sectionsOf(all.map((e) => ({ ...e, task: e.row.task }))).map((section) => {
      const ok = section.flatMap((e) => (e.kind === 'ok' ? [e.row] : []));
      return section.map((e): Cell[] => {
        const target = e.row.target ?? '';
        if (e.kind === 'failed') {
          return protocol
            ? [e.row.task, target, e.row.crypto, 'FAILED', '', '', '', '']
            : [e.row.task, e.row.crypto, 'FAILED', '', '', ''];
        }
        const r = e.row;
        return protocol
          ? [r.task, target, r.crypto, formatOps(r.opsPerSec), formatMBps(r.bytesPerSec), formatNs(r.p50Ns), r.overheadBytes === undefined ? '' : String(r.overheadBytes), ratio(r, ok)]
          : [r.task, r.crypto, formatOps(r.opsPerSec), formatMBps(r.bytesPerSec), formatNs(r.p50Ns), ratio(r, ok)];
      });
    });
    tables.push({ group, head, sections });
  }
  return tables;
}

function footer(run: BenchRun): string[] {
  const lines: string[] = [];
  if (run.failed.length > 0) {
    lines.push('Failed (not timed):');
    for (const f of run.failed) lines.push(`  ${f.group} / ${f.task} / ${f.target ? `${f.target} / ` : ''}${f.crypto}: ${f.reason}`);
  }
  if (run.findings.length > 0) {
    lines.push('Findings:');
    for (const f of run.findings) lines.push(`  ${formatFinding(f)}`);
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Terminal
// ---------------------------------------------------------------------------------------------

export function renderTerminal(run: BenchRun): string {
  const m = machine();
  const out: string[] = [`keyhole bench on ${m.cpu}, ${m.cores} cores, Node ${m.node}; ops/s from the median time per op`, ''];
  for (const table of groupTables(run)) {
    const t = new Table({
      head: table.head,
      style: { head: [], border: [] },
      chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
      colAligns: table.head.map((_, i) => (i < (table.group === 'protocol' ? 3 : 2) ? 'left' : 'right')),
    });
    table.sections.forEach((section, i) => {
      // A section's task is written once, on its first row.
      section.forEach((cells, j) => t.push(j === 0 ? cells : ['', ...cells.slice(1)]));
      if (i < table.sections.length - 1) t.push(table.head.map(() => ''));
    });
    out.push(`${table.group}`, t.toString());
    for (const note of run.notes[table.group] ?? []) out.push(`  note: ${note}`);
    out.push('');
  }
  if (run.groupSizes) {
    const { table, notes } = groupSizeLines(run.groupSizes);
    const t = new Table({ head: ['design', 'members', 'operation', 'time', 'per member', 'uploaded', 'per member'], style: { head: [], border: [] }, chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' }, colAligns: ['left', 'right', 'left', 'right', 'right', 'right', 'right'] });
    for (const line of table.slice(2)) t.push(line.slice(2, -2).split(' | '));
    out.push(GROUP_SIZE_TASK, t.toString(), ...notes.map((n) => `  note: ${n}`), '');
  }
  out.push(...footer(run));
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Markdown
// ---------------------------------------------------------------------------------------------

/** A table cell of bench text (no user input): only its pipes need escaping. */
function escapePipes(cell: string): string {
  return cell.replace(/\|/g, '\\|');
}

/** `chart`: the file name of the group-size chart beside the Markdown, shown in it. */
export function renderMarkdown(run: BenchRun, chart?: string): string {
  const m = machine();
  const out: string[] = [`Measured on ${m.cpu}, ${m.cores} cores, Node ${m.node}; ops/s from the median time per op; "vs fastest": times slower than the fastest row of the same task.`, ''];
  for (const table of groupTables(run)) {
    out.push(`**${table.group}**`, '');
    out.push(`| ${table.head.join(' | ')} |`, `|${table.head.map((_, i) => (i < (table.group === 'protocol' ? 3 : 2) ? '---' : '---:')).join('|')}|`);
    for (const section of table.sections) {
      section.forEach((cells, j) => out.push(`| ${(j === 0 ? cells : ['', ...cells.slice(1)]).map(escapePipes).join(' | ')} |`));
    }
    for (const note of run.notes[table.group] ?? []) out.push('', `_${note}_`);
    out.push('');
  }
  if (run.groupSizes) {
    const { table, notes } = groupSizeLines(run.groupSizes);
    out.push(`**${GROUP_SIZE_TASK}**`, '');
    if (chart) out.push(`![the group-size curve: time and uploaded bytes against members, per design](${chart})`, '');
    out.push(...table, '', ...notes.map((n) => `- ${escapePipes(n)}`), '');
  }
  // Headings of the footer in bold, its lines as a list.
  for (const line of footer(run)) {
    if (line.startsWith('  ')) out.push(`- ${escapePipes(line.trim())}`);
    else out.push('', `**${line.replace(/:$/, '')}**`, '');
  }
  out.push('');
  return `${out.join('\n')}`;
}
