/**
 * The judge (SPEC §5): reads ground truth and what the adversary holds, decides which
 * messages leaked and how, classes each message, and runs one evaluator per property,
 * marking the properties the target claims against this adversary.
 */
import type { Attribution, Holding, Position, SenderLink } from '../../attacks/types.ts';
import type { Claim, ConversationKind } from '../../targets/types.ts';
import type { Acceptance, Ledger, MessageTruth } from '../ledger.ts';
import { findMarkers } from '../markers.ts';
import { splitAddress, type DeviceAddress } from '../scenario/types.ts';
import {
  PROPERTY_NAMES,
  type ForgeryReport,
  type MessageReport,
  type MetadataKind,
  type PropertyReport,
  type RunSummary,
  type Verdict,
  type ScanFindings,
} from '../report/types.ts';
import { classify, exposedMessages } from './classify.ts';
import type { JudgedMessage } from './context.ts';
import { detectionFindings, forgedAcceptances, warningsOf } from './properties/detection.ts';
import { evaluators } from './properties/index.ts';

export interface JudgeInput {
  ledger: Ledger;
  /** Iterated once. */
  holdings: Iterable<Holding>;
  position: Position;
  adversary: { name: string; active: boolean; metadata: readonly MetadataKind[] };
  claims: readonly Claim[];
  /** Why the attack could not be carried out on this target, if it could not. */
  inconclusive?: string | null;
  /** A device whose own sent messages the adversary could not try. */
  untriedSender?: DeviceAddress | null;
  /** The messages whose content an adversary put on a match list, with their near-duplicates: the judge reports what else got flagged. */
  listed?: readonly string[] | null;
  /** Who the adversary takes to have sent the uploads it observed; null when it does not try. */
  senderLinks?: readonly SenderLink[] | null;
  /** Which strategy of an active attack each alert is about; null: any alert counts as notice. */
  attribution?: Attribution | null;
}

/** Properties decided by what leaked: without a complete attack, only a leak found is a finding. */
const LEAK_PROPERTIES = new Set(['confidentiality', 'forward-secrecy', 'post-compromise-security']);

export interface Judgement {
  messages: MessageReport[];
  forgeries?: ForgeryReport[];
  properties: PropertyReport[];
  summary: RunSummary;
  scan?: ScanFindings;
}

export function judge(input: JudgeInput): Judgement {
  const { ledger, position } = input;
  const leaks = leakedMarkers(input.holdings);
  const exposed = exposedMessages(ledger, position);
  const acceptedBy = acceptingDevices(ledger);

  const refusedBy = refusingDevices(ledger);
  const judged: JudgedMessage[] = ledger.messages.map((truth) => {
    const ways = leaks.get(truth.marker) ?? [];
    const via = ways[0] ?? null;
    const receivers = acceptedBy.get(truth.marker);
    // SPEC §5: false when it was never sent or never reached a device it was for; a device
    // handed it that could not read it is `unreadable`, not undelivered.
    const handed = refusedBy.get(truth.id);
    const delivered = truth.refused === null && truth.intended.every((device) => (receivers?.has(device) ?? false) || (handed?.has(device) ?? false));
    return { truth, class: classify(truth, position, exposed), leaked: via !== null, via, ways, delivered };
  });
  const senderLinked = input.senderLinks ? linkedSenders(ledger, input.senderLinks) : null;
  const attribution = input.attribution ?? null;

  const properties = PROPERTY_NAMES.map((property): PropertyReport => {
    const claim = input.claims.find((c) => c.property === property && c.adversaries.includes(input.adversary.name));
    const evaluate = (scope: Scope) =>
      evaluators[property]({
        ...select(scope, judged, ledger),
        ledger,
        position,
        adversary: input.adversary,
        verifiedOnly: scope.verifiedOnly,
        untriedSender: input.untriedSender ?? null,
        senderLinked,
        attribution,
      });
    // The verdict covers every message the property concerns; the claim's scope decides only
    // whether a violation is a claim violation (SPEC §5).
    const evaluation = evaluate(WHOLE_RUN);
    const claimLimits = claim ? limitsOf(claim) : [];
    let { verdict, detail } = evaluation;
    // Without a complete attack, a leak property that found no leak is not shown to hold.
    const unsure = (found: Verdict): Verdict => (input.inconclusive && LEAK_PROPERTIES.has(property) && found === 'holds' ? 'inconclusive' : found);
    let notClaimedFor: string | undefined;
    let withinClaim: Verdict | undefined;
    if (claimLimits.length > 0 && verdict === 'violated') {
      const within = evaluate(narrowed(claimLimits));
      if (within.verdict !== 'violated') {
        notClaimedFor = leftOut(claimLimits, (scope) => evaluate(scope).verdict === 'violated');
        // What the claim itself covers stays visible: a part the attack could not check
        // completely is inconclusive there, not silently taken to hold.
        const inScope = unsure(within.verdict);
        if (inScope !== 'holds') withinClaim = inScope;
        if (inScope === 'inconclusive' && within.verdict === 'holds') detail = `${input.inconclusive}; ${detail}`;
      }
      // Every finding lies within the claim: the detail says it once.
      if (within.detail !== detail) detail = `${detail}; within the claim: ${within.detail}`;
    }
    const limits = [claim?.note, claim?.conversations && `${claim.conversations} conversations only`].filter(Boolean);
    if (limits.length > 0) detail = `${detail} (claim: ${limits.join('; ')})`;
    const { healedAfter, seen } = evaluation;
    if (unsure(verdict) !== verdict) {
      verdict = 'inconclusive';
      detail = `${input.inconclusive}; ${detail}`;
    }
    return {
      property,
      verdict,
      claimed: claim !== undefined,
      ...(notClaimedFor !== undefined && { notClaimedFor }),
      ...(withinClaim !== undefined && { withinClaim }),
      ...(healedAfter !== undefined && { healedAfter }),
      ...(seen !== undefined && { seen }),
      detail,
    };
  });

  // `noticed` on each message the active attack obtained or forged (SPEC §5 detection), over the whole run.
  const noticed = new Map<string, boolean>();
  for (const finding of detectionFindings({ messages: judged, acceptances: ledger.acceptances, ledger, position, adversary: input.adversary, attribution })) {
    if (finding.message) noticed.set(finding.id, finding.noticed);
  }
  const messages = judged.map(
    (m): MessageReport => ({
      id: m.truth.id,
      from: m.truth.from,
      to: m.truth.to,
      step: m.truth.step,
      delivered: m.delivered,
      ...unreadable(m, refusedBy.get(m.truth.id), acceptedBy.get(m.truth.marker)),
      verified: m.truth.verified,
      class: m.class,
      leaked: m.leaked,
      via: m.via,
      noticed: noticed.get(m.truth.id) ?? null,
      ...(senderLinked && { senderLinked: senderLinked.get(m.truth.id) ?? null }),
    }),
  );
  const leaked = judged.filter((m) => m.leaked);
  const forgeries = forgedAcceptances(ledger.acceptances, ledger, input.adversary.active ? warningsOf(ledger, position) : [], attribution).map(
    ({ acceptance, forged, noticed }): ForgeryReport => ({
      id: forged?.id ?? acceptance.claimedId,
      claimedFrom: acceptance.claimedFrom,
      sentBy: forged?.from ?? null,
      acceptedBy: acceptance.device,
      step: acceptance.step,
      group: acceptance.group,
      noticed,
    }),
  );
  return {
    messages,
    ...(forgeries.length > 0 && { forgeries }),
    properties,
    summary: { messages: messages.length, leaked: leaked.length, breached: leaked.filter((m) => m.class !== 'exposed').length },
    ...(input.listed && { scan: scanFindings(judged, input.listed, position) }),
  };
}

/** message id -> the devices that refused an envelope of it (one the provider stored from an upload of its send, or delivered in its place). */
function refusingDevices(ledger: Ledger): Map<string, Set<DeviceAddress>> {
  const refused = new Map<string, Set<DeviceAddress>>();
  for (const rejection of ledger.rejections) {
    const id = rejection.upload === undefined ? undefined : ledger.messageUploads.get(rejection.upload);
    if (id === undefined) continue;
    let devices = refused.get(id);
    if (!devices) refused.set(id, (devices = new Set()));
    devices.add(rejection.device);
  }
  return refused;
}

/**
 * `unreadable`: the devices the message was for that were handed it and could not read it
 * (they refused every copy they got: a session that split from a clone's, a key the provider
 * swapped), as an app shows "could not decrypt"; absent when there are none.
 */
function unreadable(m: JudgedMessage, refused: ReadonlySet<string> | undefined, accepted: ReadonlySet<string> | undefined): { unreadable?: DeviceAddress[] } {
  if (!refused) return {};
  const devices = m.truth.intended.filter((device) => refused.has(device) && !(accepted?.has(device) ?? false));
  return devices.length > 0 ? { unreadable: devices } : {};
}

/** What the matching flagged (obtained through reports), against what was put on the list. */
function scanFindings(judged: readonly JudgedMessage[], listed: readonly string[], position: Position): ScanFindings {
  const onList = new Set(listed);
  const flagged = judged.filter((m) => m.via === SCAN_REPORT).map((m) => m.truth.id);
  const listing = position.strikeStep ?? -1;
  return {
    listed: judged.filter((m) => onList.has(m.truth.id)).map((m) => m.truth.id),
    flagged,
    falsePositives: flagged.filter((id) => !onList.has(id)),
    missed: judged.filter((m) => onList.has(m.truth.id) && m.truth.step > listing && m.via !== SCAN_REPORT).map((m) => m.truth.id),
  };
}

/** How a leak through a match list's reports is named. */
const SCAN_REPORT = 'scan-report';

/** What an evaluation judges: one kind of conversation or all, and verified messages only or all. */
interface Scope {
  conversations?: ConversationKind;
  verifiedOnly: boolean;
  singleDeviceSenders?: true;
}

const WHOLE_RUN: Scope = { verifiedOnly: false };

/** One limit of a claim's scope, and what it leaves out ("violated, not claimed for groups"). */
interface Limit {
  narrow(scope: Scope): Scope;
  excluded: string;
}

/** A claim's limits: one-to-one conversations or groups only, verified messages only; none for a claim on the whole run. */
function limitsOf(claim: Claim): Limit[] {
  const limits: Limit[] = [];
  const { conversations } = claim;
  if (conversations !== undefined) {
    limits.push({ narrow: (scope) => ({ ...scope, conversations }), excluded: conversations === 'groups' ? 'one-to-one conversations' : 'groups' });
  }
  if (claim.scope === 'verified') limits.push({ narrow: (scope) => ({ ...scope, verifiedOnly: true }), excluded: 'unverified messages' });
  if (claim.senders === 'single-device') limits.push({ narrow: (scope) => ({ ...scope, singleDeviceSenders: true }), excluded: 'senders with other devices' });
  return limits;
}

function narrowed(limits: readonly Limit[]): Scope {
  return limits.reduce((scope, limit) => limit.narrow(scope), WHOLE_RUN);
}

/**
 * What a violation outside the claim lies in: the limits it falls outside of, each found as
 * a limit without which (the others kept) the violation comes back. When none is, the
 * violation lies outside every limit at once (unverified group messages, say).
 */
function leftOut(limits: readonly Limit[], violatedIn: (scope: Scope) => boolean): string {
  const outside = limits.filter((limit) => violatedIn(narrowed(limits.filter((other) => other !== limit))));
  return (outside.length > 0 ? outside : limits).map((limit) => limit.excluded).join(' or ');
}

function select(scope: Scope, messages: JudgedMessage[], ledger: Ledger): { messages: JudgedMessage[]; acceptances: readonly Acceptance[] } {
  const inScope = scope.conversations === undefined ? { messages, acceptances: ledger.acceptances } : conversationScope(scope.conversations, messages, ledger);
  return scope.singleDeviceSenders ? { ...inScope, messages: inScope.messages.filter(fromSingleDevice) } : inScope;
}

/** The message went to none of its sender's other devices: the sender had no other when it was sent. */
function fromSingleDevice(message: JudgedMessage): boolean {
  const sender = splitAddress(message.truth.from).user;
  return message.truth.intended.every((device) => splitAddress(device).user !== sender);
}

/** The messages and acceptances of one-to-one conversations, or of groups. */
function conversationScope(conversations: ConversationKind, messages: JudgedMessage[], ledger: Ledger): { messages: JudgedMessage[]; acceptances: Acceptance[] } {
  const kind = conversations === 'groups' ? 'group' : 'user';
  return {
    messages: messages.filter((m) => m.truth.toKind === kind),
    acceptances: ledger.acceptances.filter((a) => (a.group === null ? 'user' : 'group') === kind),
  };
}

/**
 * message id -> how the adversary linked it to its sender, and after how many messages: the
 * first of its links that names the user who really sent it (a wrong guess links nothing).
 */
function linkedSenders(ledger: Ledger, links: readonly SenderLink[]): Map<string, { via: string; after: number }> {
  const linked = new Map<string, { via: string; after: number }>();
  for (const link of links) {
    for (const truth of linkedMessages(ledger, link)) {
      if (linked.has(truth.id) || splitAddress(truth.from).user !== link.sender) continue;
      linked.set(truth.id, { via: link.via, after: link.after });
    }
  }
  return linked;
}

/** The scenario messages a link is about: the one its upload (or the wire record of it) carried, or those whose markers its content shows. */
function linkedMessages(ledger: Ledger, link: SenderLink): MessageTruth[] {
  if (link.content) return findMarkers(link.content).flatMap((marker) => ledger.messageByMarker(marker) ?? []);
  const upload = link.upload ?? (link.wire === undefined ? undefined : ledger.uploadsOnWire.get(link.wire));
  const id = upload === undefined ? undefined : ledger.uploads.get(upload);
  const truth = id === undefined ? undefined : ledger.messageById(id);
  return truth ? [truth] : [];
}

/** marker -> every way it was obtained, in the order of the holdings that show it (the first names the message's `via`). */
function leakedMarkers(holdings: Iterable<Holding>): Map<string, string[]> {
  const leaks = new Map<string, string[]>();
  for (const holding of holdings) {
    for (const marker of findMarkers(holding.bytes)) {
      const ways = leaks.get(marker);
      if (!ways) leaks.set(marker, [holding.via]);
      else if (!ways.includes(holding.via)) ways.push(holding.via);
    }
  }
  return leaks;
}

function acceptingDevices(ledger: Ledger): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>();
  for (const acceptance of ledger.acceptances) {
    for (const marker of acceptance.markers) {
      const devices = result.get(marker) ?? new Set<string>();
      devices.add(acceptance.device);
      result.set(marker, devices);
    }
  }
  return result;
}
