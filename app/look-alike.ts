/**
 * Look-alike names: two different strings a reader cannot tell apart (`source` and `sоurce`,
 * whose second letter is CYRILLIC SMALL LETTER O), found as Unicode's confusable detection
 * does it (UTS #39 §4, "Confusable Detection"): X and Y are confusable when their skeletons
 * are equal, the skeleton being NFD, then every character replaced by its prototype from
 * Unicode's confusables.txt (the `unhomoglyph` package ships that mapping), then NFD again.
 */
import unhomoglyph from 'unhomoglyph';

/** The UTS #39 skeleton of `text`. */
export function skeleton(text: string): string {
  return unhomoglyph(text.normalize('NFD')).normalize('NFD');
}

/**
 * Pairs of an added name and a removed one that look the same: each added name is paired
 * with the first removed name of its skeleton (each removed name once), in the order given.
 */
export function lookAlikePairs(added: readonly string[], removed: readonly string[]): { added: string; removed: string }[] {
  const bySkeleton = new Map<string, string[]>();
  for (const name of removed) {
    const key = skeleton(name);
    const names = bySkeleton.get(key);
    if (names) names.push(name);
    else bySkeleton.set(key, [name]);
  }
  const pairs: { added: string; removed: string }[] = [];
  for (const name of added) {
    const match = bySkeleton.get(skeleton(name))?.shift();
    if (match !== undefined && match !== name) pairs.push({ added: name, removed: match });
  }
  return pairs;
}

/**
 * Where a name differs from its look-alike, by code point, for a reader whose screen shows
 * them the same: `character 2: U+043E, not U+006F`.
 */
export function describeDifference(name: string, other: string): string {
  const a = [...name];
  const b = [...other];
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let end = 0;
  while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end]) end++;
  const codes = (chars: string[]) => {
    const shown = chars.slice(0, 8).map((ch) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`);
    return chars.length > 8 ? `${shown.join(' ')} ...` : shown.join(' ') || 'nothing';
  };
  return `character ${start + 1}: ${codes(a.slice(start, a.length - end))}, not ${codes(b.slice(start, b.length - end))}`;
}
