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
  summary: { messages: number; leaked: number };
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
    const scoped = conversationScope(claim?.conversations, judged, ledger);
    const evaluation = evaluators[property]({
      ...scoped,
      ledger,
      position,
      adversary: input.adversary,
      verifiedOnly: claim?.scope === 'verified',
      untriedSender: input.untriedSender ?? null,
    });
    const limits = [claim?.note, claim?.conversations && `${claim.conversations} conversations only`].filter(Boolean);
    let detail = limits.length > 0 ? `${evaluation.detail} (claim: ${limits.join('; ')})` : evaluation.detail;
    let { verdict } = evaluation;
    const { healedAfter, seen } = evaluation;
    if (input.inconclusive && LEAK_PROPERTIES.has(property) && verdict === 'holds') {
      verdict = 'inconclusive';
      detail = `${input.inconclusive}; ${detail}`;
    }
    return {
      property,
      verdict,
      claimed: claim !== undefined,
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
  return { messages, properties, summary: { messages: messages.length, leaked: judged.filter((m) => m.leaked).length } };
}

/** A claim limited to one-to-one conversations or to groups is judged on those messages and acceptances only. */
function conversationScope(conversations: ConversationKind | undefined, messages: JudgedMessage[], ledger: Ledger): { messages: JudgedMessage[]; acceptances: Acceptance[] } {
  if (conversations === undefined) return { messages, acceptances: ledger.acceptances };
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
