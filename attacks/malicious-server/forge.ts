/**
 * After each step since the strike, once per (sending device, receiving user) pair seen
 * talking, the provider delivers messages in that device's name:
 *
 * - `forge`: sealed by the sender's shadow (taken as the sender's only by a client served
 *   that shadow, key-substitution), and by the user's ghost device, if it has one.
 * - `rewrite-sender`: from a device of its own (its ghost member's phone, a client of the
 *   design registered as a user of its own) with the envelope's sender rewritten to the other
 *   user's device, as if that user had sent it. Whether the recipient takes it as from that
 *   user is what `authentication` records: a design that binds messages to the sender's
 *   identity refuses it. A sealed envelope names no sender, so there is nothing to rewrite.
 * - `spoof-to-device`, `forged-room-key`: on Matrix only (attacks/matrix-homeserver.ts).
 */
import type { Addressee, DeviceAddress } from '../../harness/scenario/types.ts';
import { homeserverForgeries, type HomeserverTools } from '../matrix-homeserver.ts';
import type { ServerContext } from './context.ts';
import type { Ghosts } from './ghosts.ts';
import type { KeySubstitution } from './key-substitution.ts';
import { userOf } from './shadows.ts';

const FORGED_TEXT = 'forged by the provider: call me on this new number';

export class Forgery {
  /** The `from user` pairs (of `context.talking`) already forged. */
  readonly #forged = new Set<string>();
  #forgeries = 0;

  constructor(
    private readonly context: ServerContext,
    private readonly keySubstitution: KeySubstitution,
    private readonly ghosts: Ghosts,
  ) {}

  /** Once per (sending device, receiving user) seen since the strike: a message in that device's name. */
  async forge(): Promise<void> {
    const { shadows, tally, talking } = this.context;
    for (const pair of talking) {
      if (this.#forged.has(pair)) continue;
      this.#forged.add(pair);
      const [from, user] = pair.split(' ') as [DeviceAddress, string];
      const id = `forged-${++this.#forgeries}`;
      const message = { id, to: { kind: 'user', user } as Addressee, body: new TextEncoder().encode(`${FORGED_TEXT} (${id})`) };
      await tally.attempt('forge', async () => {
        await this.keySubstitution.shadowUser(userOf(from));
        const shadow = this.keySubstitution.shadowDevice(from);
        if (!shadow) return;
        // Sealed by the sender's shadow: taken as the sender's only by a client served that shadow.
        tally.forged(id, ['forge', 'key-substitution']);
        await shadows.inject(from, user, await shadows.send(shadow, message));
        tally.footprint(userOf(from), 'forge', user);
      });
      const ghost = this.ghosts.deviceOf(userOf(from));
      if (ghost) {
        tally.forged(`${id}-ghost`, ['forge', 'ghost-device']);
        await tally.attempt('forge', async () => shadows.inject(ghost.address, user, await shadows.send(ghost, { ...message, id: `${id}-ghost` })));
      }
      await tally.attempt(
        'rewrite-sender',
        async () => {
          const own = await this.ghosts.member();
          // A sealed envelope has no sender field to rewrite: only what names one counts as applied.
          const rewritable = (await shadows.send(own, { ...message, id: `${id}-rewritten` })).filter((e) => !e.sealed);
          if (rewritable.length > 0) {
            tally.count('rewrite-sender');
            tally.forged(`${id}-rewritten`, ['rewrite-sender']);
          }
          await shadows.inject(from, user, rewritable);
          if (rewritable.length > 0) {
            tally.footprint(userOf(own.address), 'rewrite-sender', user);
            tally.footprint(userOf(from), 'rewrite-sender', user);
          }
        },
        true,
      );
      await homeserverForgeries(this.#homeserverTools, from, user, message);
    }
  }

  /** What the Matrix-only strategies (matrix-homeserver.ts) use of this server. */
  get #homeserverTools(): HomeserverTools {
    const { shadows, tally } = this.context;
    return {
      ghostMember: () => this.ghosts.member(),
      inject: (from, user, envelopes) => shadows.inject(from, user, envelopes),
      attempt: (strategy, step) => tally.attempt(strategy, step),
      footprint: (about, via, shownTo) => tally.footprint(about, via, shownTo),
      forged: (id, via) => tally.forged(id, [via]),
    };
  }
}
