/**
 * Two readings of a run that every consumer of a report shares (SPEC §5, §7): which property
 * verdicts are claim violations, and how many leaks went beyond what the adversary was
 * entitled to.
 */
import type { PropertyReport, RunReport } from './types.ts';

/**
 * A violated verdict is a claim violation when the target claims the property against the
 * adversary and the violation falls within the claim's scope (`notClaimedFor` unset).
 */
export function isClaimViolation(property: Pick<PropertyReport, 'claimed' | 'verdict' | 'notClaimedFor'>): boolean {
  return property.claimed && property.verdict === 'violated' && property.notClaimedFor === undefined;
}

/** Leaked messages outside `exposed`: what the adversary obtained beyond its entitlement. */
export function breachedMessages(run: Pick<RunReport, 'messages'>): number {
  return run.messages.filter((m) => m.leaked && m.class !== 'exposed').length;
}

/**
 * The verdict as reports word it: `violated, not claimed for groups` for a violation outside
 * the claim's scope (`...; inconclusive within the claim` when the claimed part went unchecked).
 */
export function verdictWording(property: Pick<PropertyReport, 'verdict' | 'notClaimedFor' | 'withinClaim'>): string {
  if (property.notClaimedFor === undefined) return property.verdict;
  const within = property.withinClaim === undefined ? '' : `; ${property.withinClaim} within the claim`;
  return `${property.verdict}, not claimed for ${property.notClaimedFor}${within}`;
}
