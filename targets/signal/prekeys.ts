/**
 * A device's prekeys and their upkeep, as PQXDH §3.2 asks of Bob: a signed curve prekey and
 * a signed last-resort ML-KEM prekey, replaced at an interval, the private half of a replaced
 * one kept for a while for session starts still in flight and then deleted "for forward
 * secrecy"; one-time prekeys of both kinds, each deleted once used (§3.4) and uploaded anew
 * when the provider's stock runs low. The periods are those of Signal's Android app
 * (PreKeysSyncJob, PreKeyUtil), measured on the run's clock (scenario `wait` steps).
 *
 * What a seized image holds follows from this: the current and still-retained signed and
 * last-resort keys and every unused one-time key, so a session started on them (and only
 * those) can be derived again from the recording (`openSessionStart`).
 */
import type { CryptoBackend } from '../../harness/crypto/backend.ts';
import type { Rng } from '../../harness/rng.ts';
import { generateDh, generateKem, type DhKeyPair, type KemKeyPair } from './primitives.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export const PREKEY_UPKEEP = {
  /** One-time prekeys of each kind made at a time (at registration and each refill). */
  oneTimeBatch: 20,
  /** Refill a kind when the provider has fewer than this many left (Signal: ONE_TIME_PREKEY_MINIMUM). */
  oneTimeMinimum: 10,
  /** A new signed prekey and last-resort ML-KEM prekey this often (Signal: REFRESH_INTERVAL, 2 days). */
  rotationMs: 2 * DAY_MS,
  /** A replaced one's private half is kept this long, then deleted (Signal: ARCHIVE_AGE, 30 days). */
  retiredGraceMs: 30 * DAY_MS,
} as const;

/** The pools a device's one-time prekeys go to at the provider. */
export const POOLS = { prekey: 'prekey', kyber: 'kyber' } as const;

export interface KyberEntry {
  pair: KemKeyPair;
  oneTime: boolean;
}

/** When the medium-term keys were made and replaced, on the run's clock. */
export interface PrekeyUpkeepState {
  signedPrekeyMadeAt: number;
  lastResortId: number;
  lastResortMadeAt: number;
  /** Replaced signed prekeys still kept: id -> the key pair and when it was replaced. */
  retiredSignedPrekeys: [number, { pair: DhKeyPair; retiredAt: number }][];
  /** Replaced last-resort ML-KEM prekeys still kept (their pairs stay among the Kyber prekeys): id -> when replaced. */
  retiredLastResort: [number, number][];
}

/** The prekeys as a device image holds them. */
export interface PrekeyState {
  signedPrekey: { id: number; pair: DhKeyPair };
  oneTimePrekeys: [number, DhKeyPair][];
  kyberPrekeys: [number, KyberEntry][];
  nextPrekeyId: number;
  /** Absent in a device rebuilt from published keys (it keeps no upkeep). */
  upkeep?: PrekeyUpkeepState;
}

/** New one-time public keys to publish, per kind. */
export interface OneTimeBatch {
  prekeys: { id: number; publicKey: Uint8Array }[];
  kyber: { id: number; publicKey: Uint8Array }[];
}

export class Prekeys {
  #signed: { id: number; pair: DhKeyPair } | null = null;
  #signedMadeAt = 0;
  readonly #retiredSigned = new Map<number, { pair: DhKeyPair; retiredAt: number }>();
  readonly #oneTime = new Map<number, DhKeyPair>();
  readonly #kyber = new Map<number, KyberEntry>();
  #lastResortId = 0;
  #lastResortMadeAt = 0;
  readonly #retiredLastResort = new Map<number, number>();
  #nextId = 1;

  constructor(
    private readonly crypto: CryptoBackend,
    private readonly rng: Rng,
  ) {}

  /** At registration: a signed prekey, a last-resort ML-KEM prekey and a first batch of one-time ones. */
  create(now: number): OneTimeBatch {
    this.#newSigned(now);
    this.#newLastResort(now);
    return this.#batch({ prekeys: true, kyber: true });
  }

  get signedPrekey(): { id: number; pair: DhKeyPair } {
    if (!this.#signed) throw new Error('no signed prekey yet');
    return this.#signed;
  }

  get lastResort(): { id: number; publicKey: Uint8Array } {
    const entry = this.#kyber.get(this.#lastResortId);
    if (!entry) throw new Error('no last-resort ML-KEM prekey yet');
    return { id: this.#lastResortId, publicKey: entry.pair.publicKey };
  }

  /** The signed prekey a session start names: the current one or a replaced one still kept. */
  signed(id: number): DhKeyPair | null {
    if (this.#signed?.id === id) return this.#signed.pair;
    return this.#retiredSigned.get(id)?.pair ?? null;
  }

  /** A one-time prekey, or undefined once it was used (or never existed). */
  oneTime(id: number): DhKeyPair | undefined {
    return this.#oneTime.get(id);
  }

  kyber(id: number): KyberEntry | undefined {
    return this.#kyber.get(id);
  }

  /** PQXDH §3.4: a session start succeeded: its one-time prekeys are deleted; last-resort keys stay. */
  consume(oneTimeId: number | null, kyberId: number): void {
    if (oneTimeId !== null) this.#oneTime.delete(oneTimeId);
    if (this.#kyber.get(kyberId)?.oneTime) this.#kyber.delete(kyberId);
  }

  /**
   * The upkeep due at `now`: replace the signed and last-resort prekeys when they are older
   * than the rotation period, and delete replaced ones kept past the grace period. Returns
   * whether the published bundle changed.
   */
  rotate(now: number): boolean {
    let changed = false;
    if (now - this.#signedMadeAt >= PREKEY_UPKEEP.rotationMs) {
      const old = this.signedPrekey;
      this.#retiredSigned.set(old.id, { pair: old.pair, retiredAt: now });
      this.#newSigned(now);
      changed = true;
    }
    if (now - this.#lastResortMadeAt >= PREKEY_UPKEEP.rotationMs) {
      this.#retiredLastResort.set(this.#lastResortId, now);
      this.#newLastResort(now);
      changed = true;
    }
    for (const [id, { retiredAt }] of this.#retiredSigned) {
      if (now - retiredAt > PREKEY_UPKEEP.retiredGraceMs) this.#retiredSigned.delete(id);
    }
    for (const [id, retiredAt] of this.#retiredLastResort) {
      if (now - retiredAt <= PREKEY_UPKEEP.retiredGraceMs) continue;
      this.#retiredLastResort.delete(id);
      this.#kyber.delete(id);
    }
    return changed;
  }

  /** One-time prekeys for each pool the provider has fewer than the minimum of. */
  refill(counts: Record<string, number>): OneTimeBatch | null {
    const low = (pool: string) => (counts[pool] ?? 0) < PREKEY_UPKEEP.oneTimeMinimum;
    const wanted = { prekeys: low(POOLS.prekey), kyber: low(POOLS.kyber) };
    return wanted.prekeys || wanted.kyber ? this.#batch(wanted) : null;
  }

  export(): PrekeyState {
    return {
      signedPrekey: this.signedPrekey,
      oneTimePrekeys: [...this.#oneTime],
      kyberPrekeys: [...this.#kyber],
      nextPrekeyId: this.#nextId,
      upkeep: {
        signedPrekeyMadeAt: this.#signedMadeAt,
        lastResortId: this.#lastResortId,
        lastResortMadeAt: this.#lastResortMadeAt,
        retiredSignedPrekeys: [...this.#retiredSigned],
        retiredLastResort: [...this.#retiredLastResort],
      },
    };
  }

  import(state: PrekeyState): void {
    this.#signed = state.signedPrekey;
    for (const [id, pair] of state.oneTimePrekeys) this.#oneTime.set(id, pair);
    for (const [id, entry] of state.kyberPrekeys) this.#kyber.set(id, entry);
    this.#nextId = state.nextPrekeyId;
    const upkeep = state.upkeep;
    if (!upkeep) {
      const lastResort = state.kyberPrekeys.filter(([, entry]) => !entry.oneTime).map(([id]) => id);
      this.#lastResortId = lastResort.length > 0 ? Math.max(...lastResort) : 0;
      return;
    }
    this.#signedMadeAt = upkeep.signedPrekeyMadeAt;
    this.#lastResortId = upkeep.lastResortId;
    this.#lastResortMadeAt = upkeep.lastResortMadeAt;
    for (const [id, retired] of upkeep.retiredSignedPrekeys) this.#retiredSigned.set(id, retired);
    for (const [id, retiredAt] of upkeep.retiredLastResort) this.#retiredLastResort.set(id, retiredAt);
  }

  #newSigned(now: number): void {
    this.#signed = { id: this.#nextId++, pair: generateDh(this.crypto, this.rng) };
    this.#signedMadeAt = now;
  }

  #newLastResort(now: number): void {
    const id = this.#nextId++;
    this.#kyber.set(id, { pair: generateKem(this.crypto, this.rng), oneTime: false });
    this.#lastResortId = id;
    this.#lastResortMadeAt = now;
  }

  #batch(wanted: { prekeys: boolean; kyber: boolean }): OneTimeBatch {
    const batch: OneTimeBatch = { prekeys: [], kyber: [] };
    for (let i = 0; i < PREKEY_UPKEEP.oneTimeBatch; i++) {
      if (wanted.prekeys) {
        const id = this.#nextId++;
        const pair = generateDh(this.crypto, this.rng);
        this.#oneTime.set(id, pair);
        batch.prekeys.push({ id, publicKey: pair.publicKey });
      }
      if (wanted.kyber) {
        const id = this.#nextId++;
        const pair = generateKem(this.crypto, this.rng);
        this.#kyber.set(id, { pair, oneTime: true });
        batch.kyber.push({ id, publicKey: pair.publicKey });
      }
    }
    return batch;
  }
}
