/**
 * The reference messenger's client: PQXDH session set-up, a Double Ratchet session per
 * peer device, signed device lists, safety numbers, and a message history deleted securely.
 * Options turn it into the weakened designs of the exceptional-access debate.
 *
 * The client composes its parts: its identities and the device trust policy (identities.ts,
 * trust.ts), its prekeys as published (prekey-publisher.ts), the pairwise sessions
 * (sessions.ts), groups and sender keys (groups.ts), the primary's device list
 * (own-device-list.ts), sealed sender (sealed-delivery.ts) and the device image
 * (device-image.ts). Parts call back on the client's own steps (`devicesOf`,
 * `groupMembers`, `seal`), so a design built on it that overrides one is heard everywhere.
 */
import type { Envelope, KeyUpload, OutgoingEnvelope } from '../../harness/provider/api.ts';
import type { Addressee, DeviceAddress } from '../../harness/scenario/types.ts';
import { alertRejection } from '../shared/alerts.ts';
import { PairwiseClient, userOf } from '../shared/pairwise-client.ts';
import { asRejection } from '../shared/wire.ts';
import type { ClientContext, ReceivedMessage } from '../types.ts';
import { acceptProvisioning, exportKeys, importKeys, provisioningOf, type ImageParts, type SignalKeys } from './device-image.ts';
import { SenderKeyGroups } from './groups.ts';
import { Identities } from './identities.ts';
import { OwnDeviceList } from './own-device-list.ts';
import { PrekeyPublisher } from './prekey-publisher.ts';
import { Prekeys } from './prekeys.ts';
import { generateIdentity } from './primitives.ts';
import { SealedDelivery } from './sealed-delivery.ts';
import { SEALED_SENDER } from './sealed-sender.ts';
import { Sessions } from './sessions.ts';
import { deviceTrustPolicy } from './trust.ts';
import { decodeSignalMessage } from './wire-message.ts';

export interface SignalOptions {
  /** Delete history with SQLite's secure_delete (the reference does). */
  secureDelete: boolean;
  /**
   * Also trust devices the provider lists for a user without the user's signature, and let
   * them present any identity, silently (the GCHQ "ghost user" proposal, Levy & Robinson
   * 2018). Devices on the user's signed list are still checked against its identity.
   */
  trustProviderDeviceList?: boolean;
  /**
   * Make a new sender key after a member leaves a group (the reference does; turning it off
   * shows what the rotation protects).
   */
  rotateSenderKeys?: boolean;
  /**
   * Mix PQXDH's ML-KEM shared secret into every session key (PQXDH §3.3; the reference does).
   * Off: X3DH alone, whose four Diffie-Hellman values a discrete-log oracle breaks.
   */
  postQuantum?: boolean;
  /**
   * Sealed sender: envelopes to other users carry the sender's address and identity inside
   * the encryption and name only the recipient; each message received is answered with a
   * sealed delivery receipt to its sender, as the app does. Copies to the user's own devices
   * go as before (Signal sends them as sync messages over the authenticated connection).
   */
  sealedSender?: boolean;
}

export class SignalClient extends PairwiseClient {
  readonly #identities: Identities;
  /** The signed, last-resort and one-time prekeys, and their upkeep on the run's clock. */
  readonly #prekeys: Prekeys;
  readonly #publisher: PrekeyPublisher;
  readonly #sessions: Sessions;
  readonly #groups: SenderKeyGroups;
  /** Kept by the primary: the list it signs. */
  readonly #deviceList: OwnDeviceList;
  readonly #sealed: SealedDelivery;
  readonly #sealedSender: boolean;

  constructor(context: ClientContext, options: SignalOptions) {
    super(context, { secureDelete: options.secureDelete });
    const devicesOf = (user: string) => this.devicesOf(user);
    const policy = deviceTrustPolicy(options.trustProviderDeviceList ?? false, (user) => this.#identities.vouchedDevices(user));
    this.#identities = new Identities(context, policy, this.verification, (user) => this.#sessions.forgetUser(user));
    this.#prekeys = new Prekeys(context.crypto, context.rng);
    this.#publisher = new PrekeyPublisher(context, this.#identities, this.#prekeys);
    this.#sessions = new Sessions(context, this.#identities, this.#prekeys, {
      postQuantum: options.postQuantum ?? true,
      devicesOf,
      oneTimePrekeyUsed: () => this.#publisher.refillIfLow(),
    });
    this.#groups = new SenderKeyGroups(context, this.#identities, this.#sessions, {
      rotateSenderKeys: options.rotateSenderKeys ?? true,
      devicesOf,
      groupMembers: (group) => this.groupMembers(group),
      seal: (to, plaintext) => this.seal(to, plaintext),
    });
    this.#deviceList = new OwnDeviceList(context, this.#identities);
    this.#sealed = new SealedDelivery(context, this.#identities, devicesOf);
    this.#sealedSender = options.sealedSender ?? false;
  }

  // --- registration and devices -------------------------------------------------------

  protected async createKeys(provisioning?: Uint8Array): Promise<KeyUpload> {
    if (provisioning) acceptProvisioning(provisioning, this.#identities, this.verification);
    else this.#identities.own = generateIdentity(this.context.crypto, this.context.rng);
    return this.#publisher.create();
  }

  /** PQXDH §3.2 on the run's clock: prekeys replaced when due, refilled when the provider runs low. */
  async maintain(): Promise<void> {
    await this.#publisher.maintain();
  }

  override async register(provisioning?: Uint8Array): Promise<void> {
    await super.register(provisioning);
    if (!provisioning) await this.#deviceList.create();
  }

  override async provisionDevice(device: string): Promise<Uint8Array> {
    await this.#deviceList.add(device);
    // Out of band (a QR code scanned in person): the identity key pair moves to the new
    // device, with the contacts' identities as this device knows and verified them.
    return provisioningOf(this.#identities, this.verification);
  }

  override async unlinkDevice(device: string): Promise<void> {
    await this.#deviceList.remove(device);
    await super.unlinkDevice(device);
  }

  /** The devices a user vouches for in its signed list (and what the trust policy adds); the identity in it is pinned on first use. */
  protected override async devicesOf(user: string): Promise<DeviceAddress[]> {
    return this.#identities.devicesOf(user);
  }

  // --- messages -----------------------------------------------------------------------

  protected async seal(to: DeviceAddress, plaintext: Uint8Array): Promise<Uint8Array> {
    return this.#sessions.seal(to, plaintext);
  }

  protected async open(envelope: Envelope): Promise<Uint8Array> {
    const decoded = decodeSignalMessage(envelope.body);
    if (decoded.kind === 'group') return this.#groups.open(envelope, decoded.message);
    return this.#sessions.open(envelope, decoded.message);
  }

  override async receive(envelope: Envelope): Promise<ReceivedMessage | null> {
    if (envelope.from !== SEALED_SENDER) return super.receive(envelope);
    let unsealed;
    try {
      unsealed = await this.#sealed.unseal(envelope);
    } catch (error) {
      throw asRejection(error);
    }
    const { sender, identity, content } = unsealed;
    if (content.receipt !== null) return null; // a delivery receipt: nothing to show
    const received = await super.receive({ ...envelope, from: sender, body: content.body! });
    if (received && userOf(sender) !== this.context.user) {
      try {
        await this.context.provider.send([this.#sealed.receipt(sender, identity, received.id)]);
      } catch {
        // A restored copy in an adversary's hands cannot send.
      }
    }
    return received;
  }

  /** With this device's sending chains and sender keys (an image of it), open what it sent later. */
  override async openSent(envelope: Envelope): Promise<Uint8Array | null> {
    const unsealed = await this.#sealed.unsealSent(envelope);
    if (!unsealed) return null;
    const decoded = decodeSignalMessage(unsealed.body);
    if (decoded.kind === 'group') return this.#groups.openOwn(unsealed, decoded.message);
    return this.#sessions.openOwn(unsealed.to, decoded.message);
  }

  /**
   * With this state's prekeys alone: the first message of a session a peer started on them,
   * derived again as if there were no session (the sessions and sender keys the client uses
   * are not changed). A sender key handed over in such a session start is derived with it,
   * and kept aside for that sender's later group messages.
   */
  async openSessionStart(envelope: Envelope): Promise<Uint8Array | null> {
    if (envelope.from === SEALED_SENDER) {
      const { sender, content } = await this.#sealed.unseal(envelope);
      if (!content.body) return null;
      envelope = { ...envelope, from: sender, body: content.body };
    }
    const decoded = decodeSignalMessage(envelope.body);
    if (decoded.kind === 'group') return this.#groups.rederive(envelope, decoded.message);
    return this.#sessions.rederive(decoded.message);
  }

  /** "A message from Bob could not be delivered": a decryption error shows in the conversation. */
  protected override rejected(envelope: Envelope, rejection: unknown): void {
    alertRejection(this.context, envelope.from, rejection);
  }

  // --- safety numbers -----------------------------------------------------------------

  override async safetyNumber(peer: string): Promise<string | null> {
    return this.#identities.safetyNumber(peer, (user) => this.devicesOf(user));
  }

  override async recordVerification(peer: string, matched: boolean, verifiedNumber?: string): Promise<void> {
    // A device that has not met the peer yet pins the peer now, and must arrive at the number
    // its user verified (synced from the primary); otherwise it was handed another identity.
    const agrees = verifiedNumber === undefined || (await this.safetyNumber(peer)) === verifiedNumber;
    await super.recordVerification(peer, matched && agrees);
    // The safety number the users compared did not match (or this device's view disagrees).
    if (!(matched && agrees)) this.context.alert('verification-failed', peer);
    else this.#identities.markVerified(peer);
  }

  // --- device image -------------------------------------------------------------------

  protected exportKeys(): unknown {
    return exportKeys(this.#imageParts());
  }

  protected importKeys(state: unknown): void {
    importKeys(this.#imageParts(), state as SignalKeys);
  }

  #imageParts(): ImageParts {
    return { identities: this.#identities, prekeys: this.#prekeys, sessions: this.#sessions, deviceList: this.#deviceList, groups: this.#groups };
  }

  // --- groups: signed rosters and sender keys -------------------------------------------

  protected override async signRoster(group: string, members: readonly string[]): Promise<Uint8Array | null> {
    return this.#groups.signRoster(group, members);
  }

  /** The members the group's admin vouches for in its signed roster (and, in ghost mode, whoever else the provider lists). */
  protected override async groupMembers(group: string): Promise<string[]> {
    return this.#groups.members(group);
  }

  /**
   * A group message is encrypted once with this device's sender key. Devices that do not have
   * the key yet get it sealed over the pairwise session in the same envelope. After a member
   * was removed, a fresh sender key is made first, so the removed member's copy is useless.
   */
  protected override async sealAll(devices: readonly DeviceAddress[], plaintext: Uint8Array, to: Addressee, users: readonly string[]): Promise<OutgoingEnvelope[]> {
    const envelopes = to.kind === 'group' ? await this.#groups.encrypt(devices, plaintext, to, users) : await super.sealAll(devices, plaintext, to, users);
    return this.#sealedSender ? envelopes.map((envelope) => this.#sealed.seal(envelope)) : envelopes;
  }
}
