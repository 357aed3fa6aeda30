/**
 * Text from input, made safe to print. Everything keyhole prints that may hold text from an
 * input file (error messages, terminal reporters, notes, progress lines) goes through
 * `printable`; a value quoted inside a message goes through `echo`.
 *
 * - Control characters (C0, DEL, C1: ESC and CSI start sequences that retitle the window,
 *   clear the screen or move the cursor), line and paragraph separators (a forged extra
 *   line), format characters (bidirectional overrides and isolates, which reorder what is
 *   shown, CVE-2021-42574 "Trojan Source"; zero-width and tag characters, which hide text)
 *   and lone surrogates are shown as escapes: `\n`, `\u001b`, `\u202e`, `\u{e0041}`.
 * - A value longer than a readable length is cut, saying how long it was.
 */
import { MAX_ECHOED_CHARS, MAX_PRINTED_LINE_CHARS } from './limits.ts';

/** Characters never printed as they are (Unicode general categories Cc, Cf, Cs, Zl, Zp). */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu;

const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `text` with every unsafe character as an escape. */
export function escapeUnsafe(text: string): string {
  return text.replace(UNSAFE, (ch) => {
    const named = NAMED_ESCAPES[ch];
    if (named) return named;
    const code = ch.codePointAt(0)!;
    return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** The first `max` characters (code points) of `text`, with `…` when there were more. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  let taken = 0;
  for (const ch of text) {
    if (taken === max) return `${out}…`;
    out += ch;
    taken++;
  }
  return out; // `max` or fewer code points, in more UTF-16 units
}

/**
 * The start of `text` that fits `max` UTF-16 units with its `…` (a budgeted output such as a
 * pull-request comment counts units), never splitting a surrogate pair.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/** Input text as it may be printed: unsafe characters escaped, cut to `max` characters. */
export function printable(text: string, max = MAX_PRINTED_LINE_CHARS): string {
  return escapeUnsafe(cut(text, max));
}

/**
 * A value from input as a message quotes it: `'bob'`; a long one cut, with its length:
 * `'aaaa…' (100000 characters)`. Not escaped here: whatever prints the message does that.
 */
export function echo(value: string, max = MAX_ECHOED_CHARS): string {
  const shown = cut(value, max);
  return shown === value ? `'${value}'` : `'${shown}' (${codePoints(value)} characters)`;
}

function codePoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A high surrogate followed by a low one is one character.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}
