/**
 * Links within index.html: each run's block is anchored at `run-<its index in report.json>`,
 * and a matrix cell or a finding links to the first run it is about.
 */
import type { Report } from '../harness/report/types.ts';

/** The index of the first run of each target x adversary (and target x scenario x adversary), for links. */
export function firstRunIndex(report: Report): Map<string, number> {
  const first = new Map<string, number>();
  report.runs.forEach((run, index) => {
    for (const key of [pairKey(run.target, run.adversary), runKey(run.target, run.scenario, run.adversary)]) {
      if (!first.has(key)) first.set(key, index);
    }
  });
  return first;
}

/** The key of a target x adversary pair in `firstRunIndex`. */
export function pairKey(target: string, adversary: string): string {
  return `${target}\u0000${adversary}`;
}

/** The key of a target x scenario x adversary run in `firstRunIndex`. */
export function runKey(target: string, scenario: string, adversary: string): string {
  return `${target}\u0000${scenario}\u0000${adversary}`;
}
