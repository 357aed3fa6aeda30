/**
 * keyhole's public API (`import { ... } from 'keyhole'`, SPEC §9): the contracts a design,
 * an adversary or a reporter implements, the helpers that type a config, and the pieces of
 * the built-in designs that a design of one's own reuses. Nothing else of the package is
 * importable: this module is its one entry (`exports` in package.json).
 */
import type { Adversary } from '../attacks/types.ts';
import type { ReporterEntry } from '../reports/types.ts';
import type { Claim, Design } from '../targets/types.ts';

/* Contracts ---------------------------------------------------------------------------------- */

export type {
  Claim,
  Client,
  ClientContext,
  ConversationKind,
  Design,
  DesignRun,
  OutgoingMessage,
  ReceivedMessage,
  ScanAuthorityAccess,
  ScanningSide,
  SendOutcome,
  ServerContext,
} from '../targets/types.ts';
export type { Adversary, AdversaryView, Attack, AttackSetup, Holding, Position, ScanAuthoritySeat } from '../attacks/types.ts';
export type { Capability } from '../attacks/capabilities.ts';
export type { Envelope, KeyUpload, OutgoingEnvelope, ProviderApi } from '../harness/provider/api.ts';
export type { CryptoBackend } from '../harness/crypto/backend.ts';
export type { Rng } from '../harness/rng.ts';
export type { Addressee, DeviceAddress, Scenario } from '../harness/scenario/types.ts';
export type { AlertKind, MetadataKind, PropertyName, Report, RunReport } from '../harness/report/types.ts';
export type { Reporter, ReporterEntry, ReporterOptions, ReportFile, Written } from '../reports/types.ts';
export { CAPABILITY_NAMES } from '../attacks/capabilities.ts';
export { ALERT_KINDS, METADATA_KINDS, PROPERTY_NAMES } from '../harness/report/types.ts';
export { RejectionError, type RejectionCode } from '../harness/errors.ts';

/* Pieces a design reuses --------------------------------------------------------------------- */

export { PairwiseClient, decodePayload, userOf, type Payload } from '../targets/shared/pairwise-client.ts';
export { seal, open, type BoxPrivateKey, type BoxPublicKey } from '../targets/shared/sealed-box.ts';
export { MessageHistory, type HistoryEntry, type HistoryOptions } from '../targets/shared/history.ts';
export { safetyNumber, type IdentityForFingerprint } from '../targets/shared/safety-number.ts';
export { pack, unpack, utf8, concatBytes, equalBytes } from '../targets/shared/codec.ts';
export { rejectingCryptoErrors, unpackFields, wireBytes, wireCount, wireString, WIRE_SIZES } from '../targets/shared/wire.ts';

/* Config ------------------------------------------------------------------------------------- */

/** A target whose clients are a program in any language, speaking keyhole-client/1 (docs/client-protocol.md). */
export interface CommandTargetConfig {
  /** The program and its arguments; a relative program path is taken from the config file's folder. */
  command: readonly string[];
  claims: readonly Claim[];
  description?: string;
  /** The process's working folder (default: the config file's folder). */
  cwd?: string;
  /** How long keyhole waits for an answer, in milliseconds (default 30 s). */
  timeoutMs?: number;
  /** How long the process may take to say hello, in milliseconds (default 60 s). */
  startTimeoutMs?: number;
}

/**
 * What a `keyhole.config.*` default-exports, and what a `--plugin` module exports (SPEC §9).
 * Names are the keys; none may be a built-in name.
 */
export interface KeyholeConfig {
  /** Designs by name (each design's own `name` is its key), or command targets. */
  targets?: Record<string, Design | CommandTargetConfig>;
  /** Adversaries by name (each adversary's own `name` is its key); they compose with `+` as the built-in ones. */
  adversaries?: Record<string, Adversary<any>>;
  /** Reporters by the name `--reporter` takes. */
  reporters?: Record<string, ReporterEntry>;
  /** Scenario files or folders, relative to the config file; they join the built-in scenarios. */
  scenarios?: readonly string[];
  /** A policy file (SPEC §6), relative to the config file, used when `--policy` is not given. Config only. */
  policy?: string;
}

/** Types a config; returns it unchanged. */
export function defineConfig<const C extends KeyholeConfig>(config: C): C {
  return config;
}

/** Types a design; returns it unchanged. */
export function defineDesign<const D extends Design>(design: D): D {
  return design;
}

/** Types an adversary; returns it unchanged. */
export function defineAdversary<Params = unknown>(adversary: Adversary<Params>): Adversary<Params> {
  return adversary;
}
