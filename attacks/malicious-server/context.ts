/**
 * What the malicious server's strategies share: one object, made when the run starts and
 * handed to each strategy module (index.ts composes them). Each module keeps its own state;
 * what more than one of them reads or feeds is here.
 */
import type { Provider } from '../../harness/provider/provider.ts';
import type { Scenario } from '../../harness/scenario/types.ts';
import type { ReRegistration } from '../re-registration.ts';
import type { Shadows } from './shadows.ts';
import type { Tally } from './tally.ts';

export interface ServerContext {
  readonly scenario: Scenario;
  /** The run's provider, whose answers and deliveries the strategies rewrite. */
  readonly real: Provider;
  /** From the strike on (`at`; from the start without one): before it, the provider is honest. */
  hostile: boolean;
  readonly tally: Tally;
  readonly shadows: Shadows;
  /** `from user` pairs (a sending device, a receiving user) seen talking since the strike: forge writes once in each pair's name. */
  readonly talking: Set<string>;
  /** Which conversations it re-registers (fed by the deliveries, read by key substitution). */
  readonly reRegistration: ReRegistration;
}
