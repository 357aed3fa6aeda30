/**
 * The target x adversary matrix every summary reporter shows: messages leaked over messages
 * judged, summed over scenarios, and the claimed properties that were violated.
 */
import type { Report, RunReport } from '../harness/report/types.ts';

export interface MatrixCell {
  leaked: number;
  messages: number;
  runs: number;
  errors: number;
  notApplicable: number;
  /** Claimed properties violated in any scenario, in property order. */
  violated: string[];
  /** Claimed properties the attack could not settle in some scenario (`inconclusive`). */
  inconclusive: string[];
}

export interface Matrix {
  targets: string[];
  adversaries: string[];
  cell(target: string, adversary: string): MatrixCell | undefined;
}

export function buildMatrix(report: Report): Matrix {
  const targets = unique(report.runs.map((r) => r.target));
  const adversaries = unique(report.runs.map((r) => r.adversary));
  const cells = new Map<string, MatrixCell>();
  for (const run of report.runs) {
    const key = `${run.target}\u0000${run.adversary}`;
    const cell = cells.get(key) ?? { leaked: 0, messages: 0, runs: 0, errors: 0, notApplicable: 0, violated: [], inconclusive: [] };
    addRun(cell, run);
    cells.set(key, cell);
  }
  return { targets, adversaries, cell: (target, adversary) => cells.get(`${target}\u0000${adversary}`) };
}

function addRun(cell: MatrixCell, run: RunReport): void {
  cell.runs++;
  if (run.status === 'error') cell.errors++;
  if (run.status === 'not-applicable') cell.notApplicable++;
  cell.leaked += run.summary.leaked;
  cell.messages += run.status === 'ok' ? run.summary.messages : 0;
  for (const p of run.properties) {
    if (p.claimed && p.verdict === 'violated' && !cell.violated.includes(p.property)) cell.violated.push(p.property);
    if (p.claimed && p.verdict === 'inconclusive' && !cell.inconclusive.includes(p.property)) cell.inconclusive.push(p.property);
  }
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** Short names for properties in narrow cells. */
export const PROPERTY_ABBREVIATIONS: Record<string, string> = {
  confidentiality: 'conf',
  'forward-secrecy': 'fs',
  'post-compromise-security': 'pcs',
  authentication: 'auth',
  replay: 'replay',
  membership: 'member',
  metadata: 'meta',
};
