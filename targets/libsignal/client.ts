/**
 * The `libsignal` client: the real `@signalapp/libsignal-client` (Signal's own Rust library,
 * through its Node bindings) driven through the harness: PQXDH session set-up
 * (`processPreKeyBundle`), the library's Double Ratchet with its post-quantum ratchet
 * (`signalEncrypt`, `signalDecrypt`, `signalDecryptPreKey`), its prekey records, its safety
 * numbers (`Fingerprint`). What the library leaves to the app is done as in `targets/signal`:
 * device lists signed by the user's identity key (with the library's XEdDSA verification),
 * identity pinning on first use, refusal to send after a safety-number mismatch, secure
 * deletion of the message history. Group messages go as pairwise copies (`PairwiseClient`).
 *
 * Determinism: every key this client makes comes from `context.rng` (X25519 private keys via
 * `PrivateKey.deserialize`, ML-KEM-1024 key pairs from a seeded key generation, XEdDSA
 * signatures with seeded nonces), so registrations and bundles are the same on every run.
 * The library's session operations take no random source: PQXDH base keys, ML-KEM
 * encapsulations and ratchet keys come from the operating system. Ciphertexts therefore
 * differ between runs; nothing else does, and no verdict depends on ciphertext bytes (a test
 * checks that reports are identical across runs).
 *
 * No `reconstructDevice`: the library keeps ratchet keys inside opaque session records, so the
 * `quantum` adversary's oracle cannot be applied, and its runs are `inconclusive`.
 *
 * The parts: the library's stores (`stores.ts`), the prekeys and their upkeep (`prekeys.ts`,
 * with the seeded key material of `seeded-keys.ts`, `xeddsa.ts` and `protobuf.ts`), whom the
 * device trusts (`trust.ts`), its sessions (`sessions.ts`), sealed sender
 * (`sealed-sender.ts`), what travels outside the library's messages (`wire-formats.ts`), the
 * rejections (`errors.ts`); the design is in `design.ts`.
 */
import {
  CiphertextMessageType,
  Fingerprint,
  IdentityKeyPair,
  PreKeySignalMessage,
  PrivateKey,
  ProtocolAddress,
  SenderCertificate,
  SignalMessage,
  signalDecrypt,
  signalDecryptPreKey,
} from '@signalapp/libsignal-client';
import { SEALED_SENDER, type Envelope, type KeyUpload, type OutgoingEnvelope } from '../../harness/provider/api.ts';
import type { Addressee } from '../../harness/scenario/types.ts';
import { splitAddress, type DeviceAddress } from '../../harness/scenario/types.ts';
import { alertRejection, listChanges } from '../shared/alerts.ts';
import { equalBytes, pack, unpack, utf8 } from '../shared/codec.ts';
import { PairwiseClient } from '../shared/pairwise-client.ts';
import type { ClientContext, ReceivedMessage } from '../types.ts';
import { asRejection } from '../shared/wire.ts';
import { LibsignalError, asLibraryRejection } from './errors.ts';
import { LibsignalPrekeys, type PrekeyUpkeep } from './prekeys.ts';
import { deliveryReceipt, sealMessage, senderCertificate, unseal } from './sealed-sender.ts';
import { identitySignature } from './seeded-keys.ts';
import { encryptTo, type SendingDevice } from './sessions.ts';
import { DeviceStores, own, type StoreImage } from './stores.ts';
import { LibsignalTrust, type DeviceList } from './trust.ts';
import { decodeWireMessage, type Provisioning, type WireMessage } from './wire-formats.ts';

export { LibsignalError } from './errors.ts';

/** Signal's safety numbers: 5200 iterations, fingerprint version 2 (service-id identifiers). */
const FINGERPRINT_ITERATIONS = 5200;
const FINGERPRINT_VERSION = 2;

/** The device image's keys (its history and verification state are `PairwiseClient`'s). */
interface Keys {
  stores: StoreImage;
  deviceId: number;
  nextPrekeyId: number;
  verifiedIdentities: [string, Uint8Array][];
  deviceList: DeviceList | null;
  upkeep: PrekeyUpkeep;
}

export class LibsignalClient extends PairwiseClient {
  #stores: DeviceStores | null = null;
  /** A sealed envelope this client opened before handing it on: its inner body and plaintext. */
  #unsealed: { body: Uint8Array; plaintext: Uint8Array } | null = null;
  #deviceId = 1;
  readonly #prekeys: LibsignalPrekeys;
  readonly #trust: LibsignalTrust;
  /** The members of each group as this device's app last showed them. */
  readonly #shownRosters = new Map<string, string[]>();

  /** Whether envelopes to other users go sealed (on in the design; off to reach the session's own parsing). */
  readonly #sealedSender: boolean;

  constructor(context: ClientContext, options: { sealedSender?: boolean } = {}) {
    super(context, { secureDelete: true });
    this.#sealedSender = options.sealedSender ?? true;
    const stores = () => this.#requireStores();
    const sign = (message: Uint8Array) => this.#sign(message);
    this.#prekeys = new LibsignalPrekeys(context, stores, sign);
    this.#trust = new LibsignalTrust(context, stores, this.verification, sign);
  }

  // --- registration and devices -------------------------------------------------------

  protected async createKeys(provisioning?: Uint8Array): Promise<KeyUpload> {
    const { rng } = this.context;
    let identity: IdentityKeyPair;
    let given: Provisioning | null = null;
    if (provisioning) {
      given = unpack<Provisioning>(provisioning, 'provisioning');
      identity = IdentityKeyPair.deserialize(own(given.identity));
      this.#deviceId = given.deviceId;
    } else {
      const privateKey = PrivateKey.deserialize(own(rng.bytes(32)));
      identity = new IdentityKeyPair(privateKey.getPublicKey(), privateKey);
      this.#deviceId = 1;
    }
    // Registration ids are 14-bit, non-zero (libsignal's KeyHelper).
    const stores = new DeviceStores(identity, 1 + rng.int(16380), this.context.user);
    this.#stores = stores;
    if (given) {
      // A linked device starts with the contacts its primary pinned and verified, as in `targets/signal`.
      for (const [user, key] of given.identities) stores.identity.identities.set(user, key);
      for (const [user, key] of given.verifiedIdentities) this.#trust.verifiedIdentities.set(user, key);
      for (const [user, matched] of given.verification) this.verification.set(user, matched);
    }
    return this.#prekeys.create();
  }

  /** The prekey upkeep on the run's clock (`prekeys.ts`). */
  async maintain(): Promise<void> {
    await this.#prekeys.maintain();
  }

  override async register(provisioning?: Uint8Array): Promise<void> {
    await super.register(provisioning);
    if (!provisioning) await this.#trust.startDeviceList();
  }

  override async provisionDevice(device: string): Promise<Uint8Array> {
    const id = await this.#trust.addDevice(device);
    // Out of band (a QR code scanned in person): the identity key pair and the device id move
    // to the new device, with the contacts' identities as this device knows and verified them.
    const stores = this.#requireStores();
    return pack({
      identity: stores.identity.identity.serialize(),
      deviceId: id,
      identities: [...stores.identity.identities],
      verifiedIdentities: [...this.#trust.verifiedIdentities],
      verification: [...this.verification],
    } satisfies Provisioning);
  }

  override async unlinkDevice(device: string): Promise<void> {
    await this.#trust.removeDevice(device);
    await super.unlinkDevice(device);
  }

  /** The devices a user vouches for in its signed list; the identity in it is pinned on first use. */
  protected override async devicesOf(user: string): Promise<DeviceAddress[]> {
    return [...(await this.#trust.deviceIds(user)).keys()];
  }

  // --- messages -----------------------------------------------------------------------

  protected async seal(to: DeviceAddress, plaintext: Uint8Array): Promise<Uint8Array> {
    const { message } = await encryptTo(this.#sendingDevice(), to, plaintext);
    return pack({ type: message.type(), body: message.serialize() } satisfies WireMessage);
  }

  // --- sealed sender (the library's sealed_sender v1, `sealed-sender.ts`) ----------------

  /** This device's sender certificate, as the provider issues it. */
  #senderCertificate(): SenderCertificate {
    return senderCertificate(this.context.user, this.#deviceId, this.#requireStores().identity.identity.publicKey);
  }

  /**
   * Envelopes to other users go sealed (`sealedSenderEncrypt`): the session's message and this
   * device's sender certificate, sealed to the recipient's identity key; the envelope names only
   * the recipient. Copies to this user's own devices go as before (Signal's sync messages).
   */
  protected override async sealAll(devices: readonly DeviceAddress[], plaintext: Uint8Array, to: Addressee, users: readonly string[]): Promise<OutgoingEnvelope[]> {
    if (!this.#sealedSender) return super.sealAll(devices, plaintext, to, users);
    const envelopes: OutgoingEnvelope[] = [];
    for (const device of devices) {
      if (splitAddress(device).user === this.context.user) envelopes.push(...(await super.sealAll([device], plaintext, to, users)));
      else envelopes.push({ to: device, body: await this.#sealTo(device, plaintext), sealed: true });
    }
    return envelopes;
  }

  async #sealTo(to: DeviceAddress, plaintext: Uint8Array): Promise<Uint8Array> {
    const device = this.#sendingDevice();
    const { message, address } = await encryptTo(device, to, plaintext);
    return sealMessage(message, this.#senderCertificate(), address, device.stores);
  }

  /** A delivery receipt, sealed to the device that sent `answered` (`deliveryReceipt`). */
  async #sealedReceipt(answered: Envelope): Promise<Uint8Array> {
    const stores = this.#requireStores();
    const address = await this.#trust.protocolAddress(answered.from);
    const receipt = deliveryReceipt(decodeWireMessage(answered.body), this.context.now(), address.deviceId());
    return sealMessage(receipt, this.#senderCertificate(), address, stores);
  }

  async #unseal(envelope: Envelope): Promise<Envelope> {
    return unseal(envelope, this.context, this.#requireStores(), this.#trust);
  }

  override async receive(envelope: Envelope): Promise<ReceivedMessage | null> {
    if (envelope.from !== SEALED_SENDER) return super.receive(envelope);
    let inner: Envelope;
    let plaintext: Uint8Array;
    try {
      inner = await this.#unseal(envelope);
    } catch (error) {
      throw asRejection(asLibraryRejection(error));
    }
    if (decodeWireMessage(inner.body).type === CiphertextMessageType.Plaintext) return null; // a delivery receipt: nothing to show
    try {
      plaintext = await this.#decrypt(inner);
    } catch (error) {
      // The sender is known now: the app shows what it shows for any message it cannot decrypt.
      const rejection = asRejection(asLibraryRejection(error));
      this.rejected(inner, rejection);
      throw rejection;
    }
    this.#unsealed = { body: inner.body, plaintext };
    let received: ReceivedMessage | null;
    try {
      received = await super.receive(inner);
    } finally {
      this.#unsealed = null;
    }
    if (received) {
      try {
        // The app acknowledges delivery at once, sealed, to the device that sent it.
        await this.context.provider.send([{ to: inner.from, body: await this.#sealedReceipt(inner), sealed: true }]);
      } catch {
        // A restored copy in an adversary's hands cannot send.
      }
    }
    return received;
  }

  protected async open(envelope: Envelope): Promise<Uint8Array> {
    const unsealed = this.#unsealed;
    if (unsealed && equalBytes(unsealed.body, envelope.body)) return unsealed.plaintext;
    try {
      return await this.#decrypt(envelope);
    } catch (error) {
      throw asLibraryRejection(error);
    }
  }

  async #decrypt(envelope: Envelope): Promise<Uint8Array> {
    const stores = this.#requireStores();
    const wire = decodeWireMessage(envelope.body);
    // Only a device on its user's signed list may talk to this one (the list pins the identity too).
    const address = await this.#trust.protocolAddress(envelope.from);
    if (wire.type === CiphertextMessageType.PreKey) {
      const message = PreKeySignalMessage.deserialize(own(wire.body));
      const oneTime = message.preKeyId();
      const unused = oneTime !== null && stores.prekeys.records.has(oneTime);
      const plaintext = await signalDecryptPreKey(message, address, this.#localAddress(), stores.sessions, stores.identity, stores.prekeys, stores.signedPrekeys, stores.kyberPrekeys);
      // The library deleted the one-time prekey it used (PQXDH §3.4): refill if the provider runs low.
      if (unused && !stores.prekeys.records.has(oneTime)) await this.#prekeys.refillIfLow();
      return plaintext;
    }
    if (wire.type === CiphertextMessageType.Whisper) {
      return signalDecrypt(SignalMessage.deserialize(own(wire.body)), address, this.#localAddress(), stores.sessions, stores.identity);
    }
    throw new LibsignalError('invalid-message', `unexpected message type ${wire.type}`);
  }

  /**
   * The library cannot decrypt a device's own sent messages: `signalEncrypt` keeps no sending
   * message keys and exposes no chain keys. So a seized device's image opens nothing it sent
   * (its stored history aside), and stolen-device results for this target are a lower bound.
   */
  override async openSent(_envelope: Envelope): Promise<Uint8Array | null> {
    return null;
  }

  /**
   * With this state's prekeys alone: the library opens a PreKeySignalMessage on copies of the
   * prekey stores with no sessions in them, as if this device had never heard from the sender
   * (the state is not changed).
   */
  async openSessionStart(envelope: Envelope): Promise<Uint8Array | null> {
    if (envelope.from === SEALED_SENDER) envelope = await this.#unseal(envelope);
    const wire = decodeWireMessage(envelope.body);
    if (wire.type !== CiphertextMessageType.PreKey) return null;
    const fresh = DeviceStores.import(this.#requireStores().export(), this.context.user);
    fresh.sessions.records.clear();
    const address = await this.#trust.protocolAddress(envelope.from);
    const message = PreKeySignalMessage.deserialize(own(wire.body));
    return signalDecryptPreKey(message, address, this.#localAddress(), fresh.sessions, fresh.identity, fresh.prekeys, fresh.signedPrekeys, fresh.kyberPrekeys);
  }

  /** Signal's "a message could not be delivered" (targets/signal). */
  protected override rejected(envelope: Envelope, rejection: unknown): void {
    alertRejection(this.context, envelope.from, rejection);
  }

  /** The provider's roster (this target signs none); the app shows its changes in the conversation, as Signal's does. */
  protected override async groupMembers(group: string): Promise<string[]> {
    const members = await super.groupMembers(group);
    const { added, removed } = listChanges(this.#shownRosters.get(group), members);
    if (added.length > 0) this.context.alert('member-added', group);
    if (removed.length > 0) this.context.alert('member-removed', group);
    this.#shownRosters.set(group, members);
    return members;
  }

  // --- safety numbers -----------------------------------------------------------------

  override async safetyNumber(peer: string): Promise<string | null> {
    const stores = this.#requireStores();
    if (!stores.identity.pinned(peer)) await this.devicesOf(peer);
    const theirs = stores.identity.pinned(peer);
    if (!theirs) throw new LibsignalError('untrusted-identity', `no identity known for ${peer}`);
    const fingerprint = Fingerprint.new(
      FINGERPRINT_ITERATIONS,
      FINGERPRINT_VERSION,
      own(utf8.encode(this.context.user)),
      stores.identity.identity.publicKey,
      own(utf8.encode(peer)),
      theirs,
    );
    return fingerprint.displayableFingerprint().toString();
  }

  override async recordVerification(peer: string, matched: boolean, verifiedNumber?: string): Promise<void> {
    // As `targets/signal`: a device that has not met the peer yet pins the peer now, and must
    // arrive at the number its user verified (synced from the primary); otherwise it was
    // handed another identity.
    const agrees = verifiedNumber === undefined || (await this.safetyNumber(peer)) === verifiedNumber;
    await super.recordVerification(peer, matched && agrees);
    if (!(matched && agrees)) this.context.alert('verification-failed', peer);
    const identity = this.#stores?.identity.pinned(peer);
    if (matched && agrees && identity) this.#trust.verifiedIdentities.set(peer, identity.serialize());
  }

  // --- device image -------------------------------------------------------------------

  protected exportKeys(): unknown {
    return {
      stores: this.#requireStores().export(),
      deviceId: this.#deviceId,
      nextPrekeyId: this.#prekeys.nextId,
      verifiedIdentities: [...this.#trust.verifiedIdentities],
      deviceList: this.#trust.deviceList,
      upkeep: this.#prekeys.upkeep,
    } satisfies Keys;
  }

  protected importKeys(state: unknown): void {
    const keys = state as Keys;
    this.#stores = DeviceStores.import(keys.stores, this.context.user);
    this.#deviceId = keys.deviceId;
    this.#prekeys.nextId = keys.nextPrekeyId;
    for (const [user, identity] of keys.verifiedIdentities) this.#trust.verifiedIdentities.set(user, identity);
    this.#trust.deviceList = keys.deviceList;
    this.#prekeys.upkeep = keys.upkeep;
  }

  // --- internals ----------------------------------------------------------------------

  /** What `sessions.ts` needs of this device to send. */
  #sendingDevice(): SendingDevice {
    return { context: this.context, stores: this.#requireStores(), trust: this.#trust, local: this.#localAddress() };
  }

  #localAddress(): ProtocolAddress {
    return ProtocolAddress.new(this.context.user, this.#deviceId);
  }

  /** XEdDSA with the identity key, its nonce from the seeded rng (prekeys and device lists). */
  #sign(message: Uint8Array): Uint8Array<ArrayBuffer> {
    return identitySignature(this.#requireStores().identity.identity.privateKey, message, this.context.rng);
  }

  #requireStores(): DeviceStores {
    if (!this.#stores) throw new Error(`${this.context.address} has no keys yet`);
    return this.#stores;
  }
}
