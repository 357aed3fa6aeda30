/**
 * Text shared by the parts of index.html: `escapeHtml`, through which every string taken from
 * the report passes before it reaches the page, and counted nouns.
 */

const HTML_REFERENCES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** The one escaping helper: text and attribute values alike. */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/[&<>"']/g, (ch) => HTML_REFERENCES[ch]!)
    .replace(/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/g, '\uFFFD');
}

/** `n noun`, with an s unless n is 1. */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
