/**
 * A hot-path finding: a measured ratio (or rate) against its goal, and the line it prints as.
 */

export interface Finding {
  name: string;
  value: number | null;
  /** What `value` counts, when it is not a ratio (`messages/s`). */
  unit?: string;
  goal: string;
  met: boolean | null;
  detail: string;
}

/** A ratio as printed: two decimals. */
export const fmt = (n: number) => n.toFixed(2);
/** Nanoseconds as printed: microseconds, one decimal. */
export const us = (ns: number) => `${(ns / 1000).toFixed(1)} us`;

export function formatFinding(f: Finding): string {
  const value = f.value === null ? 'n/a' : f.unit === undefined ? `${fmt(f.value)}x` : f.unit === 's' ? `${f.value.toFixed(2)} s` : `${Math.round(f.value).toLocaleString('en-US')} ${f.unit}`;
  const verdict = f.met === null ? '' : f.met ? ' (goal met)' : ' (goal missed)';
  return `${f.name}: ${value}, goal ${f.goal}${verdict}; ${f.detail}`;
}
