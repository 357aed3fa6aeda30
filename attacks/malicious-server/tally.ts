/**
 * What the malicious server tried and what it left before the users: how often each strategy
 * was applied (and failed), for the run's notes, and its footprints and forgeries, for
 * detection (`Attack.attribution`). Every strategy module counts through one `Tally`.
 */
import type { Attribution, Footprint } from '../types.ts';

/** Every strategy it has, in the order the run's notes name them (the Matrix-only ones in matrix-homeserver.ts). */
export const STRATEGIES = [
  'key-substitution',
  're-registration',
  'ghost-device',
  'ghost-member',
  'withhold-prekeys',
  'replay',
  'reorder',
  'forge',
  'rewrite-sender',
  'spoof-to-device',
  'forged-room-key',
] as const;
export type Strategy = (typeof STRATEGIES)[number];

export class Tally {
  /** How often each strategy was applied, and how often that failed. */
  readonly #applied = new Map<Strategy, { times: number; failed: number }>();
  /** Why each failed application failed, in order: the first makes the run inconclusive. */
  readonly failures: string[] = [];
  /** What each strategy put before the users, and what each forgery took (detection tells the strategies' alerts apart). */
  readonly #footprints = new Map<string, Footprint>();
  readonly #forgeries = new Map<string, readonly Strategy[]>();

  /** Runs one application of a strategy (counted, unless the caller counted it already); a failure is recorded, not thrown. */
  async attempt<T>(strategy: Strategy, step: () => Promise<T>, counted = false): Promise<T | null> {
    if (!counted) this.count(strategy);
    try {
      return await step();
    } catch (error) {
      // A failure is an application of the strategy, counted or not before it failed.
      if (!this.#applied.has(strategy)) this.count(strategy);
      this.#applied.get(strategy)!.failed++;
      this.failures.push(`${strategy}: ${error instanceof Error ? error.message : String(error)}`);
      return null;
    }
  }

  count(strategy: Strategy, times = 1): void {
    if (times === 0) return;
    const tally = this.#applied.get(strategy) ?? { times: 0, failed: 0 };
    tally.times += times;
    this.#applied.set(strategy, tally);
  }

  /** `via` put `about` (a device, a user, a group) before the users: before `shownTo` alone, when given (a user). */
  footprint(about: string, via: Strategy, shownTo?: string): void {
    this.#footprints.set(`${about} ${via} ${shownTo ?? ''}`, { about, via, ...(shownTo !== undefined && { shownTo }) });
  }

  /** The forged message `id` is the work of `strategies`. */
  forged(id: string, strategies: readonly Strategy[]): void {
    this.#forgeries.set(id, strategies);
  }

  get attribution(): Attribution {
    return { footprints: [...this.#footprints.values()], forgeries: this.#forgeries };
  }

  /**
   * What it tried, for the run's notes: each strategy with how often it was applied (and
   * failed), then those it never applied. What each obtained is on the messages (`via`) and
   * the forgeries (ids: `forged-N` by a shadow, `-ghost` by a ghost device, `-rewritten` by
   * sender rewriting, `-to-device` and `-room-key` by the Matrix strategies).
   */
  get notes(): string[] {
    const applied = STRATEGIES.filter((name) => this.#applied.has(name)).map((name) => {
      const { times, failed } = this.#applied.get(name)!;
      return `${name} ${times}${failed > 0 ? ` (${failed} failed)` : ''}`;
    });
    const never = STRATEGIES.filter((name) => !this.#applied.has(name));
    return [`malicious-server applied: ${applied.length > 0 ? applied.join(', ') : 'nothing'}${never.length > 0 ? `; never applied: ${never.join(', ')}` : ''}`];
  }
}
