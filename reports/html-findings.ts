/**
 * The findings of index.html, under the matrix: the violated claims, the failed runs, and the
 * policy's and the baseline's results when the run had them, each linked to its run.
 */
import type { Report } from '../harness/report/types.ts';
import { runKey } from './html-links.ts';
import { escapeHtml } from './html-text.ts';

export function findingsSection(report: Report, firstRun: Map<string, number>): string {
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
