/**
 * `html`: index.html, one self-contained page (inline CSS and one small inline script, no
 * network, no other files). The target x adversary matrix as a heat map, then per run the
 * conversation as a timeline of message chips with the strike point and the scenario's
 * marks, the properties with their verdicts, notes and errors.
 *
 * Every string taken from the report passes through `escapeHtml` before it reaches the page;
 * numbers the page computes (colours, counts) are formatted here. The inline script takes
 * nothing from the report: it only opens the run a link points at and expands or collapses
 * all runs. A Content-Security-Policy allows that one script (by hash) and inline styles,
 * nothing else, so even markup that slipped through could not run or load anything.
 */
import { createHash } from 'node:crypto';
import type { ForgeryReport, MessageClass, MessageReport, PropertyReport, Report, RunReport } from '../harness/report/types.ts';
import { fileReporter } from './file-reporter.ts';
import { isClaimViolation, verdictWording } from '../harness/report/verdicts.ts';
import { buildMatrix, CELL_LEGEND, cellCounts, inconclusiveMark, PROPERTY_ABBREVIATIONS, standingOf, unnoticedCount, type CellStanding, type MatrixCell } from './matrix.ts';
import { selectMessages } from './message-selection.ts';

const HTML_REFERENCES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** The one escaping helper: text and attribute values alike. */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/[&<>"']/g, (ch) => HTML_REFERENCES[ch]!)
    .replace(/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/g, '\uFFFD');
}

const CLASS_LABELS: Record<MessageClass, string> = {
  exposed: 'exposed: the adversary was entitled to it (a recipient, or still stored on the seized device)',
  before: 'before: sent before the strike point',
  after: 'after: sent after the strike point',
  unrelated: 'unrelated: the adversary has no strike point',
};

const KNOWN_VIA: Record<string, string> = {
  decrypt: 'recovered by running the design’s own code on captured state',
  cleartext: 'the marker stood in clear in captured bytes',
  'device-image': 'found in clear in the seized device image (its message database file, deleted pages included)',
  quantum: 'opened with private keys from the discrete-log oracle, through the design’s own code',
  escrow: 'opened with the escrow key',
  'ghost-device': 'sent to a device the provider slipped in',
  'key-substitution': 'encrypted to a key the provider substituted',
  clone: 'read by a clone of the seized device, delivered to it as the device',
};

const SCRIPT = `(function () {
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id ? document.getElementById(id) : null;
    if (el && el.tagName === 'DETAILS') el.open = true;
  }
  function setAll(open) {
    var runs = document.querySelectorAll('details.run');
    for (var i = 0; i < runs.length; i++) runs[i].open = open;
  }
  window.addEventListener('hashchange', openTarget);
  openTarget();
  var expand = document.getElementById('expand-all');
  var collapse = document.getElementById('collapse-all');
  if (expand) expand.addEventListener('click', function () { setAll(true); });
  if (collapse) collapse.addEventListener('click', function () { setAll(false); });
})();`;

const SCRIPT_HASH = createHash('sha256').update(SCRIPT).digest('base64');

const CSP = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  `script-src 'sha256-${SCRIPT_HASH}'`,
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const CSS = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #ffffff; --panel: #f6f8fa;
  --bad: #c62828; --good: #1b7f3b; --warn: #b26a00;
  --c-exposed: #7e57c2; --c-before: #1e6fd9; --c-after: #00897b; --c-unrelated: #607d8b; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header, main, footer { max-width: 1200px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 20px; }
h1 { font-size: 24px; margin: 0 0 8px; }
h2 { font-size: 18px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 20px 0 8px; }
.verdict { display: inline-block; padding: 6px 12px; border-radius: 6px; font-weight: 600; margin: 0 0 8px; }
.verdict.good { background: #dcf5e3; color: var(--good); }
.verdict.bad { background: #fde2e1; color: var(--bad); }
.meta, .hint { color: var(--muted); margin: 4px 0; }
table { border-collapse: collapse; }
th, td { padding: 5px 8px; border: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { background: var(--panel); }
.heat td { text-align: center; min-width: 92px; padding: 0; }
.heat td a, .heat td span.cell-body { display: block; padding: 8px 6px; color: inherit; text-decoration: none; }
.heat td.violated { outline: 3px solid var(--bad); outline-offset: -3px; }
.heat td.na { background: repeating-linear-gradient(45deg, #f3f4f6, #f3f4f6 6px, #e8eaed 6px, #e8eaed 12px); color: var(--muted); }
.heat .ratio { font-weight: 600; font-variant-numeric: tabular-nums; }
.heat .exposed { display: block; font-size: 12px; color: var(--muted); }
.heat td.dark .exposed { color: #fff; }
.heat .unnoticed { display: block; font-size: 12px; font-weight: 600; color: #7a1f7a; }
.heat td.dark .unnoticed { color: #fff; }
.heat .linked { display: block; font-size: 12px; color: #1f4f7a; }
.heat td.dark .linked { color: #fff; }
.badge.unnoticed { background: #f3e0f3; color: #7a1f7a; }
ol.alerts { margin: .5em 0; padding-left: 1.5em; font-size: 13px; }
.chip.unnoticed { outline: 2px dashed #7a1f7a; }
.heat .broken { display: block; font-size: 12px; font-weight: 700; color: var(--bad); }
.heat .unclaimed { display: block; font-size: 12px; font-weight: 600; color: var(--warn); }
.heat .unsettled { display: block; font-size: 12px; font-weight: 600; color: var(--warn); }
.heat td.dark .broken { color: #fff; }
.heat .errs { display: block; font-size: 12px; color: var(--warn); }
.heat td.dark .errs { color: #fff; }
.scale { display: flex; align-items: center; gap: 8px; margin: 8px 0; color: var(--muted); font-size: 12px; flex-wrap: wrap; }
.swatch { display: inline-block; width: 14px; height: 14px; border-radius: 3px; vertical-align: -2px; border: 1px solid var(--line); }
.swatch.violated { border: 3px solid var(--bad); }
.swatch.na { background: repeating-linear-gradient(45deg, #f3f4f6, #f3f4f6 3px, #e8eaed 3px, #e8eaed 6px); }
ul.findings { padding-left: 20px; }
ul.findings li { margin: 3px 0; }
.legend { display: flex; flex-wrap: wrap; gap: 8px 18px; align-items: center; background: var(--panel); border: 1px solid var(--line);
  border-radius: 6px; padding: 10px 12px; }
.legend .item { display: inline-flex; align-items: center; gap: 6px; }
.legend dl { margin: 0; display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; width: 100%; }
.legend dt { font-weight: 600; }
.legend dd { margin: 0; color: var(--muted); }
.toolbar { margin: 10px 0; }
button { font: inherit; padding: 3px 10px; border: 1px solid var(--line); border-radius: 6px; background: var(--panel); cursor: pointer; }
details.run { border: 1px solid var(--line); border-radius: 6px; margin: 8px 0; background: var(--bg); }
details.run > summary { cursor: pointer; padding: 8px 12px; list-style-position: inside; }
details.run[open] > summary { border-bottom: 1px solid var(--line); background: var(--panel); }
details.run .body { padding: 8px 14px 14px; }
.run-title { font-weight: 600; }
.badge { display: inline-block; white-space: nowrap; padding: 0 7px; border-radius: 10px; font-size: 12px; font-weight: 600; margin-left: 6px; border: 1px solid transparent; }
.badge.ok, .badge.holds { background: #dcf5e3; color: var(--good); }
.badge.violated, .badge.error { background: #fde2e1; color: var(--bad); }
.badge.violated.unclaimed { background: #fff3d6; color: var(--warn); }
.badge.not-applicable { background: #eef0f3; color: var(--muted); }
.badge.inconclusive { background: #fff3d6; color: var(--warn); }
.badge.leaks { background: #fff3d6; color: var(--warn); }
.badge.claim-broken { background: var(--bad); color: #fff; }
.timeline { list-style: none; display: flex; flex-wrap: wrap; gap: 6px; align-items: stretch; padding: 10px 0; margin: 0; }
.selection { font-style: italic; margin: 6px 0 0; }
.chip { --c: var(--c-unrelated); display: inline-flex; align-items: center; gap: 5px; padding: 2px 8px; border-radius: 12px;
  border: 2px solid var(--c); color: var(--c); background: #fff; font-size: 12px; font-weight: 600; white-space: pre-wrap; word-break: break-all; max-width: 100%; }
.chip.c-exposed { --c: var(--c-exposed); }
.chip.c-before { --c: var(--c-before); }
.chip.c-after { --c: var(--c-after); }
.chip.c-unrelated { --c: var(--c-unrelated); }
.chip.leaked { background: var(--c); color: #fff; box-shadow: 0 0 0 2px var(--bad); }
.chip.undelivered { border-style: dashed; opacity: .7; }
.chip.undelivered .id { text-decoration: line-through; }
.via { font-size: 10px; font-weight: 700; background: var(--bad); color: #fff; border-radius: 6px; padding: 0 4px; }
.chip .flag { font-size: 11px; }
.strike { display: inline-flex; align-items: center; padding: 2px 8px; border-left: 3px dashed var(--bad); color: var(--bad); font-size: 12px; font-weight: 700; }
.mark { display: inline-flex; align-items: center; padding: 2px 6px; border-left: 3px solid var(--muted); color: var(--muted); font-size: 12px; }
.props td.detail { white-space: pre-wrap; word-break: break-word; }
.props tr.broken td { background: #fff5f5; }
.notes { color: var(--muted); white-space: pre-wrap; word-break: break-word; }
.run-error { color: var(--bad); background: #fde2e1; border-radius: 6px; padding: 8px 10px; white-space: pre-wrap; word-break: break-word; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
footer { color: var(--muted); font-size: 12px; padding-top: 20px; padding-bottom: 30px; }
`;

export function renderHtml(report: Report): string {
  const errors = report.runs.filter((r) => r.status === 'error');
  const ok = report.runs.filter((r) => r.status === 'ok').length;
  const na = report.runs.filter((r) => r.status === 'not-applicable').length;
  const count = (n: number, noun: string) => (n > 0 ? [plural(n, noun)] : []);
  const verdictParts = [
    ...count(report.violations.length, 'violated claim'),
    ...count(errors.length, 'failed run'),
    ...count(report.policy?.failures.length ?? 0, 'failed policy expectation'),
    ...count(report.baseline?.regressions.length ?? 0, 'regression'),
  ];
  const good = verdictParts.length === 0;
  const shard = report.shard ? ` · shard ${report.shard.index}/${report.shard.count} of ${report.shard.matrixSize} runs` : '';
  const firstRun = firstRunIndex(report);

  const body = [
    '<header>',
    '<h1>keyhole report</h1>',
    `<p class="verdict ${good ? 'good' : 'bad'}" id="verdict">${good ? '✓ every design kept its claims' : `✗ ${escapeHtml(verdictParts.join(', '))}`}</p>`,
    `<p class="meta">${escapeHtml(`${report.runs.length} runs (${ok} ok, ${na} not applicable, ${errors.length} failed)${shard} · seed ${report.seed} · keyhole ${report.tool.version} · started ${report.timing.startedAt} · ${report.timing.durationMs} ms`)}</p>`,
    '</header>',
    '<main>',
    matrixSection(report, firstRun),
    findingsSection(report, firstRun),
    legendSection(report),
    runsSection(report),
    '</main>',
    `<footer>${escapeHtml(`generated by keyhole ${report.tool.version} · schema ${report.schema}`)}</footer>`,
  ];

  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(CSP)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    '<title>keyhole report</title>',
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    ...body,
    `<script>${SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** The index of the first run of each target x adversary (and target x scenario x adversary), for links. */
function firstRunIndex(report: Report): Map<string, number> {
  const first = new Map<string, number>();
  report.runs.forEach((run, index) => {
    for (const key of [pairKey(run.target, run.adversary), runKey(run.target, run.scenario, run.adversary)]) {
      if (!first.has(key)) first.set(key, index);
    }
  });
  return first;
}

function pairKey(target: string, adversary: string): string {
  return `${target}\u0000${adversary}`;
}

function runKey(target: string, scenario: string, adversary: string): string {
  return `${target}\u0000${scenario}\u0000${adversary}`;
}

function matrixSection(report: Report, firstRun: Map<string, number>): string {
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

function findingsSection(report: Report, firstRun: Map<string, number>): string {
  const out: string[] = [];
  const runLink = (target: string, scenario: string, adversary: string, text: string) => {
    const index = firstRun.get(runKey(target, scenario, adversary));
    return index === undefined ? text : `<a href="#run-${index}">${text}</a>`;
  };
  if (report.violations.length > 0) {
    out.push(`<section id="violations"><h2>Violated claims (${report.violations.length})</h2><ul class="findings">`);
    for (const v of report.violations) {
      const where = `${escapeHtml(v.target)} · ${escapeHtml(v.scenario)} · ${escapeHtml(v.adversary)}`;
      out.push(`<li><span class="badge claim-broken">✗ ${escapeHtml(v.property)}</span> ${runLink(v.target, v.scenario, v.adversary, where)}: ${escapeHtml(v.detail)}</li>`);
    }
    out.push('</ul></section>');
  }
  const errors = report.runs.map((run, index) => ({ run, index })).filter(({ run }) => run.status === 'error');
  if (errors.length > 0) {
    out.push(`<section id="errors"><h2>Failed runs (${errors.length})</h2><ul class="findings">`);
    for (const { run, index } of errors) {
      out.push(
        `<li><span class="badge error">error</span> <a href="#run-${index}">${escapeHtml(run.target)} · ${escapeHtml(run.scenario)} · ${escapeHtml(run.adversary)}</a>: ${escapeHtml(run.error ?? 'unknown error')}</li>`,
      );
    }
    out.push('</ul></section>');
  }
  if (report.policy) {
    const { file, failures } = report.policy;
    out.push(`<section id="policy"><h2>Policy ${escapeHtml(file)}</h2>`);
    if (failures.length === 0) out.push('<p class="hint">✓ every expectation holds</p>');
    else out.push('<ul class="findings">');
    for (const f of failures) {
      const where = `${escapeHtml(f.target)} · ${escapeHtml(f.scenario)} · ${escapeHtml(f.adversary)}`;
      out.push(
        `<li><span class="badge claim-broken">✗ expect[${escapeHtml(f.entry)}]</span> ${runLink(f.target, f.scenario, f.adversary, where)}` +
          `${f.property === null ? '' : ` · ${escapeHtml(f.property)}`}: expected ${escapeHtml(f.expected)}, got ${escapeHtml(f.actual)}</li>`,
      );
    }
    out.push(failures.length === 0 ? '</section>' : '</ul></section>');
  }
  if (report.baseline) {
    const { file, regressions, notes } = report.baseline;
    out.push(`<section id="baseline"><h2>Baseline ${escapeHtml(file)}</h2>`);
    if (regressions.length === 0) out.push('<p class="hint">✓ nothing got worse</p>');
    else out.push('<ul class="findings">');
    for (const r of regressions) {
      const where = `${escapeHtml(r.target)} · ${escapeHtml(r.scenario)} · ${escapeHtml(r.adversary)}`;
      out.push(`<li><span class="badge claim-broken">✗ ${escapeHtml(r.kind)}</span> ${runLink(r.target, r.scenario, r.adversary, where)}: ${escapeHtml(r.description)}</li>`);
    }
    if (regressions.length > 0) out.push('</ul>');
    if (notes.length > 0) out.push(`<ul class="notes">${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`);
    out.push('</section>');
  }
  return out.join('\n');
}

function legendSection(report: Report): string {
  const classes = (Object.keys(CLASS_LABELS) as MessageClass[])
    .map((c) => `<span class="item"><span class="chip c-${c}">${escapeHtml(c)}</span></span>`)
    .join('');
  const via = new Map<string, number>();
  for (const run of report.runs) for (const m of run.messages) if (m.leaked && m.via !== null) via.set(m.via, (via.get(m.via) ?? 0) + 1);
  const viaRows = [...via.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, count]) => `<dt><span class="via">${escapeHtml(name)}</span></dt><dd>${escapeHtml(`${KNOWN_VIA[name] ?? 'recovered this way'} (${plural(count, 'message')})`)}</dd>`);
  return [
    '<section id="legend">',
    '<h2>Legend</h2>',
    '<div class="legend">',
    `<span class="item">class:</span>${classes}`,
    '<span class="item"><span class="chip c-before">m1</span> not leaked</span>',
    '<span class="item"><span class="chip c-before leaked">m1<span class="via">via</span></span> leaked, with how</span>',
    '<span class="item"><span class="chip c-before undelivered"><span class="id">m1</span><span class="flag">⊘</span></span> not delivered</span>',
    '<span class="item"><span class="chip c-before">m1<span class="flag">✓</span></span> verified (safety numbers compared)</span>',
    '<span class="item"><span class="strike">⚡ strike</span> the adversary’s strike point</span>',
    '<span class="item"><span class="mark">⚑ mark</span> a named point of the scenario</span>',
    '<dl>',
    ...Object.values(CLASS_LABELS).map((label) => {
      const [name, ...rest] = label.split(': ');
      return `<dt>${escapeHtml(name)}</dt><dd>${escapeHtml(rest.join(': '))}</dd>`;
    }),
    ...(viaRows.length > 0 ? ['<dt>via</dt><dd>how a leaked message was recovered; hover a chip for its details</dd>', ...viaRows] : []),
    '</dl>',
    '</div>',
    '</section>',
  ].join('\n');
}

function runsSection(report: Report): string {
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

interface Marker {
  step: number;
  html: string;
}

function timeline(run: RunReport): string {
  const markers: Marker[] = Object.entries(run.marks ?? {})
    .filter(([, step]) => Number.isFinite(step))
    .map(([name, step]) => ({ step, html: `<li class="mark" title="${escapeHtml(`mark ${name} at step ${step}`)}">⚑ ${escapeHtml(name)}</li>` }));
  if (run.strikeStep !== undefined && run.strikeStep !== null) {
    markers.push({
      step: run.strikeStep,
      html: `<li class="strike" title="${escapeHtml(`the adversary strikes at step ${run.strikeStep}`)}">⚡ strike · step ${escapeHtml(run.strikeStep)}</li>`,
    });
  }
  // Marks before the strike at the same step: the strike happens at the mark.
  markers.sort((a, b) => a.step - b.step);
  const { shown, note } = selectMessages(run.messages);
  const messages = shown.map((m, i) => ({ m, i })).sort((a, b) => a.m.step - b.m.step || a.i - b.i);
  const items: string[] = [];
  let next = 0;
  for (const { m } of messages) {
    while (next < markers.length && markers[next]!.step <= m.step) items.push(markers[next++]!.html);
    items.push(chip(m));
  }
  while (next < markers.length) items.push(markers[next++]!.html);
  const list = `<ol class="timeline" aria-label="messages in step order">${items.join('')}</ol>`;
  return note === null ? list : `<p class="selection">${escapeHtml(note)}</p>${list}`;
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

function chip(m: MessageReport): string {
  const classes = ['chip', `c-${m.class}`, m.leaked ? 'leaked' : 'safe'];
  if (m.noticed === false) classes.push('unnoticed');
  if (!m.delivered) classes.push('undelivered');
  if (m.verified) classes.push('verified');
  const title = [
    m.id,
    `${m.from} → ${m.to}`,
    `step ${m.step}`,
    m.class,
    m.delivered ? 'delivered' : 'not delivered',
    ...(m.unreadable ? [`unreadable for ${m.unreadable.join(', ')} (could not decrypt)`] : []),
    m.verified ? 'verified' : 'not verified',
    m.leaked ? `leaked via ${m.via ?? 'unknown'}` : 'not leaked',
    ...(m.noticed === null ? [] : [m.noticed ? 'an alert came first' : 'no alert came first (unnoticed)']),
  ].join(' · ');
  let inner = `<span class="id">${escapeHtml(m.id)}</span>`;
  if (m.verified) inner += '<span class="flag" aria-label="verified">✓</span>';
  if (!m.delivered) inner += '<span class="flag" aria-label="not delivered">⊘</span>';
  if (m.leaked) inner += `<span class="via">${escapeHtml(m.via ?? 'leaked')}</span>`;
  return `<li class="${escapeHtml(classes.join(' '))}" title="${escapeHtml(title)}">${inner}</li>`;
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

export const htmlReporter = fileReporter('index.html, one self-contained page with a heat map and timelines', 'index.html', renderHtml, '<title>keyhole report</title>');
