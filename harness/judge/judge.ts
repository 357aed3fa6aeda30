/**
 * The judge (SPEC §5): reads ground truth and what the adversary holds, decides which
 * messages leaked and how, classes each message, and runs one evaluator per property,
 * marking the properties the target claims against this adversary.
 */
import type { Holding, Position } from '../../attacks/types.ts';
import type { Claim, ConversationKind } from '../../targets/types.ts';
import type { Acceptance, Ledger } from '../ledger.ts';
import { findMarkers } from '../markers.ts';
import type { DeviceAddress } from '../scenario/types.ts';
import {
  PROPERTY_NAMES,
  type MessageReport,
  type MetadataKind,
  type PropertyReport,
  type RunSummary,
} from '../report/types.ts';
import { classify, exposedMessages } from './classify.ts';
import type { JudgedMessage } from './context.ts';
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
}

/** Properties decided by what leaked: without a complete attack, only a leak found is a finding. */
const LEAK_PROPERTIES = new Set(['confidentiality', 'forward-secrecy', 'post-compromise-security']);

export interface Judgement {
  messages: MessageReport[];
  properties: PropertyReport[];
  summary: RunSummary;
}

export function judge(input: JudgeInput): Judgement {
  const { ledger, position } = input;
  const leaks = leakedMarkers(input.holdings);
  const exposed = exposedMessages(ledger, position);
  const acceptedBy = acceptingDevices(ledger);

  const judged: JudgedMessage[] = ledger.messages.map((truth) => {
    const via = leaks.get(truth.marker) ?? null;
    const receivers = acceptedBy.get(truth.marker);
    const delivered = truth.refused === null && truth.intended.every((device) => receivers?.has(device) ?? false);
    return { truth, class: classify(truth, position, exposed), leaked: via !== null, via, delivered };
  });

  const properties = PROPERTY_NAMES.map((property): PropertyReport => {
    const claim = input.claims.find((c) => c.property === property && c.adversaries.includes(input.adversary.name));
    const evaluate = (scope: Scope) =>
      evaluators[property]({
        ...scope.select(judged, ledger),
        ledger,
        position,
        adversary: input.adversary,
        verifiedOnly: scope.verifiedOnly,
        untriedSender: input.untriedSender ?? null,
      });
    // The verdict covers every message the property concerns; the claim's scope decides only
    // whether a violation is a claim violation (SPEC §5).
    const evaluation = evaluate(WHOLE_RUN);
    const scope = claim && claimScope(claim);
    let { verdict, detail } = evaluation;
    let notClaimedFor: string | undefined;
    if (scope && verdict === 'violated') {
      const within = evaluate(scope);
      if (within.verdict !== 'violated') notClaimedFor = scope.excluded;
      // Every finding lies within the claim: the detail says it once.
      if (within.detail !== detail) detail = `${detail}; within the claim: ${within.detail}`;
    }
    const limits = [claim?.note, claim?.conversations && `${claim.conversations} conversations only`].filter(Boolean);
    if (limits.length > 0) detail = `${detail} (claim: ${limits.join('; ')})`;
    const { healedAfter, seen } = evaluation;
    if (input.inconclusive && LEAK_PROPERTIES.has(property) && verdict === 'holds') {
      verdict = 'inconclusive';
      detail = `${input.inconclusive}; ${detail}`;
    }
    return {
      property,
      verdict,
      claimed: claim !== undefined,
      ...(notClaimedFor !== undefined && { notClaimedFor }),
      ...(healedAfter !== undefined && { healedAfter }),
      ...(seen !== undefined && { seen }),
      detail,
    };
  });

  const messages = judged.map(
    (m): MessageReport => ({
      id: m.truth.id,
      from: m.truth.from,
      to: m.truth.to,
      step: m.truth.step,
      delivered: m.delivered,
      verified: m.truth.verified,
      class: m.class,
      leaked: m.leaked,
      via: m.via,
    }),
  );
  const leaked = judged.filter((m) => m.leaked);
  return {
    messages,
    properties,
    summary: { messages: messages.length, leaked: leaked.length, breached: leaked.filter((m) => m.class !== 'exposed').length },
  };
}

/** Which messages and acceptances an evaluation judges, and whether only verified ones. */
interface Scope {
  select(messages: JudgedMessage[], ledger: Ledger): { messages: JudgedMessage[]; acceptances: readonly Acceptance[] };
  verifiedOnly: boolean;
}

interface ClaimScope extends Scope {
  /** What the scope leaves out, for "violated, not claimed for groups". */
  excluded: string;
}

const WHOLE_RUN: Scope = {
  select: (messages, ledger) => ({ messages, acceptances: ledger.acceptances }),
  verifiedOnly: false,
};

/**
 * The scope of a limited claim: verified messages only, and/or one-to-one conversations or
 * groups only; null for a claim that covers the whole run.
 */
function claimScope(claim: Claim): ClaimScope | null {
  const { conversations } = claim;
  const verifiedOnly = claim.scope === 'verified';
  if (conversations === undefined && !verifiedOnly) return null;
  const excluded = [conversations && (conversations === 'groups' ? 'one-to-one conversations' : 'groups'), verifiedOnly && 'unverified messages'].filter(
    (part): part is string => typeof part === 'string',
  );
  return {
    select: (messages, ledger) => (conversations === undefined ? WHOLE_RUN.select(messages, ledger) : conversationScope(conversations, messages, ledger)),
    verifiedOnly,
    excluded: excluded.join(' or '),
  };
}

/** The messages and acceptances of one-to-one conversations, or of groups. */
function conversationScope(conversations: ConversationKind, messages: JudgedMessage[], ledger: Ledger): { messages: JudgedMessage[]; acceptances: Acceptance[] } {
  const kind = conversations === 'groups' ? 'group' : 'user';
  return {
    messages: messages.filter((m) => m.truth.toKind === kind),
    acceptances: ledger.acceptances.filter((a) => (a.group === null ? 'user' : 'group') === kind),
  };
}

/** marker -> how it was obtained; the first holding that shows a marker names the way. */
function leakedMarkers(holdings: Iterable<Holding>): Map<string, string> {
  const leaks = new Map<string, string>();
  for (const holding of holdings) {
    for (const marker of findMarkers(holding.bytes)) {
      if (!leaks.has(marker)) leaks.set(marker, holding.via);
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
