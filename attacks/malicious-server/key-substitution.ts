/**
 * `key-substitution`: at a client's first contact with another user, the provider hands out
 * the key bundles and signed device list of a shadow of that user (same device names, an
 * identity of its own) and relays as a man in the middle: it opens each envelope with the
 * shadow of the recipient device and seals it again to the real recipient with the shadow of
 * the sender, so the conversation looks normal. Comparing safety numbers reveals it. For
 * groups, whoever got the admin's shadow gets the roster as the shadow admin signs it.
 *
 * A sealed-sender envelope names no sender: the provider learns the sender only by opening it
 * with a shadow it was sealed to, and then also answers with the shadow's own delivery
 * receipt and keeps the real one.
 *
 * `re-registration` (attacks/re-registration.ts decides where) serves the same shadows in a
 * conversation that began before the strike; this module serves and relays for both, and
 * names which of the two each substitution was.
 */
import { SEALED_SENDER, type BundleResponse, type DeviceListing, type Envelope, type OutgoingEnvelope, type Roster } from '../../harness/provider/api.ts';
import { deviceAddress, splitAddress, type Addressee, type DeviceAddress } from '../../harness/scenario/types.ts';
import type { ServerContext } from './context.ts';
import { SHADOW, userOf, type Shadow } from './shadows.ts';

/** A victim user as the adversary impersonates it: the same device names, an identity of its own. */
interface ShadowUser {
  primary: string;
  devices: Map<string, Shadow>;
}

export class KeySubstitution {
  readonly #shadows = new Map<string, ShadowUser>();
  /** `requester user` pairs that fetched the user's devices while the provider was honest. */
  readonly #contacted = new Set<string>();
  /** `requester user` pairs whose first contact came after the strike, or whose conversation was re-registered: they get the shadow. */
  readonly #substituted = new Set<string>();
  /** re-registration: the `requester user` pairs it substituted. */
  readonly #reRegistered = new Set<string>();
  /** `from>to`: the real device `from` talks to the shadow of `to`. */
  readonly #routed = new Set<string>();
  /** What a sender's shadow sealed for each recipient device, in upload order (a design may send several, e.g. Matrix's room key share and then the room event). */
  readonly #sealed = new Map<string, OutgoingEnvelope[]>();
  /** upload -> the user a shadow found inside a sealed envelope of it (the sender sealing hid from the provider). */
  readonly openedSenders = new Map<number, string>();

  constructor(private readonly context: ServerContext) {}

  /**
   * A real device looks up another user (its device list or a bundle): whether it gets that
   * user's shadow. At first contact; and where the conversation was re-registered, though a
   * device that looked the user up while the provider was honest has the real keys already,
   * and the switch shows.
   */
  contact(requester: DeviceAddress, user: string): boolean {
    if (userOf(requester) === user) return false;
    const { hostile, reRegistration, tally } = this.context;
    const pair = `${requester} ${user}`;
    if (hostile && !this.#contacted.has(pair)) this.#substituted.add(pair);
    if (hostile && !this.#substituted.has(pair) && reRegistration.covers(userOf(requester), user)) {
      this.#substituted.add(pair);
      this.#reRegistered.add(pair);
      tally.count('re-registration');
    }
    this.#contacted.add(pair);
    return this.#substituted.has(pair);
  }

  /** The devices that have looked `user` up so far, in the order they first did. */
  lookedUp(user: string): DeviceAddress[] {
    return [...this.#contacted].filter((pair) => pair.endsWith(` ${user}`)).map((pair) => pair.split(' ')[0] as DeviceAddress);
  }

  /** For a substituted look-up: the user's shadow's device listing (the real one, if no shadow could be made). */
  async listing(requester: DeviceAddress, listing: DeviceListing): Promise<DeviceListing> {
    const shadow = await this.context.tally.attempt('key-substitution', () => this.shadowUser(listing.user));
    if (!shadow) return listing;
    const answer = await this.context.shadows.shadowDirectory.fetchDevices(SHADOW, listing.user);
    this.context.tally.footprint(listing.user, this.#substitution(requester, listing.user), userOf(requester));
    return answer;
  }

  /** The bundle of the shadow of the device looked up, or null where the requester gets the real one. */
  async bundle(requester: DeviceAddress, response: BundleResponse): Promise<BundleResponse | null> {
    const target = response.address;
    const { user, device } = splitAddress(target);
    if (!this.contact(requester, user) || this.context.shadows.isGhost(target)) return null;
    const shadowUser = await this.context.tally.attempt('key-substitution', () => this.shadowUser(user));
    if (!shadowUser?.devices.has(device)) return null;
    const shadow = await this.context.shadows.shadowDirectory.fetchBundle(SHADOW, target);
    this.context.tally.footprint(user, this.#substitution(requester, user), userOf(requester));
    return { ...shadow, address: target };
  }

  /** Whoever got the admin's shadow gets the roster as the shadow admin signs it. */
  async roster(requester: DeviceAddress, roster: Roster): Promise<Roster> {
    if (!this.contact(requester, roster.admin)) return roster;
    const shadowed = await this.context.tally.attempt('key-substitution', () => this.#shadowRoster(roster));
    if (shadowed) this.context.tally.footprint(roster.admin, this.#substitution(requester, roster.admin), userOf(requester));
    return shadowed ?? roster;
  }

  /**
   * Whether an envelope goes through the shadows: the sender got the recipient user's shadow
   * at first contact (whatever keys of it the design then used), or the recipient answers a
   * relayed message; a sealed envelope, when its recipient has a shadow that may open it.
   */
  routes(envelope: Envelope): boolean {
    const sealedToShadow = envelope.from === SEALED_SENDER && this.shadowDevice(envelope.to) !== undefined;
    return sealedToShadow || this.#substituted.has(`${envelope.from} ${userOf(envelope.to)}`) || this.#routed.has(`${envelope.from}>${envelope.to}`);
  }

  /** The strategy that served `requester` the shadow of `user`: re-registration where it applies, else key-substitution. */
  #substitution(requester: DeviceAddress, user: string): 'key-substitution' | 're-registration' {
    return this.#reRegistered.has(`${requester} ${user}`) ? 're-registration' : 'key-substitution';
  }

  /**
   * Open with the shadow of the recipient, seal again with the shadow of the sender: what the
   * real recipient gets instead (none for a sealed delivery receipt the shadow took), or null
   * to deliver the envelope as it is. `upload` is the upload the envelope came in.
   */
  async relay(envelope: Envelope, upload?: number): Promise<Envelope[] | null> {
    const { shadows, tally, talking } = this.context;
    const to = this.shadowDevice(envelope.to);
    if (!to) return null;
    const sealed = envelope.from === SEALED_SENDER;
    const pair = (from: DeviceAddress, to: DeviceAddress) => `${from} ${userOf(to)}`;
    const reRegistered = (from: DeviceAddress) => this.#reRegistered.has(pair(from, envelope.to)) || this.#reRegistered.has(pair(envelope.to, from));
    to.api.outbox.length = 0;
    const held = shadows.holdings.length;
    const via = sealed || !reRegistered(envelope.from) ? 'key-substitution' : 're-registration';
    const opened = await shadows.tryOpen(to.client, envelope, via);
    // The shadow acknowledged a sealed message as the recipient's app does: the sender gets that receipt.
    const receipts = to.api.outbox.splice(0);
    if (!opened) return null;
    const { received } = opened;
    if (sealed && receipts.length > 0) await shadows.inject(envelope.to, null, receipts);
    if (!received) return sealed ? [] : null; // a sealed receipt to the shadow: the shadow's own went back instead
    // A sealed envelope names its sender only inside, where the shadow found it.
    const sender = sealed ? received.from : envelope.from;
    if (sealed && upload !== undefined && !this.openedSenders.has(upload)) this.openedSenders.set(upload, userOf(sender));
    if (sealed && reRegistered(sender)) for (const holding of shadows.holdings.slice(held)) holding.via = 're-registration';
    // The recipient now talks to the sender's shadow, and the sender to the recipient's.
    const relayedVia = sealed && reRegistered(sender) ? 're-registration' : via;
    tally.footprint(userOf(sender), relayedVia, userOf(envelope.to));
    tally.footprint(userOf(envelope.to), relayedVia, userOf(sender));
    if (sealed && userOf(sender) !== userOf(envelope.to)) talking.add(`${sender} ${userOf(envelope.to)}`);
    await this.shadowUser(userOf(sender));
    const from = this.shadowDevice(sender);
    if (!from) return null;
    const key = `${sender} ${received.id} ${envelope.to}`;
    if (!this.#sealed.has(key)) {
      const addressee: Addressee = received.group ? { kind: 'group', group: received.group } : { kind: 'user', user: userOf(envelope.to) };
      for (const resealed of await shadows.send(from, { id: received.id, to: addressee, body: received.body })) {
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
    for (const one of resealed) relayed.push(await shadows.stored({ from: one.sealed ? SEALED_SENDER : sender, to: envelope.to, body: one.body }));
    return relayed;
  }

  /** The group's roster as the admin's shadow publishes it: the real members, signed (if the design signs) by the shadow. */
  async #shadowRoster(real: Roster): Promise<Roster> {
    const { shadowDirectory } = this.context.shadows;
    const shadow = await this.shadowUser(real.admin);
    const current = await shadowDirectory.fetchRoster(SHADOW, real.group).catch(() => null);
    if (!current || current.members.join('\n') !== real.members.join('\n')) {
      // Creating the group again is how the generic Client interface sets its members at once.
      await shadow.devices.get(shadow.primary)!.client.createGroup(real.group, real.members);
    }
    return shadowDirectory.fetchRoster(SHADOW, real.group);
  }

  /** The shadow of a real device, if its user has one with that device. */
  shadowDevice(address: DeviceAddress): Shadow | undefined {
    const { user, device } = splitAddress(address);
    return this.#shadows.get(user)?.devices.get(device);
  }

  /** The user's shadow, its devices kept in step with the user's real ones (linked and unlinked). */
  async shadowUser(user: string): Promise<ShadowUser> {
    const { real, shadows } = this.context;
    const realDevices = (await real.fetchDevices(SHADOW, user)).devices.filter((d) => !shadows.isGhost(deviceAddress(user, d)));
    let shadow = this.#shadows.get(user);
    if (!shadow) {
      const primary = realDevices[0]!;
      const created = this.#shadowClient(deviceAddress(user, primary));
      await created.client.register();
      shadow = { primary, devices: new Map([[primary, created]]) };
      this.#shadows.set(user, shadow);
    }
    const primary = shadow.devices.get(shadow.primary)!.client;
    for (const device of realDevices) {
      if (shadow.devices.has(device)) continue;
      const provisioning = await primary.provisionDevice(device);
      const linked = this.#shadowClient(deviceAddress(user, device));
      await linked.client.register(provisioning);
      shadow.devices.set(device, linked);
    }
    for (const device of [...shadow.devices.keys()]) {
      if (device === shadow.primary || realDevices.includes(device)) continue;
      await primary.unlinkDevice(device);
      shadow.devices.delete(device);
    }
    return shadow;
  }

  /** A shadow device: the groups its own user administers it sees as the shadow admin published them. */
  #shadowClient(address: DeviceAddress): Shadow {
    const user = userOf(address);
    return this.context.shadows.shadowClient(address, async (real) => (real.admin === user ? this.#shadowRoster(real) : real));
  }
}
