/**
 * One call into a machine at a time. Delivery is immediate in a run: a to-device message can
 * arrive while the machine is still inside the call that made a peer answer. It waits, as in
 * a sync response, until the call is over (the machine's own locks would otherwise wait on
 * each other).
 */
import type { Envelope } from '../../harness/provider/api.ts';

export class MachineQueue {
  /** Calls into the machine under way, and to-device messages that arrived meanwhile. */
  #busy = 0;
  readonly #deferred: Envelope[] = [];

  constructor(private readonly receive: (envelope: Envelope) => Promise<unknown>) {}

  get busy(): boolean {
    return this.#busy > 0;
  }

  /** Hold a to-device message until the call under way is over. */
  defer(envelope: Envelope): void {
    this.#deferred.push(envelope);
  }

  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    this.#busy++;
    try {
      return await work();
    } finally {
      this.#busy--;
      if (this.#busy === 0) await this.#drain();
    }
  }

  async #drain(): Promise<void> {
    while (this.#deferred.length > 0 && this.#busy === 0) {
      const envelope = this.#deferred.shift()!;
      this.#busy++;
      try {
        await this.receive(envelope);
      } catch {
        // A to-device message the machine refused: nothing for the timeline.
      } finally {
        this.#busy--;
      }
    }
  }
}
