/**
 * An adversary: a set of capabilities (what it can see, hold and do) and the attacks it runs
 * with them. It acts only through the `AdversaryView` the harness hands it, never on ground
 * truth, and ends each run with its `Holdings`: what it recovered and what it captured.
 */
import type { z } from 'zod';
import type { Capability } from './capabilities.ts';
import type { CryptoBackend } from '../harness/crypto/backend.ts';
import type { Envelope, ProviderApi } from '../harness/provider/api.ts';
import type { Delivery, Provider, StoredItem } from '../harness/provider/provider.ts';
import type { WireRecord } from '../harness/provider/wire.ts';
import type { MetadataKind } from '../harness/report/types.ts';
import type { Rng } from '../harness/rng.ts';
import type { DeviceAddress, Scenario } from '../harness/scenario/types.ts';
import type { BoxPrivateKey } from '../targets/shared/sealed-box.ts';
import type { Client, ClientContext, Design } from '../targets/types.ts';

/** Something the adversary holds; a marker standing in `bytes` means that message leaked, by `via`. */
export interface Holding {
  bytes: Uint8Array;
  via: string;
}

/** Where the adversary stands, so the judge can tell what it is entitled to. */
export interface Position {
  /** The step of its strike (a seizure, a theft), or null when it has none. */
  strikeStep: number | null;
  /** A device whose state it holds from the strike on (post-compromise security applies). */
  compromisedDevice: DeviceAddress | null;
  /** A group member whose state it keeps after removal. */
  removedMember: { group: string; user: string } | null;
  /**
   * A composite's parts, each where it stands: the composite is entitled to whatever any of
   * them is (its fields above merge theirs: the earliest strike, the compromised device).
   */
  parts?: readonly Position[];
  /**
   * A composite's: the earliest step from which an active part acts (-1: from the start),
   * where alerts about the attack can begin; its `strikeStep` may be a later seizure.
   * Absent: the strike (from the start without one).
   */
  activeFrom?: number;
}

/**
 * The adversary's capabilities in one run. The harness grants exactly the adversary's
 * `capabilities`: a member behind one it lacks throws.
 */
export interface AdversaryView {
  readonly design: Design;
  readonly crypto: CryptoBackend;
  /** The capabilities this view grants. */
  readonly capabilities: ReadonlySet<Capability>;
  /** `record-network`: the network recording so far, every byte between clients and the provider. */
  readonly wire: readonly WireRecord[];
  /** `read-provider`: everything the provider stored or processed so far. */
  readonly providerStored: readonly StoredItem[];
  /** `read-provider`: every delivery the provider made so far, in order (an envelope queued for an offline device is delivered when it comes back). */
  readonly providerDeliveries: readonly Delivery[];
  /** `control-provider`: the provider itself, for active adversaries that take it over. */
  readonly provider: Provider;
  /** `device-image` or `member-state`: a full image of a device as it is now. */
  imageDevice(address: DeviceAddress): Promise<Uint8Array>;
  /**
   * A fresh client of the design holding `image`, with read-only access to the public
   * directory: as it is now, or, with `directoryAsOf`, as it stood just before wire record
   * `directoryAsOf()` (see `ReplayCursor`: a replay reads the directory of its moment). With
   * `discrete-log-oracle`, the oracle is in its context (`privateKeyOf`).
   */
  restoreDevice(address: DeviceAddress, image: Uint8Array, directoryAsOf?: () => number): Promise<Client>;
  /**
   * A client context for a device in the adversary's hands (read-only directory access, its
   * own randomness), reading the directory as of `directoryAsOf()` (see `ReplayCursor`) or as
   * it stands now.
   */
  deviceContext(address: DeviceAddress, directoryAsOf?: () => number): ClientContext;
  /**
   * `discrete-log-oracle`: the private key of an X25519 public key it captured on the wire;
   * null for any key it never saw.
   */
  discreteLog(publicKey: Uint8Array): Uint8Array | null;
  /**
   * `register-as-device`: a connection to the provider registered as `address`, beside the
   * device's own: it sends as the device, and every envelope routed to the device is also
   * handed to `receive`, as delivered.
   */
  registerAs(address: DeviceAddress, receive: (envelope: Envelope) => Promise<void>): ProviderApi;
  /** `escrow-key`: the escrow private key, when the design has an escrow authority. */
  escrowPrivateKey(): BoxPrivateKey | null;
  /**
   * `match-list`: the scanning authority's seat, when the design scans: the match list every
   * client matches against (entries added take effect at the next send), the reports the
   * provider forwarded so far, and the key that opens them.
   */
  scanAuthority(): ScanAuthoritySeat | null;
}

export interface ScanAuthoritySeat {
  addToList(fingerprint: Uint8Array): void;
  reports(): Uint8Array[];
  privateKey: BoxPrivateKey;
}

/**
 * The adversary names the sender of one upload it observed: by the provider's number for it
 * (`StoredItem.upload`), or, seen on the network, by its wire record (`WireRecord.seq`).
 */
export interface SenderLink {
  upload?: number;
  wire?: number;
  /** Or by what it read of the message: content it holds, taken to be that sender's. */
  content?: Uint8Array;
  /** The user it takes to have sent it. */
  sender: string;
  /** `envelope` (the envelope named the sender), `connection` (it came over the sender's connection), `disclosure` (statistical disclosure), ... */
  via: string;
  /** How many messages to the recipient it had observed when it named the sender (1: at the first). */
  after: number;
}

/**
 * What an active attack put before the users, by strategy (the `via` of what each obtained),
 * so the judge can tell which alerts were about which strategy (SPEC §5: detection asks for an
 * alert about *that* attack; an attacker can run one strategy alone, so an alert another one
 * caused does not count as notice of it).
 */
/** What one strategy put before the users: `about` (a device, a user, a group), shown to `shownTo` alone (a user) or to everyone. */
export interface Footprint {
  about: string;
  via: string;
  /** The user it was shown to (a shadow of `about` served to this user's devices); absent: anyone who looks. */
  shownTo?: string;
}

export interface Attribution {
  /**
   * What each strategy made or changed: a device of its own (`alice.ghost`), a user whose keys
   * it replaced (`alice`: every alert about that user or one of their devices, unless a
   * footprint names the device itself), a group whose roster it changed.
   */
  footprints: readonly Footprint[];
  /** The strategies each forged message took together, by the id it claimed (`forged-1-ghost`). */
  forgeries: ReadonlyMap<string, readonly string[]>;
}

export interface Attack {
  readonly position: Position;
  /**
   * For an active attack: which strategy each alert is about (read after `conclude`). Without
   * one, any alert the scenario does not explain counts as notice of everything it obtained.
   */
  attribution?: Attribution;
  /** Who it takes to have sent what it observed (read after `conclude`); absent for an adversary that does not try. */
  senderLinks?: readonly SenderLink[];
  /** The message ids whose content the adversary put on a match list: the judge counts the other messages that got flagged. */
  listed?: readonly string[];
  /** Set when the attack could not be carried out on this target, with the reason: clean results then prove nothing. */
  inconclusive?: string;
  /** What the attack did and saw, in its own terms, for the run's notes (read after `conclude`). */
  readonly notes?: readonly string[];
  /** Called once before the world is set up, for an active adversary that is hostile from the start. */
  start?(view: AdversaryView): Promise<void>;
  /** Called after every step of the scenario (index 0-based). */
  afterStep?(stepIndex: number, view: AdversaryView): Promise<void>;
  /**
   * At the end of the run: everything the adversary holds, iterated once by the judge (so the
   * network recording of a long run need not become one holding object per record at once).
   */
  conclude(view: AdversaryView): Promise<Iterable<Holding>>;
}

export interface AttackSetup<Params> {
  scenario: Scenario;
  params: Params;
  rng: Rng;
  /** The run's seed: an adversary that knows content independently (a leaked document) derives the scenario's generated texts with it. */
  seed?: number;
}

export interface Adversary<Params = unknown> {
  name: string;
  description: string;
  /** The scenario parameters it needs (SPEC §4); without them in a scenario it is `not-applicable` there. */
  params?: z.ZodType<Params>;
  /** Every parameter is optional: it runs in every scenario, parsing `{}` when a scenario gives none. */
  paramsOptional?: boolean;
  /** What it sees of message metadata. */
  metadata: readonly MetadataKind[];
  /** Whether it can change what clients receive (authentication, replay and membership are about it). */
  active: boolean;
  /** What it can see, hold and do; its view grants these and nothing else. */
  capabilities: readonly Capability[];
  /**
   * The ways in (`via`) it forgoes as a part of a composite, because they would cost the other
   * parts what they get alone; the composite's report names what it left for that reason.
   */
  forgoneInComposite?: readonly string[];
  /** A composite's parts (`a+b`), each run with its own parameters; its `params` are theirs, by part name. */
  parts?: readonly Adversary<any>[];
  prepare(setup: AttackSetup<Params>): Attack;
}
