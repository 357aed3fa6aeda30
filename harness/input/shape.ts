/** The shape of parsed data, checked before any schema walks it: something, no cycle, not too deep. */
import { MAX_NESTING } from '../limits.ts';
import { withArticle } from '../wording.ts';
import type { InputKind } from './types.ts';

/**
 * What is wrong with parsed data before any schema can check it: nothing at all (an empty
 * document), a cycle (a YAML alias inside its own anchor) or nesting deeper than
 * `MAX_NESTING`; undefined when it is fine. The message is meant for the path `[]`.
 */
export function unusableData(data: unknown, kind: Pick<InputKind, 'what' | 'shape'>): string | undefined {
  if (data === null || data === undefined) return `the file is empty; expected ${withArticle(kind.what)} (${kind.shape})`;
  const depth = nestingDepth(data);
  if (depth === Infinity) return `a YAML alias refers to its own anchor (a cycle); expected ${withArticle(kind.what)}`;
  if (depth > MAX_NESTING) return `nested too deeply (more than ${MAX_NESTING} levels); expected ${withArticle(kind.what)}`;
  return undefined;
}

/**
 * How deeply lists and mappings nest, without recursion (the data may be arbitrarily deep);
 * Infinity for a cycle (a YAML alias inside its own anchor).
 */
export function nestingDepth(data: unknown): number {
  let deepest = 0;
  const onPath = new Set<object>();
  const done = new Set<object>();
  const stack: { value: unknown; depth: number; exit: boolean }[] = [{ value: data, depth: 0, exit: false }];
  while (stack.length > 0) {
    const { value, depth, exit } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (exit) {
      onPath.delete(value);
      done.add(value);
      continue;
    }
    if (onPath.has(value)) return Infinity;
    if (done.has(value)) continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > MAX_NESTING) return deepest;
    onPath.add(value);
    stack.push({ value, depth, exit: true });
    for (const child of Object.values(value)) stack.push({ value: child, depth: depth + 1, exit: false });
  }
  return deepest;
}
