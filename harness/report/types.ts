/**
 * The shape of `report.json` (schema `keyhole-report/1`, SPEC §7). Every reporter renders
 * this plain tree; nothing else crosses from the runner to a reporter.
 */

export const REPORT_SCHEMA = 'keyhole-report/1';

export const VERDICTS = ['holds', 'violated', 'not-applicable', 'inconclusive'] as const;
export type Verdict = (typeof VERDICTS)[number];
export const RUN_STATUSES = ['ok', 'error', 'not-applicable'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const MESSAGE_CLASSES = ['exposed', 'before', 'after', 'unrelated'] as const;
export type MessageClass = (typeof MESSAGE_CLASSES)[number];

export const PROPERTY_NAMES = [
  'confidentiality',
  'forward-secrecy',
  'post-compromise-security',
  'authentication',
  'replay',
  'membership',
  'detection',
  'sender-anonymity',
  'metadata',
] as const;
export type PropertyName = (typeof PROPERTY_NAMES)[number];

/** What a client's app shows its user (SPEC §5), recorded per device as alerts. */
export const ALERT_KINDS = [
  'identity-changed',
  'new-device',
  'member-added',
  'member-removed',
  'verification-failed',
  'unverified-sender',
  'session-reset',
  'decryption-failed',
  'clone-suspected',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** One alert a device's app showed its user (SPEC §7 `alerts`). */
export interface AlertReport {
  /** The scenario step during which it was shown; -1 during set-up. */
  step: number;
  user: string;
  device: string;
  kind: AlertKind;
  /** What it is about: a peer user, a device `user.device`, or a group. */
  about: string;
  /** For `member-added` / `member-removed`, where the app names them: the members that joined or left. */
  members?: string[];
}

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
  /** Devices it was for that were handed it and refused every copy (could not decrypt it); absent when none. */
  unreadable?: string[];
  verified: boolean;
  class: MessageClass;
  leaked: boolean;
  /** How a leaked message was recovered (`decrypt`, `cleartext`, `escrow`, ...); null when not leaked. */
  via: string | null;
  /**
   * Whether an alert about the attack reached an affected user at or before this message
   * (SPEC §5 `detection`); null where detection is not judged for the message.
   */
  noticed: boolean | null;
  /**
   * Whether the adversary linked the message to its sender (SPEC §5 `sender-anonymity`): how
   * (`envelope`: the envelope named it; `upload`: its upload did; `roster`: the group's
   * roster did, by the member the upload left out; `key-substitution`: a shadow opened it;
   * `disclosure`: the statistical disclosure attack) and
   * after how many messages to that recipient; null when it did not. Absent when the
   * adversary does not try.
   */
  senderLinked?: { via: string; after: number } | null;
}

/**
 * A message a client accepted in the name of a sender that did not send it (SPEC §5
 * `authentication`): one record per accepting device. `id` is the id the accepted content
 * carries: a scenario message put in another sender's name (`sentBy` names who really sent
 * it), or content no one in the scenario sent (`sentBy` null: the adversary wrote it).
 */
export interface ForgeryReport {
  id: string;
  /** The device the client took it to be from. */
  claimedFrom: string;
  /** The scenario device that really sent it, or null when none did. */
  sentBy: string | null;
  /** The device that accepted it, and at which step. */
  acceptedBy: string;
  step: number;
  /** The group the client took it to be for, or null for a one-to-one message. */
  group: string | null;
  /** Whether an alert about the attack reached the accepting or the claimed user by then (SPEC §5 `detection`). */
  noticed: boolean;
}

export interface PropertyReport {
  property: PropertyName;
  verdict: Verdict;
  claimed: boolean;
  /**
   * Set when the property is `violated` only outside the claim's scope (`groups`,
   * `unverified messages`, ...): the verdict covers every message, the claim does not, so
   * this is no claim violation. Absent otherwise.
   */
  notClaimedFor?: string;
  /**
   * With `notClaimedFor`: the verdict within the claim's scope when it is not `holds`
   * (`inconclusive`: the attack could not check that part completely). Absent otherwise.
   */
  withinClaim?: Verdict;
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
  /** Only when a client accepted a message in a sender's name that the sender did not send: each such acceptance. */
  forgeries?: ForgeryReport[];
  properties: PropertyReport[];
  /** What the victims' apps showed them during the run, in order. */
  alerts: AlertReport[];
  summary: RunSummary;
  /** Only for an adversary that put content on a match list (`list-controller`): what the matching flagged. */
  scan?: ScanFindings;
}

/**
 * What a match list flagged, judged against the scenario: `listed` are the messages whose
 * content was put on the list and the scenario's near-duplicates of them (`like:`);
 * `flagged` the messages the list's controller obtained through reports; `falsePositives`
 * the flagged messages that are not listed; `missed` the listed messages sent after the
 * list held them that were not obtained (a fingerprint that did not reach, a threshold not met).
 */
export interface ScanFindings {
  listed: string[];
  flagged: string[];
  falsePositives: string[];
  missed: string[];
}

export interface RunSummary {
  messages: number;
  leaked: number;
  /** Leaked messages outside `exposed`: what the adversary obtained beyond its entitlement. */
  breached: number;
}

export interface Violation {
  target: string;
  scenario: string;
  adversary: string;
  property: string;
  detail: string;
}

/** Which slice of the run matrix a `--shard i/n` report holds (absent in a whole or merged report). */
export interface ShardInfo {
  /** 1-based: `i` of `--shard i/n`. */
  index: number;
  /** `n` of `--shard i/n`. */
  count: number;
  /** How many runs the whole matrix has (all shards together). */
  matrixSize: number;
  /**
   * The identity of the whole matrix (`matrixId` of `harness/shard.ts`: SHA-256 of its run
   * keys in order), so that `merge` refuses shards of another audit. Always written; a
   * report read may lack it (written before it was), which `merge` refuses.
   */
  matrixId?: string;
}

/** An expectation of a `--policy` file (SPEC §6) that a run did not meet. */
export interface PolicyFailure {
  /** 0-based index of the entry in the policy's `expect` list (`expect[0]`). */
  entry: number;
  /** The run; for an entry naming something that matched no run, the entry's filters (`*`: any). */
  target: string;
  scenario: string;
  adversary: string;
  /** The property the entry checks; null for `maxLeaked` and for names that matched no run. */
  property: PropertyName | null;
  /** What the entry requires: a verdict (`holds`), `at most 0 leaked messages`, ... */
  expected: string;
  /** What the run had: a verdict, `3 leaked messages (plan, ack, source)`, `run error: ...`, ... */
  actual: string;
}

export interface PolicyOutcome {
  /** The policy file as given on the command line. */
  file: string;
  failures: PolicyFailure[];
}

/** Something that got worse than in the `--baseline` report. */
export interface Regression {
  target: string;
  scenario: string;
  adversary: string;
  /**
   * `message`: a message now leaked; `property`: a verdict now violated; `status`: a run now
   * failing; `look-alike`: a new message id or run that looks the same as one of the baseline
   * that is gone (UTS #39 confusables), which would hide what became of it.
   */
  kind: 'message' | 'property' | 'status' | 'look-alike';
  /** The message id or property name; for `look-alike` the new name; null for `status`. */
  subject: string | null;
  /** In the baseline: `not leaked`, a verdict, a run status. */
  was: string;
  /** Now: `leaked (via decrypt)`, `violated`, `error: ...`. */
  now: string;
  /** One readable line saying all of the above. */
  description: string;
}

export interface BaselineOutcome {
  /** The baseline report.json as given on the command line. */
  file: string;
  regressions: Regression[];
  /** What could not be compared and is therefore not counted as worse (new runs or messages, ...). */
  notes: string[];
}

export interface Report {
  schema: typeof REPORT_SCHEMA;
  tool: { name: 'keyhole'; version: string };
  seed: number;
  timing: { startedAt: string; durationMs: number };
  runs: RunReport[];
  violations: Violation[];
  /** Only in the report of one shard (`--shard i/n`). */
  shard?: ShardInfo;
  /** Only with `--policy`. */
  policy?: PolicyOutcome;
  /** Only with `--baseline`. */
  baseline?: BaselineOutcome;
}
