/**
 * The prekeys of a `libsignal` device and the app's upkeep of them (PQXDH §3.2, as
 * `targets/signal/prekeys.ts`): the signed prekey and last-resort Kyber prekey it publishes in
 * its bundle, replaced on the run's clock and deleted after a grace period, and the one-time
 * prekeys (X25519 and Kyber) it tops up when the provider runs low. The records live in the
 * library's stores; this keeps which are current and what to publish.
 */
import { PreKeyRecord, PrivateKey, SignedPreKeyRecord, type KyberPreKeyRecord } from '@signalapp/libsignal-client';
import type { KeyUpload } from '../../harness/provider/api.ts';
import { pack } from '../shared/codec.ts';
import { POOLS, PREKEY_UPKEEP } from '../signal/prekeys.ts';
import type { ClientContext } from '../types.ts';
import { seededKyberPrekey } from './seeded-keys.ts';
import { own, type DeviceStores } from './stores.ts';
import type { Bundle, OneTimeKyberPrekey, OneTimePrekey } from './wire-formats.ts';

/**
 * Which signed and last-resort Kyber prekeys are current and when they were made, and when
 * replaced ones were replaced (they stay in the library's stores until the grace period ends).
 */
export interface PrekeyUpkeep {
  signedId: number;
  signedMadeAt: number;
  lastResortId: number;
  lastResortMadeAt: number;
  retiredSigned: [number, number][];
  retiredLastResort: [number, number][];
}

type OneTimeBatch = Record<string, Uint8Array[]>;

export class LibsignalPrekeys {
  /** The next prekey id: signed, Kyber and one-time prekeys share one sequence. */
  nextId = 1;
  upkeep: PrekeyUpkeep = { signedId: 0, signedMadeAt: 0, lastResortId: 0, lastResortMadeAt: 0, retiredSigned: [], retiredLastResort: [] };
  readonly #context: ClientContext;
  readonly #stores: () => DeviceStores;
  /** XEdDSA with the device's identity key (the prekey signatures). */
  readonly #sign: (message: Uint8Array) => Uint8Array<ArrayBuffer>;

  constructor(context: ClientContext, stores: () => DeviceStores, sign: (message: Uint8Array) => Uint8Array<ArrayBuffer>) {
    this.#context = context;
    this.#stores = stores;
    this.#sign = sign;
  }

  /** A new device's prekeys, all current from now, and the upload that publishes them. */
  async create(): Promise<KeyUpload> {
    const now = this.#context.now();
    await this.#newSignedPrekey(now);
    await this.#newLastResort(now);
    return this.#upload(await this.#oneTimeBatch({ prekeys: true, kyber: true }));
  }

  /**
   * PQXDH §3.2 on the run's clock, as `targets/signal` (and Signal's apps) do it: a new signed
   * prekey and last-resort Kyber prekey when theirs are due, replaced ones deleted from the
   * stores after the grace period, one-time prekeys refilled when the provider runs low.
   */
  async maintain(): Promise<void> {
    const stores = this.#stores();
    const now = this.#context.now();
    let rotated = false;
    if (now - this.upkeep.signedMadeAt >= PREKEY_UPKEEP.rotationMs) {
      const retired: [number, number] = [this.upkeep.signedId, now];
      await this.#newSignedPrekey(now);
      this.upkeep.retiredSigned = [...this.upkeep.retiredSigned, retired];
      rotated = true;
    }
    if (now - this.upkeep.lastResortMadeAt >= PREKEY_UPKEEP.rotationMs) {
      const retired: [number, number] = [this.upkeep.lastResortId, now];
      await this.#newLastResort(now);
      this.upkeep.retiredLastResort = [...this.upkeep.retiredLastResort, retired];
      rotated = true;
    }
    const expired = ([, retiredAt]: [number, number]) => now - retiredAt > PREKEY_UPKEEP.retiredGraceMs;
    for (const [id] of this.upkeep.retiredSigned.filter(expired)) stores.signedPrekeys.records.delete(id);
    for (const [id] of this.upkeep.retiredLastResort.filter(expired)) stores.kyberPrekeys.remove(id);
    this.upkeep.retiredSigned = this.upkeep.retiredSigned.filter((r) => !expired(r));
    this.upkeep.retiredLastResort = this.upkeep.retiredLastResort.filter((r) => !expired(r));
    const batch = await this.#refill();
    if (rotated || batch) await this.#context.provider.publishKeys(await this.#upload(batch));
  }

  /** After a session start used up a one-time prekey: refill if the provider is running low. */
  async refillIfLow(): Promise<void> {
    try {
      const batch = await this.#refill();
      if (batch) await this.#context.provider.publishKeys(await this.#upload(batch));
    } catch {
      // Off the provider (a restored copy): the stock is refilled at the next upkeep, if ever.
    }
  }

  /** A new signed prekey, current from `now`. */
  async #newSignedPrekey(now: number): Promise<void> {
    const stores = this.#stores();
    const id = this.nextId++;
    const key = PrivateKey.deserialize(own(this.#context.rng.bytes(32)));
    const publicKey = key.getPublicKey();
    await stores.signedPrekeys.saveSignedPreKey(id, SignedPreKeyRecord.new(id, now, publicKey, key, this.#sign(publicKey.serialize())));
    this.upkeep = { ...this.upkeep, signedId: id, signedMadeAt: now };
  }

  /** A new last-resort Kyber prekey, current from `now`. */
  async #newLastResort(now: number): Promise<void> {
    const stores = this.#stores();
    const record = this.#kyberPrekey(this.nextId++, now);
    await stores.kyberPrekeys.saveKyberPreKey(record.id(), record);
    stores.kyberPrekeys.lastResort.add(record.id());
    this.upkeep = { ...this.upkeep, lastResortId: record.id(), lastResortMadeAt: now };
  }

  #kyberPrekey(id: number, now: number): KyberPreKeyRecord {
    return seededKyberPrekey(id, now, this.#context.rng, this.#sign);
  }

  /** A batch of one-time prekeys of the kinds wanted, stored; their public halves to publish. */
  async #oneTimeBatch(wanted: { prekeys: boolean; kyber: boolean }): Promise<OneTimeBatch> {
    const stores = this.#stores();
    const now = this.#context.now();
    const prekeys: Uint8Array[] = [];
    const kyberPrekeys: Uint8Array[] = [];
    for (let i = 0; i < PREKEY_UPKEEP.oneTimeBatch; i++) {
      if (wanted.prekeys) {
        const id = this.nextId++;
        const key = PrivateKey.deserialize(own(this.#context.rng.bytes(32)));
        await stores.prekeys.savePreKey(id, PreKeyRecord.new(id, key.getPublicKey(), key));
        prekeys.push(pack({ id, publicKey: key.getPublicKey().serialize() } satisfies OneTimePrekey));
      }
      if (wanted.kyber) {
        const kyber = this.#kyberPrekey(this.nextId++, now);
        await stores.kyberPrekeys.saveKyberPreKey(kyber.id(), kyber);
        kyberPrekeys.push(pack({ id: kyber.id(), publicKey: kyber.publicKey().serialize(), signature: kyber.signature() } satisfies OneTimeKyberPrekey));
      }
    }
    const batch: OneTimeBatch = {};
    if (wanted.prekeys) batch[POOLS.prekey] = prekeys;
    if (wanted.kyber) batch[POOLS.kyber] = kyberPrekeys;
    return batch;
  }

  /** New one-time prekeys for each pool the provider has fewer than the minimum of. */
  async #refill(): Promise<OneTimeBatch | null> {
    const counts = await this.#context.provider.countOneTimeKeys();
    const low = (pool: string) => (counts[pool] ?? 0) < PREKEY_UPKEEP.oneTimeMinimum;
    const wanted = { prekeys: low(POOLS.prekey), kyber: low(POOLS.kyber) };
    return wanted.prekeys || wanted.kyber ? this.#oneTimeBatch(wanted) : null;
  }

  /** What to publish: the bundle with the current signed and last-resort prekeys, and new one-time prekeys, if any. */
  async #upload(oneTimeKeys: OneTimeBatch | null): Promise<KeyUpload> {
    const stores = this.#stores();
    const signed = await stores.signedPrekeys.getSignedPreKey(this.upkeep.signedId);
    const lastResort = await stores.kyberPrekeys.getKyberPreKey(this.upkeep.lastResortId);
    const bundle: Bundle = {
      registrationId: stores.identity.registrationId,
      identityKey: stores.identity.identity.publicKey.serialize(),
      signedPrekey: { id: signed.id(), publicKey: signed.publicKey().serialize(), signature: signed.signature() },
      kyberPrekey: { id: lastResort.id(), publicKey: lastResort.publicKey().serialize(), signature: lastResort.signature() },
    };
    return oneTimeKeys ? { bundle: pack(bundle), oneTimeKeys } : { bundle: pack(bundle) };
  }
}
