/**
 * Markdown text shared by report.md and report-summary.md: `mdEscape`, through which every
 * string taken from the report passes, and the verdict line.
 */
import type { Report } from '../harness/report/types.ts';

const MD_REFERENCES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '|': '&#124;',
  '`': '&#96;',
  '\\': '&#92;',
  '*': '&#42;',
  _: '&#95;',
  '[': '&#91;',
  ']': '&#93;',
  '~': '&#126;',
  '#': '&#35;',
  '@': '&#64;',
  $: '&#36;',
};

/**
 * Escapes text for Markdown and HTML at once (inline, table cells, `<summary>`): special
 * characters become character references, line breaks `<br>`, other control characters
 * a space.
 */
export function mdEscape(value: unknown): string {
  return String(value)
    .replace(/[&<>"'|`\\*_[\]~#@$]/g, (ch) => MD_REFERENCES[ch]!)
    .replace(/\r\n|\r|\n|\u2028|\u2029/g, '<br>')
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, ' ');
}

/** The one-line verdict: every claim kept, or what makes the audit exit 1, counted. */
export function verdictLine(report: Report): string {
  const parts = findingCounts(report);
  return parts.length === 0 ? '**✓ every design kept its claims**' : `**✗ ${parts.join(', ')}**`;
}

/** What makes `keyhole audit` exit 1, counted: violated claims, failed runs, policy failures, regressions. */
export function findingCounts(report: Report): string[] {
  const count = (n: number, noun: string) => (n > 0 ? [`${n} ${noun}${n === 1 ? '' : 's'}`] : []);
  return [
    ...count(report.violations.length, 'violated claim'),
    ...count(report.runs.filter((r) => r.status === 'error').length, 'failed run'),
    ...count(report.policy?.failures.length ?? 0, 'failed policy expectation'),
    ...count(report.baseline?.regressions.length ?? 0, 'regression'),
  ];
}
