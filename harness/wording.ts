/** Small helpers for the wording of messages. */

/**
 * `noun` with its indefinite article, by how it is spoken: "an adversary", "an unknown
 * name", but "a scenario", "a user", "a unique id".
 */
export function withArticle(noun: string): string {
  return `${/^(?:[aeio]|u(?!.[aeiou]))/i.test(noun) ? 'an' : 'a'} ${noun}`;
}
