/**
 * `malicious-server`: everything `server` holds, and active: from its strike on (`at`, by
 * default the start) it answers clients through the provider's interceptor hooks. Each attack
 * is a named strategy, and a leak says which one worked (`via`):
 *
 * - `key-substitution`: at a client's first contact with another user, it hands out the key
 *   bundles and signed device list of a shadow of that user (same device names, an identity
 *   of its own) and relays as a man in the middle: it opens each envelope with the shadow of
 *   the recipient device and seals it again to the real recipient with the shadow of the
 *   sender, so the conversation looks normal. Comparing safety numbers reveals it.
 * - `re-registration` (attacks/re-registration.ts): the same, in a conversation that began
 *   before the strike, as if the parties had registered again: their clients knew the old
 *   keys, so their apps can show the change. Only where the ghost device got no copy, and
 *   only with no capability beside the provider's: a client that verified the peer refuses
 *   to send after the change, and in a composite that would cost the other parts messages
 *   they get alone (SPEC §4: a composite never recovers fewer).
 * - `ghost-device`: it adds a device of its own to every user's device listing (the
 *   provider's list, not the list the user signs); whatever a client encrypts to it, it reads.
 * - `ghost-member`: likewise a user of its own to every
 *   group roster it serves (the provider's roster, not the one the admin signs).
 * - `replay`: it delivers every envelope twice.
 * - `forge`: it delivers messages in another sender's name: sealed by that sender's shadow
 *   (and by the user's ghost device, if it has one).
 * - `rewrite-sender`: it delivers a message from a device of its own (its ghost member's
 *   phone, a client of the design registered as a user of its own) with the envelope's sender
 *   rewritten to another user's device, as if that user had sent it. Whether the recipient
 *   takes it as from that user is what `authentication` records: a design that binds messages
 *   to the sender's identity refuses it.
 * - `spoof-to-device`, `forged-room-key`: on Matrix only, a room key the server's own device
 *   made, delivered in another user's name or claimed as theirs (matrix-homeserver.ts).
 * - `reorder`: the first envelope of each pair of devices arrives after the next one.
 * - `withhold-prekeys`: it hands out no one-time prekeys (the "Prekey Pogo" attack,
 *   Gegenhuber, Frenzel, Günther and Judmayer 2025, done by the server itself: X3DH §4.7 and
 *   PQXDH §4.9 name it as what a hostile server can do). Sessions then rest on the
 *   recipient's signed prekey alone, and their first messages lose forward secrecy until
 *   that key is replaced and deleted: it gains nothing by itself, but a device seized later
 *   derives them again (`stolen-device`).
 *
 * A sealed-sender envelope (Signal's sealed sender) names no sender: the provider learns the
 * sender only by opening it with a shadow it was sealed to (key-substitution, which then also
 * answers with the shadow's own delivery receipt and keeps the real one), and forges in the
 * name of the devices that looked the recipient up in its directory. There is no sender field
 * to rewrite (`rewrite-sender` does not apply), and `reorder` pairs such envelopes by recipient.
 *
 * It never drops a message outright: a drop shows only as `delivered: false`, and would hide
 * what the other strategies show about the messages it drops.
 *
 * The shadows are generic: clients of the target's own design (`view.design.createClient`),
 * registered, provisioned and driven only through the `Client` interface, on a provider API
 * of the adversary's own (`ShadowApi`): a shadow sees its own user's shadow directory and the
 * real directory for everyone else, and what it sends is captured instead of delivered.
 */
import { z } from 'zod';
import { SEALED_SENDER, type BundleResponse, type DeviceListing, type Envelope, type KeyUpload, type OutgoingEnvelope, type ProviderApi, type Roster } from '../harness/provider/api.ts';
import { Provider, type ProviderInterceptor } from '../harness/provider/provider.ts';
import { WireLog } from '../harness/provider/wire.ts';
import { deviceAddress, splitAddress, type Addressee, type DeviceAddress, type Scenario } from '../harness/scenario/types.ts';
import type { Client, ClientContext, ReceivedMessage } from '../targets/types.ts';
import { allHoldings, serverHoldings } from './capture.ts';
import { homeserverForgeries, type HomeserverTools } from './matrix-homeserver.ts';
import { ReRegistration } from './re-registration.ts';
import { messageOrdinals, providerObservations, senderLinksFrom } from './traffic-analysis.ts';
import type { Adversary, AdversaryView, Attack, Attribution, Holding, Position, SenderLink } from './types.ts';

const params = z.strictObject({
  at: z.string().optional().describe('the mark at which the provider turns hostile (default: the start)'),
});

type Params = z.infer<typeof params>;

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

/** The requester the adversary's own shadows use on the real provider: the interceptor lets it through untouched. */
const SHADOW = 'malicious-server.shadow' as DeviceAddress;

const FORGED_TEXT = 'forged by the provider: call me on this new number';


/** A provider that belongs to the adversary alone: the shadow users' directory. */
function privateProvider(): Provider {
  return new Provider(new WireLog(), null, { deliver: async () => {} });
}

function userOf(address: DeviceAddress): string {
  return splitAddress(address).user;
}

/**
 * A shadow client's connection: its own user's directory is the adversary's (`own`), every
 * other user's the real one, read without the interceptor; what it sends is captured.
 */
class ShadowApi implements ProviderApi {
  readonly outbox: OutgoingEnvelope[] = [];

  constructor(
    private readonly address: DeviceAddress,
    private readonly own: Provider,
    private readonly real: Provider,
    /** For a ghost: what it publishes also goes to the real directory. */
    private readonly mirror?: { keys?: (upload: KeyUpload) => void; list?: (signedList: Uint8Array) => void },
    /** The roster this shadow is shown for a group, given the real one (its own user's groups are the shadow's). */
    private readonly rosterFor: (real: Roster) => Promise<Roster> = async (real) => real,
  ) {}

  get #user(): string {
    return userOf(this.address);
  }

  async publishKeys(upload: KeyUpload): Promise<void> {
    this.own.publishKeys(this.address, upload);
    this.mirror?.keys?.(upload);
  }

  async publishDeviceList(signedList: Uint8Array): Promise<void> {
    this.own.publishDeviceList(this.address, signedList);
    this.mirror?.list?.(signedList);
  }

  fetchDevices(user: string): Promise<DeviceListing> {
    return (user === this.#user ? this.own : this.real).fetchDevices(SHADOW, user);
  }

  fetchBundle(address: DeviceAddress): Promise<BundleResponse> {
    return (userOf(address) === this.#user ? this.own : this.real).fetchBundle(SHADOW, address);
  }

  async send(envelopes: OutgoingEnvelope[]): Promise<void> {
    this.outbox.push(...envelopes);
  }

  async fetchRoster(group: string): Promise<Roster> {
    return this.rosterFor(await this.real.fetchRoster(SHADOW, group));
  }

  async publishRoster(group: string, members: string[], signed: Uint8Array | null): Promise<void> {
    this.own.publishRoster(this.address, group, members, signed);
  }

  async removeDevice(device: string): Promise<void> {
    this.own.removeDevice(this.address, device);
  }

  async countOneTimeKeys(): Promise<Record<string, number>> {
    return this.own.countOneTimeKeys(this.address);
  }
}

interface Shadow {
  client: Client;
  api: ShadowApi;
}

/** A victim user as the adversary impersonates it: the same device names, an identity of its own. */
interface ShadowUser {
  primary: string;
  devices: Map<string, Shadow>;
}

class MaliciousServer implements Attack {
  readonly position: Position;
  inconclusive?: string;
  /** As `server`: the senders the stored envelopes name. */
  senderLinks: SenderLink[] = [];
  readonly #strikeStep: number | null;
  readonly #scenario: Scenario;
  #view: AdversaryView | null = null;
  #hostile = false;
  readonly #holdings: Holding[] = [];
  /** The shadow users' directory (key-substitution) and the ghosts' (ghost-device). */
  readonly #shadowDirectory = privateProvider();
  readonly #ghostDirectory = privateProvider();
  readonly #shadows = new Map<string, ShadowUser>();
  readonly #ghosts = new Map<string, Shadow & { address: DeviceAddress }>();
  readonly #ghostAddresses = new Set<DeviceAddress>();
  /** ghost-member: a user of the provider's own, added to every group roster it serves. */
  #ghostMember: (Shadow & { address: DeviceAddress }) | null = null;
  /** `requester user` pairs that fetched the user's devices while the provider was honest. */
  readonly #contacted = new Set<string>();
  /** `requester user` pairs whose first contact came after the strike, or whose conversation was re-registered: they get the shadow. */
  readonly #substituted = new Set<string>();
  /** re-registration: the conversations it applies to, and the `requester user` pairs it substituted. */
  readonly #reRegistration = new ReRegistration();
  readonly #reRegistered = new Set<string>();
  #reRegistering = false;
  /** `from>to`: the real device `from` talks to the shadow of `to`. */
  readonly #routed = new Set<string>();
  /** Envelopes a shadow sealed for another device of the conversation, until that device's copy passes. */
  /** What a sender's shadow sealed for each recipient device, in upload order (a design may send several, e.g. Matrix's room key share and then the room event). */
  readonly #sealed = new Map<string, OutgoingEnvelope[]>();
  /** `from user` pairs seen talking since the strike, and those already forged. */
  readonly #talking = new Set<string>();
  readonly #forged = new Set<string>();
  #forgeries = 0;
  /** reorder: the envelope held back per receiving device, and the pairs already reordered. */
  readonly #heldBack = new Map<DeviceAddress, Envelope>();
  readonly #reordered = new Set<string>();
  #injecting = false;
  readonly #failures: string[] = [];
  /** How often each strategy was applied, and how often that failed, for the run's notes. */
  readonly #applied = new Map<Strategy, { times: number; failed: number }>();
  /** upload -> the user a shadow found inside a sealed envelope of it (the sender sealing hid from the provider). */
  readonly #openedSenders = new Map<number, string>();
  /** What each strategy put before the users, and what each forgery took (detection tells the strategies' alerts apart). */
  readonly #footprints = new Map<string, { about: string; via: string }>();
  readonly #forgeryStrategies = new Map<string, readonly Strategy[]>();

  constructor(scenario: Scenario, { at }: Params) {
    this.#scenario = scenario;
    this.#strikeStep = at === undefined ? null : scenario.marks[at]!;
    this.position = { strikeStep: this.#strikeStep, compromisedDevice: null, removedMember: null };
  }

  async start(view: AdversaryView): Promise<void> {
    this.#view = view;
    this.#reRegistering = [...view.capabilities].every((c) => c === 'read-provider' || c === 'control-provider');
    this.#hostile = this.#strikeStep === null;
    const interceptor: ProviderInterceptor = {
      fetchDevices: (requester, listing) => this.#fetchDevices(requester, listing),
      fetchBundle: (requester, response) => this.#fetchBundle(requester, response),
      fetchRoster: (requester, roster) => this.#fetchRoster(requester, roster),
      deliver: (envelope) => this.#deliver(envelope),
    };
    view.provider.interceptor = interceptor;
  }

  async afterStep(index: number, view: AdversaryView): Promise<void> {
    if (!this.#view) await this.start(view);
    if (index === this.#strikeStep) this.#hostile = true;
    else if (this.#hostile) {
      if (this.#reRegistering) this.#reRegistration.decide();
      await this.#forge();
    }
  }

  async conclude(view: AdversaryView): Promise<Iterable<Holding>> {
    await this.#release();
    if (this.#failures.length > 0) {
      this.inconclusive = `the malicious server could not carry out every attack on ${view.design.name} (${this.#failures[0]})`;
    }
    // The senders the stored envelopes or their uploads name, then those its shadows found
    // inside the sealed envelopes they opened (key-substitution).
    const observations = providerObservations(view);
    const named = senderLinksFrom(observations, 'named');
    const linked = new Set(named.map((link) => link.upload));
    const ordinals = messageOrdinals(observations);
    const opened = [...this.#openedSenders]
      .filter(([upload]) => !linked.has(upload))
      .map(([upload, sender]): SenderLink => ({ upload, sender, via: 'key-substitution', after: ordinals.get(upload) ?? 1 }));
    this.senderLinks = [...named, ...opened];
    return allHoldings(serverHoldings(view), this.#holdings);
  }

  get attribution(): Attribution {
    return { footprints: [...this.#footprints.values()], forgeries: this.#forgeryStrategies };
  }

  /** `via` put `about` (a device, a user, a group) before the users. */
  #footprint(about: string, via: Strategy): void {
    this.#footprints.set(`${about} ${via}`, { about, via });
  }

  /** The strategy that served `requester` the shadow of `user`: re-registration where it applies, else key-substitution. */
  #substitution(requester: DeviceAddress, user: string): 'key-substitution' | 're-registration' {
    return this.#reRegistered.has(`${requester} ${user}`) ? 're-registration' : 'key-substitution';
  }

  get #real(): Provider {
    return this.#view!.provider;
  }

  /** A real client's request (not the adversary's own, nor the read-only directory). */
  #fromClient(requester: DeviceAddress): boolean {
    return requester !== SHADOW && this.#real.hasDevice(requester) && !this.#ghostAddresses.has(requester);
  }

  // --- the hooks ------------------------------------------------------------------------

  async #fetchDevices(requester: DeviceAddress, listing: DeviceListing): Promise<DeviceListing> {
    if (!this.#fromClient(requester) || listing.user === this.#ghostMemberUser) return listing;
    const substitute = this.#contact(requester, listing.user);
    if (!this.#hostile) return listing;
    let answer = listing;
    // key-substitution: at first contact with another user, that user's shadow.
    if (substitute) {
      const shadow = await this.#attempt('key-substitution', () => this.#shadowUser(listing.user));
      if (shadow) {
        answer = await this.#shadowDirectory.fetchDevices(SHADOW, listing.user);
        this.#footprint(listing.user, this.#substitution(requester, listing.user));
      }
    }
    // ghost-device: one more device in the provider's listing, never in the signed list.
    const ghost = await this.#attempt('ghost-device', () => this.#ghostOf(listing.user));
    if (ghost) {
      this.#footprint(ghost.address, 'ghost-device');
      const name = splitAddress(ghost.address).device;
      answer = { ...answer, devices: [...answer.devices.filter((d) => d !== name), name] };
    }
    return answer;
  }

  async #fetchBundle(requester: DeviceAddress, response: BundleResponse): Promise<BundleResponse> {
    if (!this.#fromClient(requester)) return response;
    const target = response.address;
    const { user, device } = splitAddress(target);
    if (user === this.#ghostMemberUser) return response;
    if (!this.#contact(requester, user) || this.#ghostAddresses.has(target)) return this.#withholdPrekeys(response);
    const shadowUser = await this.#attempt('key-substitution', () => this.#shadowUser(user));
    if (!shadowUser?.devices.has(device)) return this.#withholdPrekeys(response);
    const shadow = await this.#shadowDirectory.fetchBundle(SHADOW, target);
    this.#footprint(user, this.#substitution(requester, user));
    return { ...shadow, address: target };
  }

  /** withhold-prekeys: a real device's bundle goes out without its one-time prekeys (taken from the pool all the same). */
  #withholdPrekeys(response: BundleResponse): BundleResponse {
    if (!this.#hostile) return response;
    if (Object.values(response.oneTimeKeys).some((key) => key !== null)) this.#count('withhold-prekeys');
    return { ...response, oneTimeKeys: Object.fromEntries(Object.keys(response.oneTimeKeys).map((pool) => [pool, null])) };
  }

  /** key-substitution, for groups: whoever got the admin's shadow gets the roster as the shadow admin signs it. */
  async #fetchRoster(requester: DeviceAddress, roster: Roster): Promise<Roster> {
    if (!this.#fromClient(requester)) return roster;
    let answer = roster;
    if (this.#contact(requester, roster.admin)) {
      const shadowed = await this.#attempt('key-substitution', () => this.#shadowRoster(roster));
      if (shadowed) this.#footprint(roster.admin, this.#substitution(requester, roster.admin));
      answer = shadowed ?? roster;
    }
    if (!this.#hostile) return answer;
    // ghost-member: one more member in the provider's roster, never in the admin's signed one.
    const ghost = await this.#attempt('ghost-member', () => this.#ghostMemberOf());
    if (ghost) {
      const user = userOf(ghost.address);
      answer = { ...answer, members: [...answer.members.filter((m) => m !== user), user] };
      this.#footprint(roster.group, 'ghost-member');
      this.#footprint(user, 'ghost-member');
    }
    return answer;
  }

  async #deliver(envelope: Envelope): Promise<Envelope[]> {
    if (this.#injecting || !this.#hostile) return [envelope];
    const ghost = this.#ghosts.get(userOf(envelope.to));
    if (ghost && ghost.address === envelope.to) {
      const received = await this.#open(ghost.client, envelope, 'ghost-device');
      // A sealed envelope names its sender only inside, where the ghost found it.
      const sender = envelope.from === SEALED_SENDER ? received?.from : envelope.from;
      if (sender) this.#reRegistration.reachedGhost(userOf(sender), userOf(envelope.to));
      return [];
    }
    if (this.#ghostMember?.address === envelope.to) {
      await this.#open(this.#ghostMember.client, envelope, 'ghost-member');
      return [];
    }
    const user = userOf(envelope.to);
    if (envelope.from === SEALED_SENDER) {
      // Who sends it the envelope does not say; who looked the recipient up, the directory does.
      for (const pair of this.#contacted) {
        const [device] = pair.split(' ') as [DeviceAddress];
        if (!pair.endsWith(` ${user}`) || !this.#real.hasDevice(device)) continue;
        this.#talking.add(pair);
        this.#reRegistration.spoke(userOf(device), user);
      }
    } else if (userOf(envelope.from) !== user) {
      this.#talking.add(`${envelope.from} ${user}`);
      this.#reRegistration.spoke(userOf(envelope.from), user);
    }
    let delivered: Envelope[] = [envelope];
    // Routed through the shadows: the sender got the recipient user's shadow at first contact
    // (whatever keys of it the design then used), or the recipient answers a relayed message;
    // a sealed envelope, when a shadow of its recipient opens it.
    const sealedToShadow = envelope.from === SEALED_SENDER && this.#shadowDevice(envelope.to) !== undefined;
    if (sealedToShadow || this.#substituted.has(`${envelope.from} ${user}`) || this.#routed.has(`${envelope.from}>${envelope.to}`)) {
      // The envelope the provider just stored: its upload is the message's.
      const upload = this.#real.stored.at(-1)?.upload;
      delivered = (await this.#attempt('key-substitution', () => this.#relay(envelope, upload))) ?? [envelope];
    }
    const ordered = delivered.flatMap((e) => this.#reorder(e));
    this.#count('replay', ordered.length);
    return ordered.flatMap((e) => [e, e]); // replay: every envelope twice
  }

  /**
   * reorder: the first envelope of each (sending device, receiving device) pair since the
   * strike is held back and delivered after the next envelope to that device (or at the end
   * of the run). Held envelopes are stored ones; handing them over again later goes through
   * the provider's upload path, so only for designs without server logic of their own.
   */
  #reorder(envelope: Envelope): Envelope[] {
    const held = this.#heldBack.get(envelope.to);
    if (held) {
      this.#heldBack.delete(envelope.to);
      return [envelope, held];
    }
    const pair = `${envelope.from}>${envelope.to}`;
    if (this.#real.logic !== null || this.#reordered.has(pair)) return [envelope];
    this.#reordered.add(pair);
    this.#count('reorder');
    this.#heldBack.set(envelope.to, envelope);
    return [];
  }

  /** At the end of the run, whatever is still held back is delivered (twice, as every envelope). */
  async #release(): Promise<void> {
    const held = [...this.#heldBack.values()];
    this.#heldBack.clear();
    for (const envelope of held) {
      await this.#attempt('reorder', async () => {
        if (!this.#real.hasDevice(envelope.to)) return;
        this.#count('replay');
        this.#injecting = true;
        try {
          await this.#real.send(envelope.from, [{ to: envelope.to, body: envelope.body }, { to: envelope.to, body: envelope.body }]);
        } finally {
          this.#injecting = false;
        }
      }, true);
    }
  }

  // --- key-substitution -------------------------------------------------------------------

  /**
   * A real device looks up another user (its device list or a bundle): whether it gets that
   * user's shadow. At first contact; and where the conversation was re-registered, though a
   * device that looked the user up while the provider was honest has the real keys already,
   * and the switch shows.
   */
  #contact(requester: DeviceAddress, user: string): boolean {
    if (userOf(requester) === user) return false;
    const pair = `${requester} ${user}`;
    if (this.#hostile && !this.#contacted.has(pair)) this.#substituted.add(pair);
    if (this.#hostile && !this.#substituted.has(pair) && this.#reRegistration.covers(userOf(requester), user)) {
      this.#substituted.add(pair);
      this.#reRegistered.add(pair);
      this.#count('re-registration');
    }
    this.#contacted.add(pair);
    return this.#substituted.has(pair);
  }

  /**
   * Open with the shadow of the recipient, seal again with the shadow of the sender: what the
   * real recipient gets instead (none for a sealed delivery receipt the shadow took), or null
   * to deliver the envelope as it is.
   */
  async #relay(envelope: Envelope, upload?: number): Promise<Envelope[] | null> {
    const to = this.#shadowDevice(envelope.to);
    if (!to) return null;
    const sealed = envelope.from === SEALED_SENDER;
    const pair = (from: DeviceAddress, to: DeviceAddress) => `${from} ${userOf(to)}`;
    const reRegistered = (from: DeviceAddress) => this.#reRegistered.has(pair(from, envelope.to)) || this.#reRegistered.has(pair(envelope.to, from));
    to.api.outbox.length = 0;
    const held = this.#holdings.length;
    const via = sealed || !reRegistered(envelope.from) ? 'key-substitution' : 're-registration';
    const opened = await this.#tryOpen(to.client, envelope, via);
    // The shadow acknowledged a sealed message as the recipient's app does: the sender gets that receipt.
    const receipts = to.api.outbox.splice(0);
    if (!opened) return null;
    const { received } = opened;
    if (sealed && receipts.length > 0) await this.#inject(envelope.to, null, receipts);
    if (!received) return sealed ? [] : null; // a sealed receipt to the shadow: the shadow's own went back instead
    // A sealed envelope names its sender only inside, where the shadow found it.
    const sender = sealed ? received.from : envelope.from;
    if (sealed && upload !== undefined && !this.#openedSenders.has(upload)) this.#openedSenders.set(upload, userOf(sender));
    if (sealed && reRegistered(sender)) for (const holding of this.#holdings.slice(held)) holding.via = 're-registration';
    // The recipient now talks to the sender's shadow, and the sender to the recipient's.
    const relayedVia = sealed && reRegistered(sender) ? 're-registration' : via;
    this.#footprint(userOf(sender), relayedVia);
    this.#footprint(userOf(envelope.to), relayedVia);
    if (sealed && userOf(sender) !== userOf(envelope.to)) this.#talking.add(`${sender} ${userOf(envelope.to)}`);
    await this.#shadowUser(userOf(sender));
    const from = this.#shadowDevice(sender);
    if (!from) return null;
    const key = `${sender} ${received.id} ${envelope.to}`;
    if (!this.#sealed.has(key)) {
      const addressee: Addressee = received.group ? { kind: 'group', group: received.group } : { kind: 'user', user: userOf(envelope.to) };
      for (const resealed of await this.#send(from, { id: received.id, to: addressee, body: received.body })) {
        const forDevice = `${sender} ${received.id} ${resealed.to}`;
        this.#sealed.set(forDevice, [...(this.#sealed.get(forDevice) ?? []), resealed]);
      }
    }
    const resealed = this.#sealed.get(key);
    if (!resealed) return null;
    this.#sealed.delete(key);
    // The recipient now has a session with the sender's shadow: its replies go there too.
    this.#routed.add(`${envelope.to}>${sender}`);
    const relayed: Envelope[] = [];
    for (const one of resealed) relayed.push(await this.#stored({ from: one.sealed ? SEALED_SENDER : sender, to: envelope.to, body: one.body }));
    return relayed;
  }

  /** The group's roster as the admin's shadow publishes it: the real members, signed (if the design signs) by the shadow. */
  async #shadowRoster(real: Roster): Promise<Roster> {
    const shadow = await this.#shadowUser(real.admin);
    const current = await this.#shadowDirectory.fetchRoster(SHADOW, real.group).catch(() => null);
    if (!current || current.members.join('\n') !== real.members.join('\n')) {
      // Creating the group again is how the generic Client interface sets its members at once.
      await shadow.devices.get(shadow.primary)!.client.createGroup(real.group, real.members);
    }
    return this.#shadowDirectory.fetchRoster(SHADOW, real.group);
  }

  #shadowDevice(address: DeviceAddress): Shadow | undefined {
    const { user, device } = splitAddress(address);
    return this.#shadows.get(user)?.devices.get(device);
  }

  /** The user's shadow, its devices kept in step with the user's real ones (linked and unlinked). */
  async #shadowUser(user: string): Promise<ShadowUser> {
    const real = (await this.#real.fetchDevices(SHADOW, user)).devices.filter((d) => !this.#ghostAddresses.has(deviceAddress(user, d)));
    let shadow = this.#shadows.get(user);
    if (!shadow) {
      const primary = real[0]!;
      const created = this.#client(deviceAddress(user, primary), this.#shadowDirectory);
      await created.client.register();
      shadow = { primary, devices: new Map([[primary, created]]) };
      this.#shadows.set(user, shadow);
    }
    const primary = shadow.devices.get(shadow.primary)!.client;
    for (const device of real) {
      if (shadow.devices.has(device)) continue;
      const provisioning = await primary.provisionDevice(device);
      const linked = this.#client(deviceAddress(user, device), this.#shadowDirectory);
      await linked.client.register(provisioning);
      shadow.devices.set(device, linked);
    }
    for (const device of [...shadow.devices.keys()]) {
      if (device === shadow.primary || real.includes(device)) continue;
      await primary.unlinkDevice(device);
      shadow.devices.delete(device);
    }
    return shadow;
  }

  // --- ghost-device ---------------------------------------------------------------------

  async #ghostOf(user: string): Promise<Shadow & { address: DeviceAddress }> {
    const existing = this.#ghosts.get(user);
    if (existing) return existing;
    const taken = new Set([...(this.#scenario.users[user] ?? []), ...this.#scenario.steps.flatMap((s) => (s.kind === 'link-device' && s.user === user ? [s.device] : []))]);
    let name = 'ghost';
    for (let n = 2; taken.has(name) || this.#real.hasDevice(deviceAddress(user, name)); n++) name = `ghost-${n}`;
    const address = deviceAddress(user, name);
    this.#ghostAddresses.add(address);
    // Registered with the real provider as one more device of the user; the user never signs it.
    const ghost = { address, ...this.#client(address, this.#ghostDirectory, { keys: (upload) => this.#real.publishKeys(address, upload) }) };
    await ghost.client.register();
    this.#ghosts.set(user, ghost);
    return ghost;
  }

  // --- ghost-member ---------------------------------------------------------------------

  get #ghostMemberUser(): string | null {
    return this.#ghostMember ? userOf(this.#ghostMember.address) : null;
  }

  /** A user of the provider's own, registered in the real directory with its own signed device list. */
  async #ghostMemberOf(): Promise<Shadow & { address: DeviceAddress }> {
    if (this.#ghostMember) return this.#ghostMember;
    const taken = new Set([...Object.keys(this.#scenario.users), ...Object.values(this.#scenario.groups).flatMap((g) => g.members)]);
    for (const step of this.#scenario.steps) if (step.kind === 'add-member') taken.add(step.user);
    let user = 'ghost';
    for (let n = 2; taken.has(user); n++) user = `ghost-${n}`;
    const address = deviceAddress(user, 'phone');
    this.#ghostAddresses.add(address);
    const member = {
      address,
      ...this.#client(address, this.#ghostDirectory, {
        keys: (upload) => this.#real.publishKeys(address, upload),
        list: (signedList) => this.#real.publishDeviceList(address, signedList),
      }),
    };
    this.#ghostMember = member;
    await member.client.register();
    return member;
  }

  // --- forge ----------------------------------------------------------------------------

  /** Once per (sending device, receiving user) seen since the strike: a message in that device's name. */
  async #forge(): Promise<void> {
    for (const pair of this.#talking) {
      if (this.#forged.has(pair)) continue;
      this.#forged.add(pair);
      const [from, user] = pair.split(' ') as [DeviceAddress, string];
      const id = `forged-${++this.#forgeries}`;
      const message = { id, to: { kind: 'user', user } as Addressee, body: new TextEncoder().encode(`${FORGED_TEXT} (${id})`) };
      await this.#attempt('forge', async () => {
        await this.#shadowUser(userOf(from));
        const shadow = this.#shadowDevice(from);
        if (!shadow) return;
        // Sealed by the sender's shadow: taken as the sender's only by a client served that shadow.
        this.#footprint(userOf(from), 'forge');
        this.#forgeryStrategies.set(id, ['forge', 'key-substitution']);
        await this.#inject(from, user, await this.#send(shadow, message));
      });
      const ghost = this.#ghosts.get(userOf(from));
      if (ghost) {
        this.#forgeryStrategies.set(`${id}-ghost`, ['forge', 'ghost-device']);
        await this.#attempt('forge', async () => this.#inject(ghost.address, user, await this.#send(ghost, { ...message, id: `${id}-ghost` })));
      }
      await this.#attempt(
        'rewrite-sender',
        async () => {
          const own = await this.#ghostMemberOf();
          // A sealed envelope has no sender field to rewrite: only what names one counts as applied.
          const rewritable = (await this.#send(own, { ...message, id: `${id}-rewritten` })).filter((e) => !e.sealed);
          if (rewritable.length > 0) {
            this.#count('rewrite-sender');
            this.#footprint(userOf(own.address), 'rewrite-sender');
            this.#footprint(userOf(from), 'rewrite-sender');
            this.#forgeryStrategies.set(`${id}-rewritten`, ['rewrite-sender']);
          }
          await this.#inject(from, user, rewritable);
        },
        true,
      );
      await homeserverForgeries(this.#homeserverTools, from, user, message);
    }
  }

  /** What the Matrix-only strategies (matrix-homeserver.ts) use of this server. */
  get #homeserverTools(): HomeserverTools {
    return {
      ghostMember: () => this.#ghostMemberOf(),
      inject: (from, user, envelopes) => this.#inject(from, user, envelopes),
      attempt: (strategy, step) => this.#attempt(strategy, step),
      footprint: (about, via) => this.#footprint(about, via),
      forged: (id, via) => this.#forgeryStrategies.set(id, [via]),
    };
  }

  /** Hand forged envelopes to a user's real devices (any user's, for null), as if `from` had uploaded them. */
  async #inject(from: DeviceAddress, user: string | null, envelopes: OutgoingEnvelope[]): Promise<void> {
    const forged = envelopes.filter((e) => (user === null || userOf(e.to) === user) && !this.#ghostAddresses.has(e.to) && this.#real.hasDevice(e.to));
    if (forged.length === 0) return;
    this.#injecting = true;
    try {
      await this.#real.send(from, forged);
    } finally {
      this.#injecting = false;
    }
  }

  // --- shadow clients -------------------------------------------------------------------

  /** A fresh client of the target's design, on the adversary's own provider connection. */
  #client(address: DeviceAddress, own: Provider, mirror?: ConstructorParameters<typeof ShadowApi>[3]): Shadow {
    const view = this.#view!;
    const user = userOf(address);
    const rosterFor = async (real: Roster) => (own === this.#shadowDirectory && real.admin === user ? this.#shadowRoster(real) : real);
    const api = new ShadowApi(address, own, this.#real, mirror, rosterFor);
    const base = view.deviceContext(address);
    const context: ClientContext = { ...base, provider: api, rng: base.rng.fork(`malicious-server:${own === this.#ghostDirectory ? 'ghost' : 'shadow'}`) };
    return { client: view.design.createClient(context), api };
  }

  /** What a shadow would upload for this message: sealed by the design's own code, captured, not delivered. */
  async #send(shadow: Shadow, message: { id: string; to: Addressee; body: Uint8Array }): Promise<OutgoingEnvelope[]> {
    shadow.api.outbox.length = 0;
    const outcome = await shadow.client.send(message);
    const sent = outcome.sent ? [...shadow.api.outbox] : [];
    shadow.api.outbox.length = 0;
    return sent;
  }

  /** Open an envelope as the provider stored it with a shadow; what opens is a leak `via` this strategy. */
  async #open(client: Client, envelope: Envelope, via: string): Promise<ReceivedMessage | null> {
    return (await this.#tryOpen(client, envelope, via))?.received ?? null;
  }

  /** As `#open`; null when the shadow rejects it (not sealed to it), `received: null` for a control message it took. */
  async #tryOpen(client: Client, envelope: Envelope, via: string): Promise<{ received: ReceivedMessage | null } | null> {
    try {
      const logic = this.#real.logic;
      const body = logic ? await logic.prepareDelivery(envelope) : envelope.body;
      const received = await client.receive({ ...envelope, body });
      if (received) this.#holdings.push({ bytes: received.body, via });
      return { received };
    } catch {
      return null; // not sealed to this shadow
    }
  }

  /** An envelope as the provider would store it had the sender uploaded it. */
  async #stored(envelope: Envelope): Promise<Envelope> {
    const logic = this.#real.logic;
    return logic ? { ...envelope, body: await logic.acceptUpload(envelope) } : envelope;
  }

  /** Run one strategy step; a design it does not fit leaves the provider honest there, and the run says so. */
  /** Runs one application of a strategy (counted, unless the caller counted it already); a failure is recorded, not thrown. */
  async #attempt<T>(strategy: Strategy, step: () => Promise<T>, counted = false): Promise<T | null> {
    const injecting = this.#injecting;
    if (!counted) this.#count(strategy);
    try {
      return await step();
    } catch (error) {
      this.#injecting = injecting;
      // A failure is an application of the strategy, counted or not before it failed.
      if (!this.#applied.has(strategy)) this.#count(strategy);
      this.#applied.get(strategy)!.failed++;
      this.#failures.push(`${strategy}: ${error instanceof Error ? error.message : String(error)}`);
      return null;
    }
  }

  #count(strategy: Strategy, times = 1): void {
    if (times === 0) return;
    const tally = this.#applied.get(strategy) ?? { times: 0, failed: 0 };
    tally.times += times;
    this.#applied.set(strategy, tally);
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
