/**
 * `libsignal`: the real `@signalapp/libsignal-client` (Signal's own Rust library, through its
 * Node bindings) driven through the harness: PQXDH session set-up (`processPreKeyBundle`),
 * the library's Double Ratchet with its post-quantum ratchet (`signalEncrypt`,
 * `signalDecrypt`, `signalDecryptPreKey`), its prekey records, its safety numbers
 * (`Fingerprint`). What the library leaves to the app is done as in `targets/signal`: device
 * lists signed by the user's identity key (with the library's XEdDSA verification), identity
 * pinning on first use, refusal to send after a safety-number mismatch, secure deletion of
 * the message history. Group messages go as pairwise copies (`PairwiseClient`).
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
 */
import { ml_kem1024 } from '@noble/post-quantum/ml-kem.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import {
  CiphertextMessageType,
  DecryptionErrorMessage,
  ErrorCode,
  Fingerprint,
  IdentityKeyPair,
  KEMPublicKey,
  KyberPreKeyRecord,
  LibSignalErrorBase,
  PreKeyBundle,
  PreKeyRecord,
  PlaintextContent,
  PreKeySignalMessage,
  PrivateKey,
  ProtocolAddress,
  PublicKey,
  SenderCertificate,
  ServerCertificate,
  SignalMessage,
  SignedPreKeyRecord,
  UnidentifiedSenderMessageContent,
  processPreKeyBundle,
  sealedSenderDecryptToUsmc,
  sealedSenderEncrypt,
  signalDecrypt,
  signalDecryptPreKey,
  signalEncrypt,
} from '@signalapp/libsignal-client';
import { RejectionError, type RejectionCode } from '../../harness/errors.ts';
import { cachedKeys, copyBytes, copyKeyPair } from '../../harness/key-cache.ts';
import { SEALED_SENDER, type Envelope, type KeyUpload, type OutgoingEnvelope } from '../../harness/provider/api.ts';
import type { Addressee } from '../../harness/scenario/types.ts';
import type { Rng } from '../../harness/rng.ts';
import { splitAddress, type DeviceAddress } from '../../harness/scenario/types.ts';
import { alertEach, alertRejection, listChanges } from '../shared/alerts.ts';
import { concatBytes, equalBytes, pack, unpack, utf8 } from '../shared/codec.ts';
import { PairwiseClient } from '../shared/pairwise-client.ts';
import { SENDER_ANONYMITY_CLAIM, SIGNAL_CLAIMS } from '../signal.ts';
import { POOLS, PREKEY_UPKEEP } from '../signal/prekeys.ts';
import type { Claim, ClientContext, Design, ReceivedMessage } from '../types.ts';
import { asRejection } from '../shared/wire.ts';
import { DeviceStores, own, type StoreImage } from './stores.ts';
/** Signal's safety numbers: 5200 iterations, fingerprint version 2 (service-id identifiers). */
const FINGERPRINT_ITERATIONS = 5200;
const FINGERPRINT_VERSION = 2;
const DEVICE_LIST_LABEL = utf8.encode('keyhole libsignal device list');

/** What a device publishes; the public halves as the library serializes them. */
interface Bundle {
  registrationId: number;
  identityKey: Uint8Array;
  signedPrekey: { id: number; publicKey: Uint8Array; signature: Uint8Array };
  kyberPrekey: { id: number; publicKey: Uint8Array; signature: Uint8Array };
}

interface OneTimePrekey {
  id: number;
  publicKey: Uint8Array;
}

interface OneTimeKyberPrekey extends OneTimePrekey {
  signature: Uint8Array;
}

/** A user's devices with the numeric device ids libsignal addresses them by, signed by the user's identity key. */
interface DeviceList {
  user: string;
  identity: Uint8Array;
  version: number;
  devices: { name: string; id: number }[];
  nextId: number;
}

interface SignedDeviceList {
  list: Uint8Array;
  signature: Uint8Array;
}

/** What travels in an envelope body: the library's message and its type. */
interface WireMessage {
  type: number;
  body: Uint8Array;
}

/** What a primary hands a device it links, out of band: as in `targets/signal`, the contacts' identities as it knows and verified them. */
interface Provisioning {
  identity: Uint8Array;
  deviceId: number;
  identities: [string, Uint8Array][];
  verifiedIdentities: [string, Uint8Array][];
  verification: [string, boolean][];
}

/**
 * The app's prekey upkeep (PQXDH §3.2, as `targets/signal/prekeys.ts`): which signed and
 * last-resort Kyber prekeys are current and when they were made, and when replaced ones were
 * replaced (they stay in the library's stores until the grace period ends).
 */
interface PrekeyUpkeep {
  signedId: number;
  signedMadeAt: number;
  lastResortId: number;
  lastResortMadeAt: number;
  retiredSigned: [number, number][];
  retiredLastResort: [number, number][];
}

interface Keys {
  stores: StoreImage;
  deviceId: number;
  nextPrekeyId: number;
  verifiedIdentities: [string, Uint8Array][];
  deviceList: DeviceList | null;
  upkeep: PrekeyUpkeep;
}

/** This client's own rejections (the harness's coded rejection); the library's are translated by `asLibraryRejection`. */
export class LibsignalError extends RejectionError {
  constructor(
    override readonly code: Extract<RejectionCode, 'unknown-device' | 'untrusted-identity' | 'bad-signature' | 'invalid-message' | 'malformed-message'>,
    message: string,
  ) {
    super(code, `libsignal: ${message}`);
    this.name = 'LibsignalError';
  }
}

/** The library's error codes for what it refuses in a message, as the harness's rejection codes. */
const LIBRARY_REJECTIONS: Partial<Record<ErrorCode, RejectionCode>> = {
  [ErrorCode.DuplicatedMessage]: 'duplicate-message',
  [ErrorCode.UntrustedIdentity]: 'untrusted-identity',
  [ErrorCode.InvalidSession]: 'no-session',
  [ErrorCode.VerificationFailed]: 'bad-signature',
  [ErrorCode.InvalidProtocolAddress]: 'unknown-device',
  [ErrorCode.InvalidRegistrationId]: 'invalid-message',
};

/**
 * At the client boundary: the library's own error (`LibSignalErrorBase`) becomes the coded
 * rejection, its message kept (reports quote it) and the original as the cause. Its generic
 * code (a message that does not parse or decrypt) is `invalid-message`. Anything else, a
 * TypeError above all, is not the library refusing input and is left as it is.
 */
function asLibraryRejection(error: unknown): unknown {
  if (!(error instanceof LibSignalErrorBase)) return error;
  return new RejectionError(LIBRARY_REJECTIONS[error.code] ?? 'invalid-message', error.message, { cause: error });
}

/**
 * The provider's sender-certificate authority, as Signal's servers hold one: a trust root
 * every client ships with, and the server certificate it signed. The provider issues each
 * device a sender certificate (its user, device id and identity key) at registration; the
 * keys are fixed, so that every run is alike.
 */
const CERTIFICATE_AUTHORITY = (() => {
  const key = (label: string) => PrivateKey.deserialize(own(sha512(utf8.encode(`keyhole provider ${label}`)).slice(0, 32)));
  const trustRoot = key('sealed sender trust root');
  const serverKey = key('sealed sender server key');
  return { trustRoot: trustRoot.getPublicKey(), serverKey, serverCertificate: ServerCertificate.new(1, serverKey.getPublicKey(), trustRoot) };
})();

/** Sender certificates do not expire within a run. */
const CERTIFICATE_EXPIRATION = Number.MAX_SAFE_INTEGER;

export class LibsignalClient extends PairwiseClient {
  #stores: DeviceStores | null = null;
  /** A sealed envelope this client opened before handing it on: its inner body and plaintext. */
  #unsealed: { body: Uint8Array; plaintext: Uint8Array } | null = null;
  #deviceId = 1;
  #nextPrekeyId = 1;
  /** Peer user -> the identity whose safety number the users compared and found matching. */
  readonly #verifiedIdentities = new Map<string, Uint8Array>();
  /** Kept by the primary: the list it signs. */
  #deviceList: DeviceList | null = null;
  /** The last signed list verified per user, and the device ids in it. */
  readonly #verifiedLists = new Map<string, { signed: Uint8Array; devices: Map<DeviceAddress, number> }>();
  /** The members of each group as this device's app last showed them. */
  readonly #shownRosters = new Map<string, string[]>();
  #upkeep: PrekeyUpkeep = { signedId: 0, signedMadeAt: 0, lastResortId: 0, lastResortMadeAt: 0, retiredSigned: [], retiredLastResort: [] };

  /** Whether envelopes to other users go sealed (on in the design; off to reach the session's own parsing). */
  readonly #sealedSender: boolean;

  constructor(context: ClientContext, options: { sealedSender?: boolean } = {}) {
    super(context, { secureDelete: true });
    this.#sealedSender = options.sealedSender ?? true;
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
      for (const [user, key] of given.verifiedIdentities) this.#verifiedIdentities.set(user, key);
      for (const [user, matched] of given.verification) this.verification.set(user, matched);
    }
    const now = this.context.now();
    await this.#newSignedPrekey(now);
    await this.#newLastResort(now);
    return this.#upload(await this.#oneTimeBatch({ prekeys: true, kyber: true }));
  }

  /** A new signed prekey, current from `now`. */
  async #newSignedPrekey(now: number): Promise<void> {
    const stores = this.#requireStores();
    const id = this.#nextPrekeyId++;
    const key = PrivateKey.deserialize(own(this.context.rng.bytes(32)));
    const publicKey = key.getPublicKey();
    await stores.signedPrekeys.saveSignedPreKey(id, SignedPreKeyRecord.new(id, now, publicKey, key, this.#sign(publicKey.serialize())));
    this.#upkeep = { ...this.#upkeep, signedId: id, signedMadeAt: now };
  }

  /** A new last-resort Kyber prekey, current from `now`. */
  async #newLastResort(now: number): Promise<void> {
    const stores = this.#requireStores();
    const record = this.#kyberPrekey(this.#nextPrekeyId++, now, this.context.rng);
    await stores.kyberPrekeys.saveKyberPreKey(record.id(), record);
    stores.kyberPrekeys.lastResort.add(record.id());
    this.#upkeep = { ...this.#upkeep, lastResortId: record.id(), lastResortMadeAt: now };
  }

  /** A batch of one-time prekeys of the kinds wanted, stored; their public halves to publish. */
  async #oneTimeBatch(wanted: { prekeys: boolean; kyber: boolean }): Promise<Record<string, Uint8Array[]>> {
    const stores = this.#requireStores();
    const now = this.context.now();
    const prekeys: Uint8Array[] = [];
    const kyberPrekeys: Uint8Array[] = [];
    for (let i = 0; i < PREKEY_UPKEEP.oneTimeBatch; i++) {
      if (wanted.prekeys) {
        const id = this.#nextPrekeyId++;
        const key = PrivateKey.deserialize(own(this.context.rng.bytes(32)));
        await stores.prekeys.savePreKey(id, PreKeyRecord.new(id, key.getPublicKey(), key));
        prekeys.push(pack({ id, publicKey: key.getPublicKey().serialize() } satisfies OneTimePrekey));
      }
      if (wanted.kyber) {
        const kyber = this.#kyberPrekey(this.#nextPrekeyId++, now, this.context.rng);
        await stores.kyberPrekeys.saveKyberPreKey(kyber.id(), kyber);
        kyberPrekeys.push(pack({ id: kyber.id(), publicKey: kyber.publicKey().serialize(), signature: kyber.signature() } satisfies OneTimeKyberPrekey));
      }
    }
    const batch: Record<string, Uint8Array[]> = {};
    if (wanted.prekeys) batch[POOLS.prekey] = prekeys;
    if (wanted.kyber) batch[POOLS.kyber] = kyberPrekeys;
    return batch;
  }

  /** What to publish: the bundle with the current signed and last-resort prekeys, and new one-time prekeys, if any. */
  async #upload(oneTimeKeys: Record<string, Uint8Array[]> | null): Promise<KeyUpload> {
    const stores = this.#requireStores();
    const signed = await stores.signedPrekeys.getSignedPreKey(this.#upkeep.signedId);
    const lastResort = await stores.kyberPrekeys.getKyberPreKey(this.#upkeep.lastResortId);
    const bundle: Bundle = {
      registrationId: stores.identity.registrationId,
      identityKey: stores.identity.identity.publicKey.serialize(),
      signedPrekey: { id: signed.id(), publicKey: signed.publicKey().serialize(), signature: signed.signature() },
      kyberPrekey: { id: lastResort.id(), publicKey: lastResort.publicKey().serialize(), signature: lastResort.signature() },
    };
    return oneTimeKeys ? { bundle: pack(bundle), oneTimeKeys } : { bundle: pack(bundle) };
  }

  /**
   * PQXDH §3.2 on the run's clock, as `targets/signal` (and Signal's apps) do it: a new signed
   * prekey and last-resort Kyber prekey when theirs are due, replaced ones deleted from the
   * stores after the grace period, one-time prekeys refilled when the provider runs low.
   */
  async maintain(): Promise<void> {
    const stores = this.#requireStores();
    const now = this.context.now();
    let rotated = false;
    if (now - this.#upkeep.signedMadeAt >= PREKEY_UPKEEP.rotationMs) {
      const retired: [number, number] = [this.#upkeep.signedId, now];
      await this.#newSignedPrekey(now);
      this.#upkeep.retiredSigned = [...this.#upkeep.retiredSigned, retired];
      rotated = true;
    }
    if (now - this.#upkeep.lastResortMadeAt >= PREKEY_UPKEEP.rotationMs) {
      const retired: [number, number] = [this.#upkeep.lastResortId, now];
      await this.#newLastResort(now);
      this.#upkeep.retiredLastResort = [...this.#upkeep.retiredLastResort, retired];
      rotated = true;
    }
    const expired = ([, retiredAt]: [number, number]) => now - retiredAt > PREKEY_UPKEEP.retiredGraceMs;
    for (const [id] of this.#upkeep.retiredSigned.filter(expired)) stores.signedPrekeys.records.delete(id);
    for (const [id] of this.#upkeep.retiredLastResort.filter(expired)) stores.kyberPrekeys.remove(id);
    this.#upkeep.retiredSigned = this.#upkeep.retiredSigned.filter((r) => !expired(r));
    this.#upkeep.retiredLastResort = this.#upkeep.retiredLastResort.filter((r) => !expired(r));
    const batch = await this.#refill();
    if (rotated || batch) await this.context.provider.publishKeys(await this.#upload(batch));
  }

  /** New one-time prekeys for each pool the provider has fewer than the minimum of. */
  async #refill(): Promise<Record<string, Uint8Array[]> | null> {
    const counts = await this.context.provider.countOneTimeKeys();
    const low = (pool: string) => (counts[pool] ?? 0) < PREKEY_UPKEEP.oneTimeMinimum;
    const wanted = { prekeys: low(POOLS.prekey), kyber: low(POOLS.kyber) };
    return wanted.prekeys || wanted.kyber ? this.#oneTimeBatch(wanted) : null;
  }

  /** After a session start used up a one-time prekey: refill if the provider is running low. */
  async #refillIfLow(): Promise<void> {
    try {
      const batch = await this.#refill();
      if (batch) await this.context.provider.publishKeys(await this.#upload(batch));
    } catch {
      // Off the provider (a restored copy): the stock is refilled at the next upkeep, if ever.
    }
  }

  override async register(provisioning?: Uint8Array): Promise<void> {
    await super.register(provisioning);
    if (!provisioning) {
      this.#deviceList = {
        user: this.context.user,
        identity: this.#requireStores().identity.identity.publicKey.serialize(),
        version: 1,
        devices: [{ name: this.context.device, id: 1 }],
        nextId: 2,
      };
      await this.#publishDeviceList();
    }
  }

  override async provisionDevice(device: string): Promise<Uint8Array> {
    const list = this.#requireDeviceList();
    const id = list.nextId;
    if (id > 127) throw new Error('libsignal device ids end at 127');
    this.#deviceList = { ...list, version: list.version + 1, devices: [...list.devices, { name: device, id }], nextId: id + 1 };
    await this.#publishDeviceList();
    // Out of band (a QR code scanned in person): the identity key pair and the device id move
    // to the new device, with the contacts' identities as this device knows and verified them.
    const stores = this.#requireStores();
    return pack({
      identity: stores.identity.identity.serialize(),
      deviceId: id,
      identities: [...stores.identity.identities],
      verifiedIdentities: [...this.#verifiedIdentities],
      verification: [...this.verification],
    } satisfies Provisioning);
  }

  override async unlinkDevice(device: string): Promise<void> {
    const list = this.#requireDeviceList();
    this.#deviceList = { ...list, version: list.version + 1, devices: list.devices.filter((d) => d.name !== device) };
    await this.#publishDeviceList();
    await super.unlinkDevice(device);
  }

  /** The devices a user vouches for in its signed list; the identity in it is pinned on first use. */
  protected override async devicesOf(user: string): Promise<DeviceAddress[]> {
    return [...(await this.#deviceIds(user)).keys()];
  }

  async #deviceIds(user: string): Promise<Map<DeviceAddress, number>> {
    const listing = await this.context.provider.fetchDevices(user);
    if (!listing.signedList) throw new LibsignalError('bad-signature', `${user} has no signed device list`);
    const cached = this.#verifiedLists.get(user);
    if (cached && equalBytes(cached.signed, listing.signedList)) return cached.devices;
    const list = openDeviceList(listing.signedList, user);
    this.#trustIdentity(user, PublicKey.deserialize(own(list.identity)));
    const devices = new Map(list.devices.map((d) => [`${user}.${d.name}` as DeviceAddress, d.id]));
    // The app layer is Signal's (targets/signal): a device linked to one's own account is announced.
    if (user === this.context.user && cached) alertEach(this.context, 'new-device', listChanges([...cached.devices.keys()], [...devices.keys()]).added);
    this.#verifiedLists.set(user, { signed: listing.signedList, devices });
    return devices;
  }

  // --- messages -----------------------------------------------------------------------

  protected async seal(to: DeviceAddress, plaintext: Uint8Array): Promise<Uint8Array> {
    const stores = this.#requireStores();
    const address = await this.#protocolAddress(to);
    const now = new Date(this.context.now());
    const session = await stores.sessions.getSession(address);
    if (!session || !session.hasCurrentState(now)) await this.#startSession(to, address, now);
    const message = await signalEncrypt(own(plaintext), address, this.#localAddress(), stores.sessions, stores.identity, now);
    return pack({ type: message.type(), body: message.serialize() } satisfies WireMessage);
  }

  // --- sealed sender (the library's sealed_sender v1) ----------------------------------

  /** This device's sender certificate, as the provider issues it. */
  #senderCertificate(): SenderCertificate {
    const { serverCertificate, serverKey } = CERTIFICATE_AUTHORITY;
    const identity = this.#requireStores().identity;
    return SenderCertificate.new(this.context.user, null, this.#deviceId, identity.identity.publicKey, CERTIFICATE_EXPIRATION, serverCertificate, serverKey);
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
    const stores = this.#requireStores();
    const address = await this.#protocolAddress(to);
    const now = new Date(this.context.now());
    const session = await stores.sessions.getSession(address);
    if (!session || !session.hasCurrentState(now)) await this.#startSession(to, address, now);
    const message = await signalEncrypt(own(plaintext), address, this.#localAddress(), stores.sessions, stores.identity, now);
    const content = UnidentifiedSenderMessageContent.new(message, this.#senderCertificate(), 0, null);
    return sealedSenderEncrypt(content, address, stores.identity);
  }

  /**
   * A delivery receipt, sealed to the sender. As in `signal`, it travels outside the session
   * (so it moves no ratchet): the library's one sealed content that needs no session is a
   * plaintext content, a decryption-error message naming the message it answers, which
   * carries the receipt here. Signal's app sends receipts through the session.
   */
  async #sealedReceipt(answered: Envelope): Promise<Uint8Array> {
    const stores = this.#requireStores();
    const address = await this.#protocolAddress(answered.from);
    const wire = decodeWireMessage(answered.body);
    const receipt = DecryptionErrorMessage.forOriginal(own(wire.body), wire.type, this.context.now(), address.deviceId());
    const content = UnidentifiedSenderMessageContent.new(PlaintextContent.from(receipt).asCiphertextMessage(), this.#senderCertificate(), 0, null);
    return sealedSenderEncrypt(content, address, stores.identity);
  }

  /**
   * A sealed envelope: the library opens the sealed layer (`sealedSenderDecryptToUsmc`), the
   * certificate must be the provider's and name a device on its user's signed list, and the
   * session's message inside goes the usual way, from that device.
   */
  async #unseal(envelope: Envelope): Promise<Envelope> {
    const stores = this.#requireStores();
    const content = await sealedSenderDecryptToUsmc(own(envelope.body), stores.identity);
    const certificate = content.senderCertificate();
    if (!certificate.validate(CERTIFICATE_AUTHORITY.trustRoot, this.context.now())) throw new LibsignalError('invalid-message', 'a sender certificate the provider did not issue');
    const user = certificate.senderUuid();
    const device = [...(await this.#deviceIds(user))].find(([, id]) => id === certificate.senderDeviceId())?.[0];
    if (!device) throw new LibsignalError('unknown-device', `a sealed message from device ${certificate.senderDeviceId()} of ${user}, not on ${user}'s signed device list`);
    const pinned = stores.identity.identities.get(user);
    if (pinned && !equalBytes(pinned, certificate.key().serialize())) throw new LibsignalError('untrusted-identity', `a sender certificate for ${device} under an identity that is not ${user}'s`);
    return { from: device, to: envelope.to, body: pack({ type: content.msgType(), body: content.contents() } satisfies WireMessage) };
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
    const address = await this.#protocolAddress(envelope.from);
    if (wire.type === CiphertextMessageType.PreKey) {
      const message = PreKeySignalMessage.deserialize(own(wire.body));
      const oneTime = message.preKeyId();
      const unused = oneTime !== null && stores.prekeys.records.has(oneTime);
      const plaintext = await signalDecryptPreKey(message, address, this.#localAddress(), stores.sessions, stores.identity, stores.prekeys, stores.signedPrekeys, stores.kyberPrekeys);
      // The library deleted the one-time prekey it used (PQXDH §3.4): refill if the provider runs low.
      if (unused && !stores.prekeys.records.has(oneTime)) await this.#refillIfLow();
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
    const address = await this.#protocolAddress(envelope.from);
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
    if (matched && agrees && identity) this.#verifiedIdentities.set(peer, identity.serialize());
  }

  // --- device image -------------------------------------------------------------------

  protected exportKeys(): unknown {
    return {
      stores: this.#requireStores().export(),
      deviceId: this.#deviceId,
      nextPrekeyId: this.#nextPrekeyId,
      verifiedIdentities: [...this.#verifiedIdentities],
      deviceList: this.#deviceList,
      upkeep: this.#upkeep,
    } satisfies Keys;
  }

  protected importKeys(state: unknown): void {
    const keys = state as Keys;
    this.#stores = DeviceStores.import(keys.stores, this.context.user);
    this.#deviceId = keys.deviceId;
    this.#nextPrekeyId = keys.nextPrekeyId;
    for (const [user, identity] of keys.verifiedIdentities) this.#verifiedIdentities.set(user, identity);
    this.#deviceList = keys.deviceList;
    this.#upkeep = keys.upkeep;
  }

  // --- internals ----------------------------------------------------------------------

  /** PQXDH with a fresh bundle from the provider: the library checks the prekey signatures and the identity. */
  async #startSession(to: DeviceAddress, address: ProtocolAddress, now: Date): Promise<void> {
    const stores = this.#requireStores();
    const response = await this.context.provider.fetchBundle(to);
    const bundle = unpack<Bundle>(response.bundle, 'prekey bundle');
    const identityKey = PublicKey.deserialize(own(bundle.identityKey));
    const expected = this.#identityOf(splitAddress(to).user);
    if (!expected || !expected.equals(identityKey)) {
      throw new LibsignalError('untrusted-identity', `${to}'s bundle is not under ${splitAddress(to).user}'s identity`);
    }
    const oneTime = response.oneTimeKeys['prekey'] ? unpack<OneTimePrekey>(response.oneTimeKeys['prekey'], 'one-time prekey') : null;
    const oneTimeKyber = response.oneTimeKeys['kyber'] ? unpack<OneTimeKyberPrekey>(response.oneTimeKeys['kyber'], 'one-time kyber prekey') : null;
    const kyber = oneTimeKyber ?? bundle.kyberPrekey;
    const prekeyBundle = PreKeyBundle.new(
      bundle.registrationId,
      address.deviceId(),
      oneTime?.id ?? null,
      oneTime ? PublicKey.deserialize(own(oneTime.publicKey)) : null,
      bundle.signedPrekey.id,
      PublicKey.deserialize(own(bundle.signedPrekey.publicKey)),
      own(bundle.signedPrekey.signature),
      identityKey,
      kyber.id,
      KEMPublicKey.deserialize(own(kyber.publicKey)),
      own(kyber.signature),
    );
    await processPreKeyBundle(prekeyBundle, address, this.#localAddress(), stores.sessions, stores.identity, now);
  }

  async #protocolAddress(device: DeviceAddress): Promise<ProtocolAddress> {
    const { user } = splitAddress(device);
    const id = (await this.#deviceIds(user)).get(device);
    if (id === undefined) throw new LibsignalError('unknown-device', `${device} is not on ${user}'s signed device list`);
    return ProtocolAddress.new(user, id);
  }

  #localAddress(): ProtocolAddress {
    return ProtocolAddress.new(this.context.user, this.#deviceId);
  }

  /** Pin a user's identity on first contact; a changed identity of a verified user breaks the verification. */
  #trustIdentity(user: string, identity: PublicKey): void {
    const stores = this.#requireStores();
    if (user === this.context.user) {
      if (!identity.equals(stores.identity.identity.publicKey)) {
        throw new LibsignalError('untrusted-identity', `the provider lists a device list for ${user} under another identity`);
      }
      return;
    }
    const pinned = stores.identity.pinned(user);
    if (pinned && pinned.equals(identity)) return;
    const verified = this.#verifiedIdentities.get(user);
    if (verified && !equalBytes(verified, identity.serialize())) this.verification.set(user, false);
    // Signal's safety number change notice (targets/signal).
    if (pinned) this.context.alert('identity-changed', user);
    stores.identity.pin(user, identity);
    if (pinned) stores.sessions.dropUser(user);
  }

  #identityOf(user: string): PublicKey | null {
    const stores = this.#requireStores();
    return user === this.context.user ? stores.identity.identity.publicKey : stores.identity.pinned(user);
  }

  /** A Kyber prekey whose ML-KEM-1024 key pair comes from the seeded rng (the library's own key generation takes none). */
  #kyberPrekey(id: number, now: number, rng: Rng): KyberPreKeyRecord {
    const { publicKey, secretKey } = mlKem1024Keygen(rng.bytes(64));
    const serializedPublic = concatBytes(KYBER_1024_KEY_TYPE, publicKey);
    const record = kyberPreKeyRecordBytes(id, serializedPublic, concatBytes(KYBER_1024_KEY_TYPE, secretKey), this.#sign(serializedPublic), now);
    return KyberPreKeyRecord.deserialize(own(record));
  }

  /** XEdDSA with the identity key, its nonce from the seeded rng. */
  #sign(message: Uint8Array): Uint8Array<ArrayBuffer> {
    return own(cachedXeddsaSign(this.#requireStores().identity.identity.privateKey.serialize(), message, this.context.rng.bytes(64)));
  }

  async #publishDeviceList(): Promise<void> {
    const list = pack(this.#requireDeviceList());
    const signed: SignedDeviceList = { list, signature: this.#sign(concatBytes(DEVICE_LIST_LABEL, list)) };
    await this.context.provider.publishDeviceList(pack(signed));
  }

  #requireStores(): DeviceStores {
    if (!this.#stores) throw new Error(`${this.context.address} has no keys yet`);
    return this.#stores;
  }

  #requireDeviceList(): DeviceList {
    if (!this.#deviceList) throw new Error(`${this.context.address} is not the primary device: it keeps no device list`);
    return this.#deviceList;
  }
}

/** Opens a signed list and checks its self-signature with the library; the caller decides whether to trust the identity in it. */
function openDeviceList(signed: Uint8Array, user: string): DeviceList {
  const { list, signature } = unpack<SignedDeviceList>(signed, 'signed device list');
  const decoded = unpack<DeviceList>(list, 'device list');
  if (decoded?.user !== user || !Array.isArray(decoded.devices) || !(decoded.identity instanceof Uint8Array)) {
    throw new LibsignalError('bad-signature', `device list is not ${user}'s`);
  }
  const identity = PublicKey.deserialize(own(decoded.identity));
  if (!(signature instanceof Uint8Array) || !identity.verify(own(concatBytes(DEVICE_LIST_LABEL, list)), own(signature))) {
    throw new LibsignalError('bad-signature', `${user}'s device list signature does not verify`);
  }
  return decoded;
}

function decodeWireMessage(body: Uint8Array): WireMessage {
  const wire = unpack<WireMessage>(body, 'libsignal message');
  if (typeof wire?.type !== 'number' || !(wire.body instanceof Uint8Array)) {
    throw new LibsignalError('invalid-message', 'malformed libsignal message');
  }
  return wire;
}

// --- key material the library lets us supply ---------------------------------------------

/**
 * libsignal's type byte for a Kyber-1024 key. An ML-KEM-1024 key pair (FIPS 203) has the same
 * layout (t‖ρ; s‖ek‖H(ek)‖z) and is a valid Kyber-1024 key pair: the two differ only in how
 * key generation derives s from its seed and in encapsulation, which the library does itself.
 */
const KYBER_1024_KEY_TYPE = new Uint8Array([0x08]);

/** A KyberPreKeyRecord as the library serializes it (protobuf SignedPreKeyRecordStructure). */
function kyberPreKeyRecordBytes(id: number, publicKey: Uint8Array, secretKey: Uint8Array, signature: Uint8Array, timestamp: number): Uint8Array {
  const field = (tag: number, bytes: Uint8Array) => concatBytes(new Uint8Array([tag]), varint(bytes.length), bytes);
  const time = new Uint8Array(8);
  new DataView(time.buffer).setBigUint64(0, BigInt(timestamp), true);
  return concatBytes(new Uint8Array([0x08]), varint(id), field(0x12, publicKey), field(0x1a, secretKey), field(0x22, signature), new Uint8Array([0x29]), time);
}

function varint(value: number): Uint8Array {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return new Uint8Array(out);
}

const ED25519_ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;

/**
 * XEdDSA (Signal's specification, as libsignal's `calculate_signature`): sign with an X25519
 * private key; `random` is the 64-byte nonce input Z. libsignal's own `PrivateKey.sign` draws Z
 * from the operating system; here it comes from the seeded rng, and the library verifies.
 */
/** ML-KEM-1024 and XEdDSA as the prekeys use them, remembered across the runs of an audit (see key-cache.ts). */
const mlKem1024Keygen = cachedKeys('ml-kem-1024', copyKeyPair, (seed) => ml_kem1024.keygen(seed));
const cachedXeddsaSign = cachedKeys('xeddsa', copyBytes, (privateKey, message, random) => xeddsaSign(privateKey, message, random));

export function xeddsaSign(privateKey: Uint8Array, message: Uint8Array, random: Uint8Array): Uint8Array {
  const a = littleEndian(privateKey) % ED25519_ORDER;
  const publicKey = ed25519.Point.BASE.multiply(a).toBytes();
  const signBit = publicKey[31]! & 0x80;
  const prefix = new Uint8Array(32).fill(0xff);
  prefix[0] = 0xfe;
  const r = littleEndian(sha512(concatBytes(prefix, privateKey, message, random))) % ED25519_ORDER;
  const R = ed25519.Point.BASE.multiply(r).toBytes();
  const h = littleEndian(sha512(concatBytes(R, publicKey, message))) % ED25519_ORDER;
  const s = (h * a + r) % ED25519_ORDER;
  const signature = concatBytes(R, toLittleEndian32(s));
  signature[63] = (signature[63]! & 0x7f) | signBit;
  return signature;
}

function littleEndian(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

function toLittleEndian32(value: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = value;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

// --- the design ----------------------------------------------------------------------------

/**
 * As `signal`, for one-to-one conversations (SPEC §3): the library has no groups, so group
 * messages go as pairwise copies to the provider's roster, which a hostile provider can pad
 * with a member of its own. `quantum` stays claimed: its runs are `inconclusive` (no
 * `reconstructDevice`), which says the claim went untested rather than dropping it.
 */
export const LIBSIGNAL_CLAIMS: readonly Claim[] = [...SIGNAL_CLAIMS, SENDER_ANONYMITY_CLAIM].map((claim) => ({ ...claim, conversations: 'one-to-one' }));

export const libsignal: Design = {
  name: 'libsignal',
  description: 'the real @signalapp/libsignal-client (PQXDH, Double Ratchet) driven through the harness; signed device lists, safety numbers',
  claims: LIBSIGNAL_CLAIMS,
  // The library keeps its sending chains to itself: what the seized device sends cannot be tried.
  cannotOpenSent: true,
  createClient: (context: ClientContext) => new LibsignalClient(context),
  restoreClient: (context: ClientContext, image: Uint8Array) => new LibsignalClient(context).restore(image),
};
