/**
 * `malicious-server`: everything `server` holds, and active: from its strike on (`at`, by
 * default the start) it answers clients through the provider's interceptor hooks. Each attack
 * is a named strategy, and a leak says which one worked (`via`). This module is the adversary
 * and its hooks, which hand each request and delivery to the strategies, each in its own file:
 *
 * - key-substitution.ts: `key-substitution` at first contact (shadow users, their rosters,
 *   the relay), and the same for `re-registration` (attacks/re-registration.ts): in a
 *   conversation that began before the strike, as if the parties had registered again. Only
 *   where the ghost device got no copy, and only with no capability beside the provider's: a
 *   client that verified the peer refuses to send after the change, and in a composite that
 *   would cost the other parts messages they get alone (SPEC §4: a composite never recovers
 *   fewer).
 * - ghosts.ts: `ghost-device` and `ghost-member`, a device and a user of its own in the
 *   provider's listings and rosters.
 * - forge.ts: `forge` and `rewrite-sender`; `spoof-to-device` and `forged-room-key` on
 *   Matrix only (attacks/matrix-homeserver.ts).
 * - tampering.ts: `replay`, `reorder` and `withhold-prekeys`.
 *
 * They share one `ServerContext` (context.ts): its shadow and ghost clients (shadows.ts), the
 * tally of what each strategy did (tally.ts) and who was seen talking.
 *
 * A sealed-sender envelope (Signal's sealed sender) names no sender: the provider learns the
 * sender only by opening it with a shadow it was sealed to (key-substitution), and forges in
 * the name of the devices that looked the recipient up in its directory. There is no sender
 * field to rewrite (`rewrite-sender` does not apply), and `reorder` pairs such envelopes by
 * recipient.
 *
 * It never drops a message outright: a drop shows only as `delivered: false`, and would hide
 * what the other strategies show about the messages it drops.
 */
import { z } from 'zod';
import { SEALED_SENDER, type BundleResponse, type DeviceListing, type Envelope, type Roster } from '../../harness/provider/api.ts';
import type { Provider } from '../../harness/provider/provider.ts';
import type { DeviceAddress, Scenario } from '../../harness/scenario/types.ts';
import { allHoldings, serverHoldings } from '../capture.ts';
import { ReRegistration } from '../re-registration.ts';
import { messageOrdinals, providerObservations, senderLinksFrom } from '../traffic-analysis.ts';
import type { Adversary, AdversaryView, Attack, Attribution, Holding, Position, SenderLink } from '../types.ts';
import type { ServerContext } from './context.ts';
import { Forgery } from './forge.ts';
import { Ghosts } from './ghosts.ts';
import { KeySubstitution } from './key-substitution.ts';
import { SHADOW, Shadows, userOf } from './shadows.ts';
import { Tally } from './tally.ts';
import { Tampering } from './tampering.ts';

const params = z.strictObject({
  at: z.string().optional().describe('the mark at which the provider turns hostile (default: the start)'),
});

type Params = z.infer<typeof params>;

/** The strategies, composed on the context they share. */
interface Strategies {
  context: ServerContext;
  keySubstitution: KeySubstitution;
  ghosts: Ghosts;
  forgery: Forgery;
  tampering: Tampering;
}

function composeStrategies(scenario: Scenario, view: AdversaryView, tally: Tally): Strategies {
  const context: ServerContext = {
    scenario,
    real: view.provider,
    hostile: false,
    tally,
    shadows: new Shadows(view),
    talking: new Set(),
    reRegistration: new ReRegistration(),
  };
  const keySubstitution = new KeySubstitution(context);
  const ghosts = new Ghosts(context);
  return { context, keySubstitution, ghosts, forgery: new Forgery(context, keySubstitution, ghosts), tampering: new Tampering(context) };
}

class MaliciousServer implements Attack {
  readonly position: Position;
  inconclusive?: string;
  /** As `server`: the senders the stored envelopes name. */
  senderLinks: SenderLink[] = [];
  readonly #strikeStep: number | null;
  readonly #scenario: Scenario;
  readonly #tally = new Tally();
  /** From `start` on. */
  #strategies: Strategies | null = null;
  /** Whether it re-registers conversations: only with no capability beside the provider's. */
  #reRegistering = false;

  constructor(scenario: Scenario, { at }: Params) {
    this.#scenario = scenario;
    this.#strikeStep = at === undefined ? null : scenario.marks[at]!;
    this.position = { strikeStep: this.#strikeStep, compromisedDevice: null, removedMember: null };
  }

  async start(view: AdversaryView): Promise<void> {
    this.#reRegistering = [...view.capabilities].every((c) => c === 'read-provider' || c === 'control-provider');
    this.#strategies ??= composeStrategies(this.#scenario, view, this.#tally);
    this.#strategies.context.hostile = this.#strikeStep === null;
    view.provider.interceptor = {
      fetchDevices: (requester, listing) => this.#fetchDevices(requester, listing),
      fetchBundle: (requester, response) => this.#fetchBundle(requester, response),
      fetchRoster: (requester, roster) => this.#fetchRoster(requester, roster),
      deliver: (envelope) => this.#deliver(envelope),
    };
  }

  async afterStep(index: number, view: AdversaryView): Promise<void> {
    if (!this.#strategies) await this.start(view);
    const { context, forgery } = this.#strategies!;
    if (index === this.#strikeStep) context.hostile = true;
    else if (context.hostile) {
      if (this.#reRegistering) context.reRegistration.decide();
      await forgery.forge();
    }
  }

  async conclude(view: AdversaryView): Promise<Iterable<Holding>> {
    await this.#strategies?.tampering.release();
    if (this.#tally.failures.length > 0) {
      this.inconclusive = `the malicious server could not carry out every attack on ${view.design.name} (${this.#tally.failures[0]})`;
    }
    // The senders the stored envelopes or their uploads name, then those its shadows found
    // inside the sealed envelopes they opened (key-substitution).
    const observations = providerObservations(view);
    const named = senderLinksFrom(observations, 'named');
    const linked = new Set(named.map((link) => link.upload));
    const ordinals = messageOrdinals(observations);
    const opened = [...(this.#strategies?.keySubstitution.openedSenders ?? [])]
      .filter(([upload]) => !linked.has(upload))
      .map(([upload, sender]): SenderLink => ({ upload, sender, via: 'key-substitution', after: ordinals.get(upload) ?? 1 }));
    this.senderLinks = [...named, ...opened];
    return allHoldings(serverHoldings(view), inStrategyOrder(this.#strategies?.context.shadows.holdings ?? []));
  }

  get attribution(): Attribution {
    return this.#tally.attribution;
  }

  get notes(): string[] {
    return this.#tally.notes;
  }

  get #ready(): Strategies {
    if (!this.#strategies) throw new Error('malicious-server: used before start');
    return this.#strategies;
  }

  get #real(): Provider {
    return this.#ready.context.real;
  }

  /** A real client's request (not the adversary's own, nor the read-only directory). */
  #fromClient(requester: DeviceAddress): boolean {
    return requester !== SHADOW && this.#real.hasDevice(requester) && !this.#ready.context.shadows.isGhost(requester);
  }

  // --- the hooks ------------------------------------------------------------------------

  async #fetchDevices(requester: DeviceAddress, listing: DeviceListing): Promise<DeviceListing> {
    const { context, keySubstitution, ghosts } = this.#ready;
    if (!this.#fromClient(requester) || listing.user === ghosts.memberUser) return listing;
    const substitute = keySubstitution.contact(requester, listing.user);
    if (!context.hostile) return listing;
    // key-substitution: at first contact with another user, that user's shadow.
    const answer = substitute ? await keySubstitution.listing(requester, listing) : listing;
    return ghosts.withGhostDevice(answer);
  }

  async #fetchBundle(requester: DeviceAddress, response: BundleResponse): Promise<BundleResponse> {
    const { keySubstitution, ghosts, tampering } = this.#ready;
    if (!this.#fromClient(requester)) return response;
    if (userOf(response.address) === ghosts.memberUser) return response;
    return (await keySubstitution.bundle(requester, response)) ?? tampering.withholdPrekeys(response);
  }

  async #fetchRoster(requester: DeviceAddress, roster: Roster): Promise<Roster> {
    const { context, keySubstitution, ghosts } = this.#ready;
    if (!this.#fromClient(requester)) return roster;
    const answer = await keySubstitution.roster(requester, roster);
    if (!context.hostile) return answer;
    return ghosts.withGhostMember(answer);
  }

  /**
   * What clients upload (the provider's own envelopes, `inject`ed or released, pass this
   * hook: `Provider.send` with `intercept: false`).
   */
  async #deliver(envelope: Envelope): Promise<Envelope[]> {
    const { context, keySubstitution, ghosts, tampering } = this.#ready;
    if (!context.hostile) return [envelope];
    if (await ghosts.take(envelope)) return [];
    this.#noteTalking(envelope);
    let delivered: Envelope[] = [envelope];
    if (keySubstitution.routes(envelope)) {
      // The envelope the provider just stored: its upload is the message's.
      const upload = this.#real.stored.at(-1)?.upload;
      delivered = (await context.tally.attempt('key-substitution', () => keySubstitution.relay(envelope, upload))) ?? [envelope];
    }
    return tampering.replay(tampering.reorder(delivered));
  }

  /** Who talks to whom since the strike, for forge and re-registration. */
  #noteTalking(envelope: Envelope): void {
    const { context, keySubstitution } = this.#ready;
    const user = userOf(envelope.to);
    if (envelope.from === SEALED_SENDER) {
      // Who sends it the envelope does not say; who looked the recipient up, the directory does.
      for (const device of keySubstitution.lookedUp(user)) {
        if (!this.#real.hasDevice(device)) continue;
        context.talking.add(`${device} ${user}`);
        context.reRegistration.spoke(userOf(device), user);
      }
    } else if (userOf(envelope.from) !== user) {
      context.talking.add(`${envelope.from} ${user}`);
      context.reRegistration.spoke(userOf(envelope.from), user);
    }
  }
}

/**
 * What the shadows and ghosts opened, each strategy's in the order it opened them, the
 * strategies in one fixed order: a message read several ways names them (and its `via`) the
 * same way in every run with the same seed, whichever of its readers got there first (a
 * library may pick among its sessions by the wall clock: matrix-sdk-crypto does).
 */
const STRATEGY_ORDER: readonly string[] = ['key-substitution', 're-registration', 'ghost-device', 'ghost-member'];

function inStrategyOrder(holdings: readonly Holding[]): Holding[] {
  const rank = (holding: Holding) => {
    const index = STRATEGY_ORDER.indexOf(holding.via);
    return index < 0 ? STRATEGY_ORDER.length : index;
  };
  return [...holdings].sort((a, b) => rank(a) - rank(b));
}

export const maliciousServer: Adversary<Params> = {
  name: 'malicious-server',
  description: 'as server, and active: substitutes key bundles, adds devices, withholds one-time prekeys, replays, reorders and forges messages',
  params,
  paramsOptional: true,
  metadata: ['sender', 'recipient', 'timing', 'size'],
  active: true,
  capabilities: ['read-provider', 'control-provider'],
  // A verified client stops sending after a re-registration: the other parts would lose them.
  forgoneInComposite: ['re-registration'],
  prepare: ({ scenario, params: given }) => new MaliciousServer(scenario, given),
};
