/**
 * What every property evaluator receives: the judged messages (class and leak settled) of
 * the scope under evaluation (the whole run, or a claim's scope), the ground truth, and
 * where the adversary stood.
 */
import type { Attribution, Position } from '../../attacks/types.ts';
import type { Acceptance, Ledger, MessageTruth } from '../ledger.ts';
import type { MessageClass, MetadataKind, PropertyReport } from '../report/types.ts';
import type { DeviceAddress } from '../scenario/types.ts';

export interface JudgedMessage {
  truth: MessageTruth;
  class: MessageClass;
  leaked: boolean;
  via: string | null;
  /** Every way the adversary obtained it (`via` is the first); empty when it did not leak. */
  ways: readonly string[];
  delivered: boolean;
}

export interface JudgeContext {
  messages: readonly JudgedMessage[];
  ledger: Ledger;
  position: Position;
  adversary: { name: string; active: boolean; metadata: readonly MetadataKind[] };
  /** What clients accepted, in the conversations of the scope under evaluation. */
  acceptances: readonly Acceptance[];
  /** A device whose own sent messages the adversary could not try (see `Design.cannotOpenSent`). */
  untriedSender: DeviceAddress | null;
  /** Set when the scope under evaluation covers only verified messages and conversations. */
  verifiedOnly: boolean;
  /** message id -> how the adversary linked it to its sender; null when the adversary does not try. */
  senderLinked: ReadonlyMap<string, { via: string; after: number }> | null;
  /** Which strategy of an active attack each alert is about; null when the attack does not say. */
  attribution: Attribution | null;
}

export type Evaluation = Omit<PropertyReport, 'property' | 'claimed'>;

export type PropertyEvaluator = (context: JudgeContext) => Evaluation;

/** "m2 (decrypt), m5 (device-image) and 3 more" */
export function listMessages(messages: readonly JudgedMessage[], limit = 5): string {
  const shown = messages.slice(0, limit).map((m) => (m.via ? `${m.truth.id} (${m.via})` : m.truth.id));
  const more = messages.length - shown.length;
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ');
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
