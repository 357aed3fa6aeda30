/**
 * A messenger design ("target"): a client, and if it really needs one, server logic. The
 * harness drives clients through a scenario; adversaries restore captured client state into
 * fresh clients of the same design and run the design's own code on what they captured.
 */
import type { CryptoBackend } from '../harness/crypto/backend.ts';
import type { Envelope, KeyUpload, ProviderApi } from '../harness/provider/api.ts';
import type { ServerLogic } from '../harness/provider/provider.ts';
import type { AlertKind, PropertyName } from '../harness/report/types.ts';
import type { Rng } from '../harness/rng.ts';
import type { Addressee, DeviceAddress } from '../harness/scenario/types.ts';
import type { BoxPrivateKey, BoxPublicKey } from './shared/sealed-box.ts';

export interface ClientContext {
  address: DeviceAddress;
  user: string;
  device: string;
  /** The device's connection to the provider. A restored (attacker's) client has one that refuses every call. */
  provider: ProviderApi;
  rng: Rng;
  crypto: CryptoBackend;
  /** The virtual clock of the run, in milliseconds. */
  now(): number;
  /** The design's server `clientConfig` (e.g. a pinned provider key), or null. */
  serverConfig: Uint8Array | null;
  /** For designs with an escrow authority: the escrow public key every client ships with. */
  escrowKey: BoxPublicKey | null;
  /**
   * Only in a client an adversary holding the discrete-log oracle restores or rebuilds: the
   * private half of an X25519 public key seen on the wire, or null. A design consults it for
   * a key it meets but did not make (the real device's next ratchet key), so that the clone
   * follows the device instead of making keys of its own.
   */
  privateKeyOf?: (publicKey: Uint8Array) => Uint8Array | null;
  /**
   * Show the user an alert, as the design's app would (SPEC §5): a peer's identity changed,
   * a device or member was added, ... `about` names the peer user, the device or the group.
   * Recorded for the run's `alerts`; what an attacker's copy of a client shows is dropped.
   */
  alert(kind: AlertKind, about: string, members?: readonly string[]): void;
  /**
   * What the app showed beyond an alert's kind (a library's own trust code and message), for
   * the run's notes. Optional; what an attacker's copy of a client notes is dropped.
   */
  note?(text: string): void;
  /** For designs with client-side scanning: the authority's report key and its match list. */
  scanAuthority?: ScanAuthorityAccess | null;
}

/** What a scanning client ships with: the authority's public key, and the match list as the provider distributes it now (it may change at any time). */
export interface ScanAuthorityAccess {
  publicKey: BoxPublicKey;
  matchList(): readonly Uint8Array[];
}

/** The authority's side of a design with client-side scanning. */
export interface ScanningSide {
  /** The content fingerprint clients match against the list; public, so whoever writes the list uses it. */
  fingerprint(text: string): Uint8Array;
  /** The report an envelope carries to the authority, or null. */
  reportIn(envelope: Envelope): Uint8Array | null;
  /** What the authority's private key opens among the reports: each reported content, with the account (user) whose client reported it. */
  openReports(crypto: CryptoBackend, key: BoxPrivateKey, reports: Iterable<Uint8Array>): { account: string; content: Uint8Array }[];
}

export interface ServerContext {
  rng: Rng;
  crypto: CryptoBackend;
  /** The provider's directory entry of a device (its published bundle). */
  bundleOf(address: DeviceAddress): Uint8Array;
}

export interface OutgoingMessage {
  /** The scenario's message id; travels inside the encrypted payload. */
  id: string;
  to: Addressee;
  /** The plaintext, marker included. */
  body: Uint8Array;
}

export type SendOutcome = { sent: true } | { sent: false; reason: string };

export interface ReceivedMessage {
  id: string;
  /** The device the client believes sent it. */
  from: DeviceAddress;
  body: Uint8Array;
  group: string | null;
}

export interface Client {
  /** Create keys and publish them. A linked device gets what its primary provisioned. */
  register(provisioning?: Uint8Array): Promise<void>;
  /** On the primary: provision a new device of this user, out of band (a QR code); returns what the device needs. */
  provisionDevice(device: string): Promise<Uint8Array>;
  /** On the primary: remove another device of this user. */
  unlinkDevice(device: string): Promise<void>;

  send(message: OutgoingMessage): Promise<SendOutcome>;
  /** Decrypt and store an envelope. Null for a control message; throws when it rejects the envelope. */
  receive(envelope: Envelope): Promise<ReceivedMessage | null>;
  /** Delete stored messages, as the user does in the app. */
  deleteMessages(ids: readonly string[] | 'all'): Promise<void>;

  /** The safety number with a peer user, or null when the design has no identity keys to compare. */
  safetyNumber(peer: string): Promise<string | null>;
  /**
   * The users compared safety numbers out of band; a client that saw a mismatch refuses to
   * send to that peer. `safetyNumber` is the number the user's primary showed, synced to the
   * user's other devices: a device whose own view of the peer gives another number treats
   * the verification as failed.
   */
  recordVerification(peer: string, matched: boolean, safetyNumber?: string): Promise<void>;

  /** On the admin: create a group with these members. */
  createGroup(group: string, members: readonly string[]): Promise<void>;
  addMember(group: string, user: string): Promise<void>;
  removeMember(group: string, user: string): Promise<void>;

  /**
   * The app's upkeep on the run's clock (`context.now()`): rotate medium-term keys, delete
   * retired ones, refill one-time keys. Called on every device that is online once per day of
   * a `wait`, and on a device when it comes back online. Optional: designs without timed keys
   * omit it.
   */
  maintain?(): Promise<void>;

  /** The device's complete state as an image of it would hold: keys, sessions, stored history. */
  exportState(): Promise<Uint8Array>;
  /** With this state, open an envelope this device sent (its sending keys may still be known); null if it cannot. */
  openSent(envelope: Envelope): Promise<Uint8Array | null>;
  /**
   * With this state's prekeys alone, open `envelope` as the first message of a session a peer
   * started on them (a PQXDH initial message), as if this device had no session with the
   * sender; the state the client works with is left as it was (what a session start derived,
   * such as a sender key handed over in it, may be kept aside for later calls). Null when the
   * envelope starts no session, or the prekeys it names are gone. A device image holds its signed prekey, last-resort KEM key and
   * unused one-time prekeys: what they re-derive, deleting the messages did not protect.
   * Optional: designs without prekeys omit it.
   */
  openSessionStart?(envelope: Envelope): Promise<Uint8Array | null>;
}

export type ConversationKind = 'one-to-one' | 'groups';

export interface Claim {
  property: PropertyName;
  adversaries: readonly string[];
  /** `verified`: the claim covers only messages sent after their users compared safety numbers. */
  scope?: 'verified';
  /** The claim covers only `one-to-one` conversations, or only `groups`; both when omitted. */
  conversations?: ConversationKind;
  /**
   * `single-device`: the claim covers only messages whose sender has no other device (a copy
   * to one's own devices goes in one's own name, and with it the upload it travels in).
   */
  senders?: 'single-device';
  /** Why the claim is limited, for the report. */
  note?: string;
}

/** One run's use of a design that holds something outside keyhole (a command target's process). */
export interface DesignRun {
  /** The design as this run uses it (same name and claims). */
  design: Design;
  /**
   * The run is over: stop what the run started. Returns what broke the run even where the
   * run itself may not have seen it (a client process that died inside a `receive`, which the
   * world takes for a rejection), or null.
   */
  close(): Promise<Error | null>;
}

export interface Design {
  name: string;
  description: string;
  claims: readonly Claim[];
  createClient(context: ClientContext): Client;
  /** A fresh client of this design holding `image` (from `exportState`). */
  restoreClient(context: ClientContext, image: Uint8Array): Promise<Client>;
  createServer?(context: ServerContext): ServerLogic;
  /**
   * The client cannot open what its own device sent, though its state holds the keys (a
   * library that does not expose them). Attacks on a device image then cannot try those
   * messages, and the judge leaves them out of post-compromise security instead of taking
   * them for healing (they still count as the device's sends, which open its healing window).
   */
  cannotOpenSent?: boolean;
  /** The design has an escrow authority ("exceptional access"): the harness makes its key pair; clients get the public key. */
  escrowAuthority?: boolean;
  /** The escrow agent's side of the design: open an envelope with the escrow private key, or null. */
  openEscrow?(crypto: CryptoBackend, escrowKey: BoxPrivateKey, envelope: Envelope): Uint8Array | null;
  /** The design scans outgoing messages for a match list (client-side scanning): the harness makes the authority's key pair and list. */
  scanning?: ScanningSide;
  /**
   * For the `quantum` adversary: a client of this design for a device, rebuilt from the keys
   * the device published (`upload`, as captured on the wire: one bundle, with every one-time
   * key the device published) and whatever private halves `privateKeyOf` reveals (the same
   * oracle is in `context`, for the keys the client meets later). Design-specific because
   * only the design knows which published keys make up a device's state. Without it, the
   * quantum attack is inconclusive.
   */
  /**
   * Called before each run: the design as that run uses it, and its end. For designs whose
   * clients live outside keyhole (`targets/command/`); without it, the design itself is used.
   */
  openRun?(): Promise<DesignRun>;
  reconstructDevice?(context: ClientContext, upload: KeyUpload, privateKeyOf: (publicKey: Uint8Array) => Uint8Array | null): Promise<Client>;
  /**
   * An outer layer of an envelope body that X25519 alone protects (sealed sender): what a
   * holder of the discrete-log oracle reads inside it, given the bundles the recipient
   * published; null when the body has no such layer or it does not open. The public keys
   * inside count as seen on the wire (SPEC §4 `quantum`).
   */
  openOuterLayer?(crypto: CryptoBackend, envelope: Envelope, recipientBundles: readonly Uint8Array[], privateKeyOf: (publicKey: Uint8Array) => Uint8Array | null): Uint8Array | null;
}
