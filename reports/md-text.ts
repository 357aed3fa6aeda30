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
 * (C0, DEL, C1), format characters (bidirectional overrides, zero-width and tag characters:
 * "Trojan Source", CVE-2021-42574) and lone surrogates a space; bare links are broken.
 */
export function mdEscape(value: unknown): string {
  return String(value)
    .replace(/[&<>"'|`\\*_[\]~#@$]/g, (ch) => MD_REFERENCES[ch]!)
    // GitHub links bare `https://...`, `www....`, `mailto:` and `xmpp:` by itself (GFM's
    // extended autolinks); with the `:` or the dot as a reference no link forms.
    .replace(/:\/\/|(?<=\b(?:mailto|xmpp)):/gi, (found) => `&#58;${found.slice(1)}`)
    .replace(/\b(www)\./gi, '$1&#46;')
    .replace(/\r\n|\r|\n|\u2028|\u2029/g, '<br>')
    .replace(/[\p{Cc}\p{Cf}\p{Cs}]/gu, ' ');
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
