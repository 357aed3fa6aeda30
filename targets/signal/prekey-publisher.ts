/**
 * This device's prekeys as the provider publishes them (PQXDH §3.2): the bundle (identity,
 * signed prekey and last-resort ML-KEM prekey, each signed by the identity key) and new
 * one-time prekeys, published at registration, when the upkeep on the run's clock replaces
 * the medium-term keys, and when the provider's stock of one-time ones runs low.
 */
import type { KeyUpload } from '../../harness/provider/api.ts';
import { pack } from '../shared/codec.ts';
import type { ClientContext } from '../types.ts';
import type { Identities } from './identities.ts';
import { prekeySignedBytes, type OneTimeKyberPrekey, type OneTimePrekey, type PrekeyBundle } from './pqxdh.ts';
import { POOLS, type OneTimeBatch, type Prekeys } from './prekeys.ts';
import { LABELS } from './primitives.ts';

export class PrekeyPublisher {
  constructor(
    private readonly context: ClientContext,
    private readonly identities: Identities,
    private readonly prekeys: Prekeys,
  ) {}

  /** At registration: the first prekeys, as the upload to publish. */
  create(): KeyUpload {
    return this.#upload(this.prekeys.create(this.context.now()));
  }

  /**
   * PQXDH §3.2, on the run's clock: a new signed prekey and last-resort ML-KEM prekey when
   * theirs are due, replaced ones deleted after the grace period, and one-time prekeys
   * refilled when the provider runs low.
   */
  async maintain(): Promise<void> {
    await this.#publish(this.prekeys.rotate(this.context.now()));
  }

  /** After a session start used up a one-time prekey: refill them if the provider is running low. */
  async refillIfLow(): Promise<void> {
    try {
      await this.#publish(false);
    } catch {
      // Off the provider (a restored copy): the stock is refilled at the next upkeep, if ever.
    }
  }

  /** Publish the bundle if it changed, with new one-time prekeys for each pool the provider runs low on. */
  async #publish(bundleChanged: boolean): Promise<void> {
    const batch = this.prekeys.refill(await this.context.provider.countOneTimeKeys());
    if (bundleChanged || batch) await this.context.provider.publishKeys(this.#upload(batch));
  }

  /** What to publish: the bundle (current signed and last-resort prekeys, signed) and new one-time prekeys, if any. */
  #upload(batch: OneTimeBatch | null): KeyUpload {
    const signed = this.prekeys.signedPrekey;
    const lastResort = this.prekeys.lastResort;
    const bundle: PrekeyBundle = {
      identity: this.identities.ownPublic,
      signedPrekey: { id: signed.id, publicKey: signed.pair.publicKey, signature: this.#sign(LABELS.signedPrekey, signed.id, signed.pair.publicKey) },
      kyberPrekey: { id: lastResort.id, publicKey: lastResort.publicKey, signature: this.#sign(LABELS.kyberPrekey, lastResort.id, lastResort.publicKey) },
    };
    if (!batch) return { bundle: pack(bundle) };
    return {
      bundle: pack(bundle),
      oneTimeKeys: {
        [POOLS.prekey]: batch.prekeys.map((prekey) => pack(prekey satisfies OneTimePrekey)),
        [POOLS.kyber]: batch.kyber.map(({ id, publicKey }) => pack({ id, publicKey, signature: this.#sign(LABELS.kyberPrekey, id, publicKey) } satisfies OneTimeKyberPrekey)),
      },
    };
  }

  #sign(label: Uint8Array, id: number, publicKey: Uint8Array): Uint8Array {
    return this.context.crypto.ed25519Sign(this.identities.own.signing.seed, prekeySignedBytes(label, id, publicKey));
  }
}
