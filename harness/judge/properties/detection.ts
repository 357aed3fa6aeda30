/**
 * Detection (SPEC §5): every message an active adversary obtained or forged was preceded, or
 * accompanied, by an alert about that attack to an affected user.
 *
 * - Obtained: a message that leaked beyond what the adversary is entitled to (not `exposed`).
 *   Forged: a message a client accepted as from someone who did not send it (an existing
 *   message put in another sender's name, or one nobody sent).
 *   For a claim on verified conversations, only verified messages and forgeries accepted in a
 *   conversation verified by then (and not since shown an identity change) count.
 * - Affected users: an obtained message's sender and recipients; for a forgery, the user who
 *   accepted it and the user it claimed to come from.
 * - An alert is about the attack when it reached an affected user from the attack's first
 *   act on (its strike; a composite's first active part, so a hostile provider's alerts before
 *   a later seizure count; from the start without one) and no later than the message's step;
 *   when its `about` names the conversation: another party of it, a device of a party (one's own new device included),
 *   or the group; when it is a warning about who the user talks to (a changed identity, a new
 *   device, a membership change, a failed verification, an unverified sender, a suspected
 *   clone); and when the scenario's own changes do not explain it (a device its user really
 *   linked, as many membership changes of the group as it really had by then), nor a shield
 *   shown whatever the attack (`unverified-sender` shown the same way before the attack; or,
 *   where the device had shown no message of that sender before it, about a real device of a
 *   user not verified).
 *   `decryption-failed` and `session-reset` do not count: they tell the user a message was
 *   lost, which ordinary network trouble causes too, not that anyone joined or changed keys.
 * - When the attack says what each of its strategies put before the users (`Attribution`),
 *   an alert is about the strategies whose footprint it names, and only those: an attacker
 *   can run one strategy alone, without the noisy others (the ghost user's "suppress the
 *   notification" is exactly that choice). A message obtained several ways is noticed only if
 *   each way was; a forgery that took several strategies together, if any of them was.
 *   A leak through a way that left no footprint (a stolen device's image, the provider's
 *   storage) was noticed by nothing. Without an attribution, any alert counts, as above.
 */
import type { Attribution, Footprint, Position } from '../../../attacks/types.ts';
import type { Acceptance, Alert, Ledger, MessageTruth } from '../../ledger.ts';
import type { AlertKind } from '../../report/types.ts';
import { plural, type JudgeContext, type PropertyEvaluator } from '../context.ts';
import { fromStranger } from './authentication.ts';

const WARNINGS: ReadonlySet<AlertKind> = new Set(['identity-changed', 'new-device', 'member-added', 'member-removed', 'verification-failed', 'unverified-sender', 'clone-suspected']);

/** One thing the adversary obtained or forged, and whether an alert about it came in time. */
export interface Finding {
  /** The message id (a scenario message), or the id a forged message claimed. */
  id: string;
  /** Whether it is a scenario message (reports carry `noticed` on it). */
  message: boolean;
  what: 'obtained' | 'forged';
  noticed: boolean;
}

/** What the adversary obtained or forged in the run, in order; empty for a passive adversary. */
export function detectionFindings({
  messages,
  acceptances,
  ledger,
  position,
  adversary,
  verifiedOnly = false,
  attribution = null,
}: Pick<JudgeContext, 'messages' | 'acceptances' | 'ledger' | 'position' | 'adversary'> & { verifiedOnly?: boolean; attribution?: Attribution | null }): Finding[] {
  if (!adversary.active) return [];
  const warnings = warningsOf(ledger, position);
  const about = attributor(attribution);
  const findings: Finding[] = [];
  for (const { truth, leaked, class: kind, ways } of messages) {
    if (!leaked || kind === 'exposed' || (verifiedOnly && !truth.verified)) continue;
    const parties = [userOf(truth.from), ...truth.recipientUsers];
    // Each way alone would have obtained it: noticed only if every way was.
    const noticed = ways.every((way) => warned(warnings, parties, parties, groupOf(truth), truth.step, about([way])));
    findings.push({ id: truth.id, message: true, what: 'obtained', noticed });
  }
  for (const { acceptance, forged, noticed } of forgedAcceptances(acceptances, ledger, warnings, attribution)) {
    const key = forged?.id ?? acceptance.claimedId;
    if (verifiedOnly && !ledger.isStillVerified(userOf(acceptance.device), userOf(acceptance.claimedFrom), acceptance.step)) continue;
    const earlier = findings.find((f) => f.id === key);
    if (earlier) {
      // Obtained and forged, or forged to several devices: noticed only if noticed every time.
      earlier.noticed &&= noticed;
      continue;
    }
    findings.push({ id: key, message: forged !== null, what: 'forged', noticed });
  }
  return findings;
}

/** One acceptance of a forgery: the scenario message it put in the wrong sender's name (null: one nobody sent), and whether it was noticed. */
export interface ForgedAcceptance {
  acceptance: Acceptance;
  forged: MessageTruth | null;
  noticed: boolean;
}

/**
 * Every acceptance of a forgery in the run, with whether an alert about the attack reached the
 * accepting or the claimed user by then; `warnings` from `warningsOf` (empty for a passive adversary).
 */
export function forgedAcceptances(acceptances: readonly Acceptance[], ledger: Ledger, warnings: readonly Alert[], attribution: Attribution | null = null): ForgedAcceptance[] {
  const about = attributor(attribution);
  const found: ForgedAcceptance[] = [];
  for (const acceptance of acceptances) {
    for (const forged of forgeries(acceptance, ledger)) {
      const users = [userOf(acceptance.device), userOf(acceptance.claimedFrom)];
      // The strategies the forgery took (all of them together); one the attack does not name, any
      // alert. A warning about the very device it came from, shown by the accepting device as it
      // took it in (a shield beside it), is about it whatever made it.
      const strategies = forged === null ? attribution?.forgeries.get(acceptance.claimedId) : undefined;
      const aboutStrategies = strategies ? about(strategies) : ANY_ALERT;
      const shownWith = (alert: Alert) => alert.step === acceptance.step && `${alert.user}.${alert.device}` === acceptance.device && alert.about === acceptance.claimedFrom;
      const relevant: Relevance = (alert) => aboutStrategies(alert) || shownWith(alert);
      found.push({ acceptance, forged, noticed: warned(warnings, users, users, acceptance.group, acceptance.step, relevant) });
    }
  }
  return found;
}

/** Whether an alert is about one of the strategies asked about. */
type Relevance = (alert: Alert) => boolean;

const ANY_ALERT: Relevance = () => true;

/**
 * For a set of strategies, which alerts are about one of them: an alert is about the
 * strategies whose footprint is what it names (a device exactly; else that device's user; a
 * group for a membership alert, whoever it names) and was shown to the alert's user: the
 * shadow of Alice served to Carol is no notice of anything to Bob.
 * Without an attribution, every alert is about the attack.
 */
function attributor(attribution: Attribution | null): (strategies: readonly string[]) => Relevance {
  if (!attribution) return () => ANY_ALERT;
  const byAbout = new Map<string, Footprint[]>();
  for (const footprint of attribution.footprints) byAbout.set(footprint.about, [...(byAbout.get(footprint.about) ?? []), footprint]);
  // What the alert's user was shown of `about`: a footprint shown to that user, or to everyone.
  const shown = (about: string, user: string): Footprint[] => (byAbout.get(about) ?? []).filter((f) => f.shownTo === undefined || f.shownTo === user);
  const strategiesOf = (alert: Alert): ReadonlySet<string> => {
    // A device exactly, else its user (a shadow's devices bear the real names); a user or a group as named.
    const exact = shown(alert.about, alert.user);
    const found = exact.length > 0 || !alert.about.includes('.') ? exact : shown(userOf(alert.about), alert.user);
    return new Set(found.map((f) => f.via));
  };
  return (strategies) => (alert) => {
    const vias = strategiesOf(alert);
    return strategies.some((s) => vias.has(s));
  };
}

/**
 * The alerts that warn of an attack that acts from `position` on (its strike; a composite's
 * first active part; from the start without one): what `noticed` looks for.
 */
export function warningsOf(ledger: Ledger, position: Position): Alert[] {
  const from = position.activeFrom ?? position.strikeStep ?? -1;
  return ledger.alerts.filter((a) => WARNINGS.has(a.kind) && a.step >= from && !explained(a, ledger) && !standing(a, ledger, from));
}

export const detection: PropertyEvaluator = (context) => {
  if (!context.adversary.active) return { verdict: 'not-applicable', detail: 'a passive adversary: nothing to notice' };
  const findings = detectionFindings(context);
  if (findings.length === 0) return { verdict: 'not-applicable', detail: 'the active attack obtained and forged nothing' };
  const unnoticed = findings.filter((f) => !f.noticed);
  if (unnoticed.length > 0) {
    const shown = unnoticed.slice(0, 5).map((f) => `${f.id} (${f.what})`);
    const more = unnoticed.length > 5 ? ` and ${unnoticed.length - 5} more` : '';
    return { verdict: 'violated', detail: `${plural(unnoticed.length, 'message')} obtained or forged with no alert to the users affected: ${shown.join(', ')}${more}` };
  }
  return { verdict: 'holds', detail: `an alert about the attack reached an affected user before each of ${plural(findings.length, 'message')} obtained or forged` };
};

/** The scenario messages an acceptance puts in the wrong sender's name (null: one nobody sent). */
function forgeries(acceptance: Acceptance, ledger: Ledger): (MessageTruth | null)[] {
  // From a user the scenario does not have (the provider's own user, named as itself): no one's identity was forged.
  if (fromStranger(acceptance, ledger)) return [];
  if (acceptance.markers.length === 0) return [null];
  return acceptance.markers.flatMap((marker) => {
    const truth = ledger.messageByMarker(marker);
    if (!truth) return [null];
    return truth.from === acceptance.claimedFrom ? [] : [truth];
  });
}

/** An alert to one of `users` about one of `parties` (a user or one of their devices) or the group, at or before `step`, and `relevant`. */
function warned(warnings: readonly Alert[], users: readonly string[], parties: readonly string[], group: string | null, step: number, relevant: Relevance): boolean {
  return warnings.some((alert) => {
    if (alert.step > step || !users.includes(alert.user) || !relevant(alert)) return false;
    if (group !== null && alert.about === group) return true;
    const [user, device] = alert.about.split('.');
    if (device !== undefined) return parties.includes(user!);
    return alert.about !== alert.user && parties.includes(alert.about);
  });
}

/** An alert the scenario's own steps account for: a device its user linked, or a group's real membership changes. */
function explained(alert: Alert, ledger: Ledger): boolean {
  if (alert.kind === 'new-device') return ledger.devices.some((d) => d.address === alert.about);
  if (alert.kind !== 'member-added' && alert.kind !== 'member-removed') return false;
  // An app that names who joined or left is explained by the scenario only if each of them did.
  if (alert.members) return alert.members.every((member) => reallyChanged(ledger, alert.about, member, alert.kind === 'member-added', alert.step));
  const real = membershipChanges(ledger, alert.about, alert.kind, alert.step);
  const shown = ledger.alerts.filter((a) => a.kind === alert.kind && a.about === alert.about && a.user === alert.user && a.device === alert.device && a.step <= alert.step);
  return shown.indexOf(alert) < real;
}

/**
 * A shield the app shows whatever the attack (Element's red shield on every message of a
 * user one has not verified): shown the same way, to the same device, about the same device
 * before the attack; or, where no message of that device reached this one before the attack
 * to show how its messages look, about a device its user really linked, from a user the
 * receiver had not verified. It tells the user nothing the attack changed. A shield about a
 * device nobody linked, on a verified user's messages, or on a device whose messages came
 * without it before (a shadow bearing the real device's name, signed by no one), still counts.
 */
function standing(alert: Alert, ledger: Ledger, from: number): boolean {
  if (alert.kind !== 'unverified-sender') return false;
  const receiver = `${alert.user}.${alert.device}`;
  if (ledger.alerts.some((a) => a.step < from && a.kind === alert.kind && a.user === alert.user && a.device === alert.device && a.about === alert.about)) return true;
  const seenBefore = ledger.acceptances.some((a) => a.step < from && a.device === receiver && a.claimedFrom === alert.about);
  if (seenBefore) return false;
  const real = ledger.devices.some((d) => d.address === alert.about);
  return real && !ledger.isVerified(alert.user, userOf(alert.about), alert.step);
}

/** Whether the scenario itself added `member` to the group (or removed it) by `step`, set-up included. */
function reallyChanged(ledger: Ledger, group: string, member: string, added: boolean, step: number): boolean {
  let previous: string[] | null = null;
  for (const change of ledger.rosters) {
    if (change.group !== group || change.step > step) continue;
    const had = previous?.includes(member) ?? false;
    const has = change.members.includes(member);
    if (added ? has && !had : had && !has) return true;
    previous = change.members;
  }
  return false;
}

/** How many times the group's members grew (or shrank) by `step`, set-up excluded. */
function membershipChanges(ledger: Ledger, group: string, kind: 'member-added' | 'member-removed', step: number): number {
  let count = 0;
  let previous: string[] | null = null;
  for (const change of ledger.rosters) {
    if (change.group !== group) continue;
    if (previous && change.step <= step) {
      const grew = change.members.some((m) => !previous!.includes(m));
      const shrank = previous.some((m) => !change.members.includes(m));
      if (kind === 'member-added' ? grew : shrank) count++;
    }
    previous = change.members;
  }
  return count;
}

function groupOf(truth: MessageTruth): string | null {
  return truth.toKind === 'group' ? truth.to : null;
}

/** The user of a device address (`alice.phone` -> `alice`). */
function userOf(address: string): string {
  return address.split('.')[0]!;
}
