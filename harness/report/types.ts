/**
 * The shape of `report.json` (schema `keyhole-report/1`, SPEC §7). Every reporter renders
 * this plain tree; nothing else crosses from the runner to a reporter.
 */

export const REPORT_SCHEMA = 'keyhole-report/1';

export type Verdict = 'holds' | 'violated' | 'not-applicable' | 'inconclusive';
export type RunStatus = 'ok' | 'error' | 'not-applicable';
export type MessageClass = 'exposed' | 'before' | 'after' | 'unrelated';

export const PROPERTY_NAMES = [
  'confidentiality',
  'forward-secrecy',
  'post-compromise-security',
  'authentication',
  'replay',
  'membership',
  'metadata',
] as const;
export type PropertyName = (typeof PROPERTY_NAMES)[number];

export const METADATA_KINDS = ['sender', 'recipient', 'timing', 'size'] as const;
export type MetadataKind = (typeof METADATA_KINDS)[number];

export interface MessageReport {
  id: string;
  /** Sending device, `user.device`. */
  from: string;
  /** The scenario's addressee: a user or a group name. */
  to: string;
  /** 0-based index of the scenario step that sent it. */
  step: number;
  delivered: boolean;
  verified: boolean;
  class: MessageClass;
  leaked: boolean;
  /** How a leaked message was recovered (`decrypt`, `cleartext`, `escrow`, ...); null when not leaked. */
  via: string | null;
}

export interface PropertyReport {
  property: PropertyName;
  verdict: Verdict;
  claimed: boolean;
  detail: string;
  /** post-compromise-security only: how many `after` messages leaked; null when leaks never stopped. */
  healedAfter?: number | null;
  /** metadata only: what the adversary saw. */
  seen?: MetadataKind[];
}

export interface RunReport {
  target: string;
  scenario: string;
  adversary: string;
  status: RunStatus;
  error: string | null;
  /** Why a run is `not-applicable`, or notes the harness made while running it. */
  notes?: string[];
  /** Named points in time of the scenario (mark name -> step index). */
  marks?: Record<string, number>;
  /** The step at which the adversary struck, when it has one. */
  strikeStep?: number | null;
  messages: MessageReport[];
  properties: PropertyReport[];
  summary: { messages: number; leaked: number };
}

export interface Violation {
  target: string;
  scenario: string;
  adversary: string;
  property: string;
  detail: string;
}

export interface Report {
  schema: typeof REPORT_SCHEMA;
  tool: { name: 'keyhole'; version: string };
  seed: number;
  timing: { startedAt: string; durationMs: number };
  runs: RunReport[];
  violations: Violation[];
}
