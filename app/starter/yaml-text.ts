/**
 * Writing YAML by hand for the files `keyhole init` writes, with names taken from an audit
 * (scenario names come from files anyone can write): a scalar is plain only when it cannot
 * mean anything else, otherwise a double-quoted string; a comment never holds a line break.
 */

/** Plain scalars that YAML would read as something other than the string. */
const YAML_WORDS = new Set(['true', 'false', 'null', 'yes', 'no', 'on', 'off', 'y', 'n', '~']);

/** A string as a YAML scalar: plain when safe (`signal`, `stolen-device`), double-quoted otherwise. */
export function yamlString(value: string): string {
  if (/^[A-Za-z][A-Za-z0-9._/-]*$/.test(value) && !YAML_WORDS.has(value.toLowerCase())) return value;
  // JSON's double-quoted strings are YAML's; the line and paragraph separators are escaped too.
  return JSON.stringify(value).replace(/[\u0085\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A flow mapping on one line: `{ target: signal, property: forward-secrecy }`; lists as `[a, b]`. */
export function flowMapping(entries: Record<string, string | number | readonly string[]>): string {
  const value = (v: string | number | readonly string[]) =>
    typeof v === 'number' ? String(v) : typeof v === 'string' ? yamlString(v) : `[${v.map(yamlString).join(', ')}]`;
  return `{ ${Object.entries(entries)
    .map(([key, v]) => `${key}: ${value(v)}`)
    .join(', ')} }`;
}

/** Text for a `# ...` comment: line breaks and other control characters become spaces. */
export function commentText(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
}
