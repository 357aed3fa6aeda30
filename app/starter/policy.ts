/**
 * The starter `keyhole-policy.yaml` that `keyhole init` writes (SPEC §6): today's audit,
 * pinned. Every claim that holds today becomes an expectation (`verdict: holds`), so that a
 * change which breaks it fails CI even if the design's claims change with it; every property
 * that is violated today is listed in comments, each with the entry that would require it,
 * for the team to decide on.
 *
 * A property entry applies to every run it matches, `not-applicable` and failed runs too
 * (`../../harness/policy.ts`), so an entry leaves the scenario out only when the claim holds in every
 * run of that target and adversary, and names the scenarios where it holds otherwise.
 */
import { clip } from '../../harness/printable.ts';
import type { PropertyName, Report, RunReport } from '../../harness/report/types.ts';
import { isClaimViolation } from '../../harness/report/verdicts.ts';
import { commentText, flowMapping } from './yaml-text.ts';

export const POLICY_FILE = 'keyhole-policy.yaml';
/** A violated property's detail is shown up to this many characters in its comment. */
const MAX_DETAIL_CHARS = 160;

interface Group {
  target: string;
  adversary: string;
  property: PropertyName;
}

export interface StarterPolicy {
  text: string;
  /** How many expectations it holds. */
  expectations: number;
  /** How many violated properties (target, adversary, property) it lists to decide on, metadata included. */
  undecided: number;
}

/** `command`: the audit it was made from, as a command line, for the header. */
export function starterPolicy(report: Report, command: string): StarterPolicy {
  const runsOfPair = new Map<string, RunReport[]>();
  const held = new Map<string, { group: Group; scenarios: string[] }>();
  const violated = new Map<string, { group: Group; claimed: boolean; scenarios: string[]; detail: string }>();
  for (const run of report.runs) {
    const pair = key(run.target, run.adversary);
    runsOfPair.set(pair, [...(runsOfPair.get(pair) ?? []), run]);
    if (run.status !== 'ok') continue;
    for (const p of run.properties) {
      const group = { target: run.target, adversary: run.adversary, property: p.property };
      const groupKey = key(run.target, run.adversary, p.property);
      if (p.claimed && p.verdict === 'holds') {
        const entry = held.get(groupKey) ?? { group, scenarios: [] };
        entry.scenarios.push(run.scenario);
        held.set(groupKey, entry);
      }
      if (p.verdict === 'violated') {
        const entry = violated.get(groupKey) ?? { group, claimed: false, scenarios: [], detail: p.detail };
        // Claimed only where the violation breaks the claim, not where it lies outside the claim's scope.
        entry.claimed ||= isClaimViolation(p);
        entry.scenarios.push(run.scenario);
        violated.set(groupKey, entry);
      }
    }
  }

  const lines = [
    `# keyhole policy, written by keyhole init from: ${commentText(command)}`,
    `# (seed ${report.seed}, keyhole ${commentText(report.tool.version)}). Check it with keyhole audit --policy ${POLICY_FILE}.`,
    '#',
    '# Every claim that holds today is pinned below: a change that breaks one fails the audit,',
    '# even if a design\'s own claims change with it. The properties violated today are listed',
    '# at the end, each with the entry that would require it: decide on each, then uncomment',
    '# the entry (once it holds) or delete the comment.',
    'expect:',
  ];
  for (const { group, scenarios } of held.values()) {
    const everyRun = (runsOfPair.get(key(group.target, group.adversary)) ?? []).every((run) => scenarios.includes(run.scenario));
    lines.push(`  - ${entry(group, everyRun ? null : scenarios)}`);
  }
  if (held.size === 0) {
    // An empty list is not a policy; what every run does today holds by definition.
    const most = Math.max(0, ...report.runs.map((run) => run.summary.leaked));
    lines.push('  # No claim holds today. Until one does, no run may leak more than the most any run leaks today:');
    lines.push(`  - ${flowMapping({ target: '*', maxLeaked: most })}`);
  }
  const decide = [...violated.values()];
  const properties = decide.filter((v) => v.group.property !== 'metadata');
  const metadata = decide.filter((v) => v.group.property === 'metadata');
  if (properties.length > 0) {
    lines.push('', `# Violated today (${properties.length}), to decide on; claimed ones first:`);
    for (const v of [...properties.filter((p) => p.claimed), ...properties.filter((p) => !p.claimed)]) lines.push(...undecided(v));
  }
  if (metadata.length > 0) {
    // SPEC §5: metadata is informational; requiring it makes sense for a design that hides it (sealed sender, padding).
    lines.push('', `# Metadata seen today (${metadata.length}; informational: require it only of a design that hides it):`);
    for (const v of metadata) lines.push(...undecided(v));
  }
  const failed = report.runs.filter((run) => run.status === 'error');
  if (failed.length > 0) {
    lines.push('', `# Failed today (${failed.length}): no claim of these runs is pinned.`);
    for (const run of failed) lines.push(`#   ${commentText(`${run.target} · ${run.scenario} · ${run.adversary}: ${clipped(run.error ?? 'unknown error')}`)}`);
  }
  return { text: `${lines.join('\n')}\n`, expectations: held.size === 0 ? 1 : held.size, undecided: violated.size };
}

/** A violated property as comments: what, where, why, and the entry that would require it. */
function undecided(v: { group: Group; claimed: boolean; scenarios: string[]; detail: string }): string[] {
  const { group, claimed, scenarios, detail } = v;
  return [
    '#',
    `# ${commentText(`${group.target} · ${group.adversary} · ${group.property}${claimed ? ' (claimed)' : ' (not claimed)'}: violated in ${scenarios.join(', ')}`)}`,
    `#   ${commentText(clipped(detail))}`,
    `#  - ${entry(group, scenarios)}`,
  ];
}

/** The entry requiring `holds` of the group's property, in `scenarios` (null: in every scenario). */
function entry(group: Group, scenarios: readonly string[] | null): string {
  const fields: Record<string, string | readonly string[]> = { target: group.target };
  if (scenarios !== null) fields.scenario = scenarios.length === 1 ? scenarios[0]! : [...new Set(scenarios)];
  return flowMapping({ ...fields, adversary: group.adversary, property: group.property, verdict: 'holds' });
}

function key(...parts: string[]): string {
  return JSON.stringify(parts);
}

function clipped(text: string): string {
  return clip(text, MAX_DETAIL_CHARS);
}
