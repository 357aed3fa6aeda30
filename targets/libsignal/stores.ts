/**
 * In-memory implementations of the store interfaces `@signalapp/libsignal-client` asks its
 * callers for (identity keys, sessions, one-time prekeys, signed prekeys, Kyber prekeys).
 * Every record is kept as the library serializes it (`serialize()`), so a device image holds
 * the same bytes a real app would keep in its database, and restoring it is `deserialize()`.
 *
 * Identities are pinned per user (the `ProtocolAddress` name), not per device: every device
 * of a user shares its identity key, as in `targets/signal`.
 */
import {
  Direction,
  IdentityChange,
  IdentityKeyPair,
  IdentityKeyStore,
  KyberPreKeyRecord,
  KyberPreKeyStore,
  PreKeyRecord,
  PreKeyStore,
  PrivateKey,
  ProtocolAddress,
  PublicKey,
  SessionRecord,
  SessionStore,
  SignedPreKeyRecord,
  SignedPreKeyStore,
} from '@signalapp/libsignal-client';

/** A copy the native bindings accept (`Uint8Array<ArrayBuffer>`, not a view into a shared buffer). */
export function own(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}

export class MemorySessionStore extends SessionStore {
  readonly records = new Map<string, Uint8Array>();

  async saveSession(name: ProtocolAddress, record: SessionRecord): Promise<void> {
    this.records.set(name.toString(), record.serialize());
  }

  async getSession(name: ProtocolAddress): Promise<SessionRecord | null> {
    const bytes = this.records.get(name.toString());
    return bytes ? SessionRecord.deserialize(own(bytes)) : null;
  }

  async getExistingSessions(addresses: ProtocolAddress[]): Promise<SessionRecord[]> {
    return addresses.map((address) => {
      const bytes = this.records.get(address.toString());
      if (!bytes) throw new Error(`no session with ${address.toString()}`);
      return SessionRecord.deserialize(own(bytes));
    });
  }

  /** Forget every session with a user's devices (its identity changed). */
  dropUser(user: string): void {
    for (const key of [...this.records.keys()]) if (key.slice(0, key.lastIndexOf('.')) === user) this.records.delete(key);
  }
}

/**
 * The device's identity key pair and registration id, and the identities of other users,
 * pinned on first use. `isTrustedIdentity` refuses a key other than the pinned one for that
 * user (and anything but this user's own key for its other devices); the client pins
 * identities from signed device lists before the library ever asks.
 */
export class MemoryIdentityStore extends IdentityKeyStore {
  readonly identities = new Map<string, Uint8Array>();

  constructor(
    readonly identity: IdentityKeyPair,
    readonly registrationId: number,
    readonly user: string,
  ) {
    super();
  }

  async getIdentityKey(): Promise<PrivateKey> {
    return this.identity.privateKey;
  }

  async getLocalRegistrationId(): Promise<number> {
    return this.registrationId;
  }

  async saveIdentity(name: ProtocolAddress, key: PublicKey): Promise<IdentityChange> {
    const user = name.name();
    if (user === this.user) return IdentityChange.NewOrUnchanged;
    const pinned = this.identities.get(user);
    this.identities.set(user, key.serialize());
    return pinned && !PublicKey.deserialize(own(pinned)).equals(key) ? IdentityChange.ReplacedExisting : IdentityChange.NewOrUnchanged;
  }

  async isTrustedIdentity(name: ProtocolAddress, key: PublicKey, _direction: Direction): Promise<boolean> {
    const user = name.name();
    if (user === this.user) return key.equals(this.identity.publicKey);
    const pinned = this.identities.get(user);
    return !pinned || PublicKey.deserialize(own(pinned)).equals(key);
  }

  async getIdentity(name: ProtocolAddress): Promise<PublicKey | null> {
    const user = name.name();
    if (user === this.user) return this.identity.publicKey;
    const pinned = this.identities.get(user);
    return pinned ? PublicKey.deserialize(own(pinned)) : null;
  }

  /** The pinned identity of a user, or null. */
  pinned(user: string): PublicKey | null {
    const bytes = this.identities.get(user);
    return bytes ? PublicKey.deserialize(own(bytes)) : null;
  }

  pin(user: string, key: PublicKey): void {
    this.identities.set(user, key.serialize());
  }
}

export class MemoryPreKeyStore extends PreKeyStore {
  readonly records = new Map<number, Uint8Array>();

  async savePreKey(id: number, record: PreKeyRecord): Promise<void> {
    this.records.set(id, record.serialize());
  }

  async getPreKey(id: number): Promise<PreKeyRecord> {
    const bytes = this.records.get(id);
    if (!bytes) throw new Error(`no one-time prekey ${id}`);
    return PreKeyRecord.deserialize(own(bytes));
  }

  /** Called by the library once a one-time prekey has been used: it is gone for good. */
  async removePreKey(id: number): Promise<void> {
    this.records.delete(id);
  }
}

export class MemorySignedPreKeyStore extends SignedPreKeyStore {
  readonly records = new Map<number, Uint8Array>();

  async saveSignedPreKey(id: number, record: SignedPreKeyRecord): Promise<void> {
    this.records.set(id, record.serialize());
  }

  async getSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
    const bytes = this.records.get(id);
    if (!bytes) throw new Error(`no signed prekey ${id}`);
    return SignedPreKeyRecord.deserialize(own(bytes));
  }
}

/**
 * Kyber prekeys: one-time keys are deleted once the library marks them used; the last-resort
 * key stays (it may be used again, as libsignal allows).
 */
export class MemoryKyberPreKeyStore extends KyberPreKeyStore {
  readonly records = new Map<number, Uint8Array>();
  readonly lastResort = new Set<number>();

  async saveKyberPreKey(id: number, record: KyberPreKeyRecord): Promise<void> {
    this.records.set(id, record.serialize());
  }

  async getKyberPreKey(id: number): Promise<KyberPreKeyRecord> {
    const bytes = this.records.get(id);
    if (!bytes) throw new Error(`no kyber prekey ${id}`);
    return KyberPreKeyRecord.deserialize(own(bytes));
  }

  async markKyberPreKeyUsed(id: number, _signedPreKeyId: number, _baseKey: PublicKey): Promise<void> {
    if (!this.lastResort.has(id)) this.records.delete(id);
  }

  /** The app deletes a replaced last-resort key once its grace period is over. */
  remove(id: number): void {
    this.records.delete(id);
    this.lastResort.delete(id);
  }
}

/** All stores of one device, and their serialized form for the device image. */
export interface StoreImage {
  identity: Uint8Array;
  registrationId: number;
  identities: [string, Uint8Array][];
  sessions: [string, Uint8Array][];
  prekeys: [number, Uint8Array][];
  signedPrekeys: [number, Uint8Array][];
  kyberPrekeys: [number, Uint8Array][];
  lastResortKyber: number[];
}

export class DeviceStores {
  readonly sessions = new MemorySessionStore();
  readonly prekeys = new MemoryPreKeyStore();
  readonly signedPrekeys = new MemorySignedPreKeyStore();
  readonly kyberPrekeys = new MemoryKyberPreKeyStore();
  readonly identity: MemoryIdentityStore;

  constructor(identity: IdentityKeyPair, registrationId: number, user: string) {
    this.identity = new MemoryIdentityStore(identity, registrationId, user);
  }

  export(): StoreImage {
    return {
      identity: this.identity.identity.serialize(),
      registrationId: this.identity.registrationId,
      identities: [...this.identity.identities],
      sessions: [...this.sessions.records],
      prekeys: [...this.prekeys.records],
      signedPrekeys: [...this.signedPrekeys.records],
      kyberPrekeys: [...this.kyberPrekeys.records],
      lastResortKyber: [...this.kyberPrekeys.lastResort],
    };
  }

  static import(image: StoreImage, user: string): DeviceStores {
    const stores = new DeviceStores(IdentityKeyPair.deserialize(own(image.identity)), image.registrationId, user);
    for (const [peer, key] of image.identities) stores.identity.identities.set(peer, key);
    for (const [address, record] of image.sessions) stores.sessions.records.set(address, record);
    for (const [id, record] of image.prekeys) stores.prekeys.records.set(id, record);
    for (const [id, record] of image.signedPrekeys) stores.signedPrekeys.records.set(id, record);
    for (const [id, record] of image.kyberPrekeys) stores.kyberPrekeys.records.set(id, record);
    for (const id of image.lastResortKyber) stores.kyberPrekeys.lastResort.add(id);
    return stores;
  }
}
