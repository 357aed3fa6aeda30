/**
 * The target x adversary matrix every summary reporter shows (SPEC §7): per cell, summed over
 * scenarios, the messages obtained beyond entitlement (`summary.breached`) over the messages
 * judged, the leaked messages the adversary was entitled to (`exposed`) apart, and the
 * claimed properties that were violated. A cell's standing says what the design's claims
 * make of it: a claim broken, a breach no claim covers, or nothing beyond entitlement.
 */
import type { Report, RunReport } from '../harness/report/types.ts';
import { isClaimViolation } from '../harness/report/verdicts.ts';

/** What the design's claims make of a cell. */
export type CellStanding = 'claim-broken' | 'unclaimed-breach' | 'within-entitlement';

export interface MatrixCell {
  /** Leaked messages outside `exposed`: obtained beyond entitlement. */
  breached: number;
  /** Leaked messages the adversary was entitled to (still on the seized device, received before a removal). */
  exposed: number;
  /** Messages an active attack obtained or forged with no alert about it to the users affected (`noticed: false`). */
  unnoticed: number;
  /** Messages the adversary linked to their senders (`senderLinked`, SPEC §5 sender anonymity). */
  linked: number;
  messages: number;
  runs: number;
  errors: number;
  notApplicable: number;
  /** Claimed properties violated in any scenario, in property order. */
  violated: string[];
  /**
   * Properties the attack could not settle in some scenario (`inconclusive`), claimed or not:
   * the cell's count is then a lower bound (an attack the design gives no way to try reads nothing).
   */
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
    const cell = cells.get(key) ?? { breached: 0, exposed: 0, unnoticed: 0, linked: 0, messages: 0, runs: 0, errors: 0, notApplicable: 0, violated: [], inconclusive: [] };
    addRun(cell, run);
    cells.set(key, cell);
  }
  return { targets, adversaries, cell: (target, adversary) => cells.get(`${target}\u0000${adversary}`) };
}

/** A broken claim first; else a breach beyond entitlement that no claim covers; else nothing beyond entitlement. */
export function standingOf(cell: MatrixCell): CellStanding {
  if (cell.violated.length > 0) return 'claim-broken';
  return cell.breached > 0 ? 'unclaimed-breach' : 'within-entitlement';
}

function addRun(cell: MatrixCell, run: RunReport): void {
  cell.runs++;
  if (run.status === 'error') cell.errors++;
  if (run.status === 'not-applicable') cell.notApplicable++;
  cell.breached += run.summary.breached;
  cell.exposed += run.summary.leaked - run.summary.breached;
  cell.unnoticed += unnoticedCount(run);
  cell.linked += run.messages.filter((m) => m.senderLinked).length;
  cell.messages += run.status === 'ok' ? run.summary.messages : 0;
  for (const p of run.properties) {
    if (isClaimViolation(p) && !cell.violated.includes(p.property)) cell.violated.push(p.property);
    if (p.verdict === 'inconclusive' && !cell.inconclusive.includes(p.property)) cell.inconclusive.push(p.property);
  }
}

/**
 * What the run's active attack obtained or forged with no alert to the users affected (SPEC §5
 * detection), counted as the detection verdict counts it: each scenario message once (its
 * `noticed`), and each forged content nobody in the scenario sent once, unnoticed if any device
 * accepted it unwarned.
 */
export function unnoticedCount(run: RunReport): number {
  const written = new Set((run.forgeries ?? []).filter((f) => f.sentBy === null && !f.noticed).map((f) => f.id));
  return run.messages.filter((m) => m.noticed === false).length + written.size;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/**
 * `5/25`, ` +8 exposed` when the adversary also held messages it was entitled to, and
 * `3 unnoticed` when an active attack obtained or forged messages nobody was alerted to, and
 * `12 linked` when the adversary linked messages to their senders.
 */
export function cellCounts(cell: MatrixCell): { ratio: string; exposed: string | null; unnoticed: string | null; linked: string | null } {
  return {
    ratio: `${cell.breached}/${cell.messages}`,
    exposed: cell.exposed > 0 ? `+${cell.exposed} exposed` : null,
    unnoticed: cell.unnoticed > 0 ? `${cell.unnoticed} unnoticed` : null,
    linked: cell.linked > 0 ? `${cell.linked} linked` : null,
  };
}

/** The legend of a cell, clause by clause, shared by the reporters. */
export const CELL_LEGEND: readonly string[] = [
  'cells: messages obtained beyond entitlement / messages judged, over all scenarios',
  '+n exposed: leaked messages the adversary was entitled to (still on the seized device, received before a removal), not counted as breaches',
  '✗ claims the adversary broke',
  'unclaimed: obtained beyond entitlement, but no claim of the design covers it',
  'n unnoticed: messages an active attack obtained, and contents it forged (a forgery of its own counts once however many devices took it), with no alert about it to the users affected (detection)',
  'n linked: messages the adversary linked to their senders (sender anonymity)',
  '? properties the attack could not settle (inconclusive): the count is a lower bound',
];

/** The properties a cell or run could not settle, abbreviated: `? conf`. */
export function inconclusiveMark(properties: readonly string[]): string | null {
  return properties.length > 0 ? `? ${properties.map((p) => PROPERTY_ABBREVIATIONS[p] ?? p).join(',')}` : null;
}

/** Short names for properties in narrow cells. */
export const PROPERTY_ABBREVIATIONS: Record<string, string> = {
  confidentiality: 'conf',
  'forward-secrecy': 'fs',
  'post-compromise-security': 'pcs',
  authentication: 'auth',
  replay: 'replay',
  membership: 'member',
  detection: 'detect',
  metadata: 'meta',
};
