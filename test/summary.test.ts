/** report-summary.md: the verdict, the breaches matrix and one line per finding, always under 60,000 characters. */
import test from 'ava';

import { renderHtml } from '../reports/html.ts';
import { renderSummary, SUMMARY_BUDGETS, SUMMARY_MAX_CHARS, SUMMARY_MAX_COLUMNS } from '../reports/summary.ts';
import { LARGE_ADVERSARIES, largeReport } from './fixtures/large-report.ts';
import { cleanReport, reportWithChecks, reportWithLeaks } from './fixtures/report-with-leaks.ts';

/** The lines of the section under `heading` (up to the next heading). */
function section(summary: string, heading: RegExp): string[] {
  const lines = summary.split('\n');
  const start = lines.findIndex((line) => heading.test(line));
  if (start < 0) return [];
  const end = lines.findIndex((line, i) => i > start && line.startsWith('#'));
  return lines.slice(start + 1, end < 0 ? lines.length : end);
}

/** How many items a section lists, and how many its `… and N more` line says it left out. */
function listed(lines: string[]): { shown: number; more: number } {
  const more = lines.map((line) => /^- … and (\d+) more/.exec(line)).find((match) => match !== null);
  return { shown: lines.filter((line) => /^- [✗⚠] /.test(line)).length, more: more ? Number(more[1]) : 0 };
}

test('the summary of a generated 10,000-run report stays under 60,000 characters and counts what it leaves out', (t) => {
  const report = largeReport(10_000);
  t.is(report.runs.length, 10_000);
  const summary = renderSummary(report);
  t.true(summary.length < SUMMARY_MAX_CHARS, `${summary.length} characters`);
  t.true(Object.values(SUMMARY_BUDGETS).reduce((a, b) => a + b, 0) < SUMMARY_MAX_CHARS);

  const errors = report.runs.filter((r) => r.status === 'error').length;
  const lists: [RegExp, number][] = [
    [/^### Violated claims \(\d+\)$/, report.violations.length],
    [/^### Failed runs \(\d+\)$/, errors],
    [/^### Policy .*: 10000 failed$/, report.policy!.failures.length],
    [/^### Baseline .*: 10000 regressions$/, report.baseline!.regressions.length],
  ];
  for (const [heading, total] of lists) {
    const { shown, more } = listed(section(summary, heading));
    t.true(shown > 0, `${heading} lists some`);
    t.true(more > 0, `${heading} is cut`);
    t.is(shown + more, total, `${heading}: shown + "and N more" = all`);
  }
  // The matrix: at most SUMMARY_MAX_COLUMNS adversaries, the others counted under it.
  const header = summary.split('\n').find((line) => line.startsWith('| target \\ adversary |'))!;
  t.is(header.split(' | ').length - 1, SUMMARY_MAX_COLUMNS);
  t.true(summary.includes(`${LARGE_ADVERSARIES - SUMMARY_MAX_COLUMNS} more adversaries are in report.md`));
  t.regex(summary, /<sub>… and \d+ more targets: every one is in report\.md and index\.html<\/sub>/);
  t.false(summary.includes('<img'), 'clipped text is escaped still');
});

test('breaches count only the leaked messages outside the exposed class', (t) => {
  const report = reportWithLeaks();
  const stolenPhone = report.runs.find((r) => r.target === 'escrow' && r.scenario === 'stolen-phone' && r.adversary === 'stolen-device')!;
  // Leaked: the before message, two exposed ones (pipe|id, `tick`), two after ones; m7 did not leak.
  t.is(stolenPhone.summary.leaked, 5);
  t.is(stolenPhone.summary.breached, 3);
  const lines = renderSummary(report).split('\n');
  const header = lines.indexOf('| target \\ adversary | network | stolen-device |');
  t.true(header > 0);
  t.is(lines[header + 2], '| **signal** | 0 | n/a |');
  // escrow x stolen-device over both scenarios: 3 breaches in stolen-phone, the exposed g1 of group-chat is none.
  t.is(lines[header + 3], '| **escrow** | 0 ⚠ 1 | **3** ✗ fs, pcs |');
});

test('the summary has the verdict and one line per violated claim, failed run, policy failure and regression', (t) => {
  const summary = renderSummary(reportWithChecks());
  const lines = summary.split('\n');
  t.is(lines[0], '## keyhole summary');
  t.true(lines.includes('**✗ 2 violated claims, 1 failed run, 2 failed policy expectations, 1 regression**'));
  t.deepEqual(listed(section(summary, /^### Violated claims \(2\)$/)), { shown: 2, more: 0 });
  t.deepEqual(listed(section(summary, /^### Failed runs \(1\)$/)), { shown: 1, more: 0 });
  t.deepEqual(listed(section(summary, /^### Policy policy\.yaml: 2 failed$/)), { shown: 2, more: 0 });
  t.deepEqual(listed(section(summary, /^### Baseline baseline\/report\.json: 1 regression$/)), { shown: 1, more: 0 });
  t.true(lines.includes('- ✗ expect[0] [**escrow** · stolen-phone · stolen-device](index.html#run-5) · **forward-secrecy**: expected holds, got violated'));

  const clean = renderSummary({ ...cleanReport(), policy: { file: 'p.yaml', failures: [] }, baseline: { file: 'b.json', regressions: [], notes: [] } });
  t.true(clean.includes('**✓ every design kept its claims**'));
  t.true(clean.includes('✓ every expectation holds'));
  t.true(clean.includes('✓ nothing got worse'));
  t.false(clean.includes('### Violated claims'));
});

test('each finding links to its run in index.html, where a run of that name has that anchor', (t) => {
  const report = reportWithChecks();
  const summary = renderSummary(report);
  const html = renderHtml(report);
  const links = [...summary.matchAll(/\]\(index\.html#(run-\d+)\)/g)].map((match) => match[1]!);
  t.true(links.length >= 6);
  for (const anchor of new Set(links)) t.true(html.includes(`id="${anchor}"`), anchor);
  t.regex(summary, /\[\*\*escrow\*\* · group-chat · network\]\(index\.html#run-6\): target threw/);
  t.is(report.runs[6]!.scenario, 'group-chat');
  t.is(report.runs[6]!.status, 'error');
});

test('report text is escaped in the summary: no markup, no code span, no broken table', (t) => {
  const summary = renderSummary(reportWithChecks());
  t.false(summary.includes('<img'));
  t.false(summary.includes('`'));
  t.true(summary.includes('&lt;img src=x onerror=alert(1)&gt;'));
  // A newline in a detail stays inside its line.
  t.regex(summary, /^- ✗ .*via escrow &#124; see &#96;escrow&#96;<br>second line$/m);
  const rows = summary.split('\n').filter((line) => line.startsWith('|'));
  t.true(rows.length >= 4);
  for (const row of rows) t.is(row.split('|').length, rows[0]!.split('|').length, row);
});
