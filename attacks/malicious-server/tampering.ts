/**
 * The strategies that hand out what is real, but not as an honest provider would:
 *
 * - `replay`: it delivers every envelope twice.
 * - `reorder`: the first envelope of each pair of devices arrives after the next one.
 * - `withhold-prekeys`: it hands out no one-time prekeys (the "Prekey Pogo" attack,
 *   Gegenhuber, Frenzel, Günther and Judmayer 2025, done by the server itself: X3DH §4.7 and
 *   PQXDH §4.9 name it as what a hostile server can do). Sessions then rest on the
 *   recipient's signed prekey alone, and their first messages lose forward secrecy until
 *   that key is replaced and deleted: it gains nothing by itself, but a device seized later
 *   derives them again (`stolen-device`).
 */
import type { BundleResponse, Envelope } from '../../harness/provider/api.ts';
import type { DeviceAddress } from '../../harness/scenario/types.ts';
import type { ServerContext } from './context.ts';

export class Tampering {
  /** reorder: the envelope held back per receiving device, and the pairs already reordered. */
  readonly #heldBack = new Map<DeviceAddress, Envelope>();
  readonly #reordered = new Set<string>();

  constructor(private readonly context: ServerContext) {}

  /** withhold-prekeys: a real device's bundle goes out without its one-time prekeys (taken from the pool all the same). */
  withholdPrekeys(response: BundleResponse): BundleResponse {
    if (!this.context.hostile) return response;
    if (Object.values(response.oneTimeKeys).some((key) => key !== null)) this.context.tally.count('withhold-prekeys');
    return { ...response, oneTimeKeys: Object.fromEntries(Object.keys(response.oneTimeKeys).map((pool) => [pool, null])) };
  }

  /** replay: every envelope twice. */
  replay(envelopes: Envelope[]): Envelope[] {
    this.context.tally.count('replay', envelopes.length);
    return envelopes.flatMap((e) => [e, e]);
  }

  /** reorder, for what is about to be delivered (see `#reorder`). */
  reorder(envelopes: Envelope[]): Envelope[] {
    return envelopes.flatMap((e) => this.#reorder(e));
  }

  /**
   * The first envelope of each (sending device, receiving device) pair since the strike is
   * held back and delivered after the next envelope to that device (or at the end of the
   * run). Held envelopes are stored ones; handing them over again later goes through the
   * provider's upload path, so only for designs without server logic of their own.
   */
  #reorder(envelope: Envelope): Envelope[] {
    const held = this.#heldBack.get(envelope.to);
    if (held) {
      this.#heldBack.delete(envelope.to);
      return [envelope, held];
    }
    const pair = `${envelope.from}>${envelope.to}`;
    if (this.context.real.logic !== null || this.#reordered.has(pair)) return [envelope];
    this.#reordered.add(pair);
    this.context.tally.count('reorder');
    this.#heldBack.set(envelope.to, envelope);
    return [];
  }

  /** At the end of the run, whatever is still held back is delivered (twice, as every envelope), past its own interceptor. */
  async release(): Promise<void> {
    const { real, tally } = this.context;
    const held = [...this.#heldBack.values()];
    this.#heldBack.clear();
    for (const envelope of held) {
      await tally.attempt(
        'reorder',
        async () => {
          if (!real.hasDevice(envelope.to)) return;
          tally.count('replay');
          await real.send(envelope.from, [{ to: envelope.to, body: envelope.body }, { to: envelope.to, body: envelope.body }], { intercept: false });
        },
        true,
      );
    }
  }
}
