/**
 * `ghost-device`: the provider adds a device of its own to every user's device listing (the
 * provider's list, not the list the user signs); whatever a client encrypts to it, it reads.
 * `ghost-member`: likewise a user of its own to every group roster it serves (the provider's
 * roster, not the one the admin signs). Both are registered in the real directory, so the
 * clients find their keys there, and what is delivered to them the provider keeps.
 */
import { SEALED_SENDER, type DeviceListing, type Envelope, type Roster } from '../../harness/provider/api.ts';
import { deviceAddress, splitAddress } from '../../harness/scenario/types.ts';
import type { ServerContext } from './context.ts';
import { userOf, type Ghost } from './shadows.ts';

export class Ghosts {
  /** ghost-device: each user's ghost, by user. */
  readonly #devices = new Map<string, Ghost>();
  /** ghost-member: a user of the provider's own, added to every group roster it serves. */
  #member: Ghost | null = null;

  constructor(private readonly context: ServerContext) {}

  /** The user's ghost device, if it has made one. */
  deviceOf(user: string): Ghost | undefined {
    return this.#devices.get(user);
  }

  /** The name of its own user, once it has one. */
  get memberUser(): string | null {
    return this.#member ? userOf(this.#member.address) : null;
  }

  /** ghost-device: one more device in the provider's listing, never in the signed list. */
  async withGhostDevice(listing: DeviceListing): Promise<DeviceListing> {
    const { tally } = this.context;
    const ghost = await tally.attempt('ghost-device', () => this.#deviceFor(listing.user));
    if (!ghost) return listing;
    tally.footprint(ghost.address, 'ghost-device');
    const name = splitAddress(ghost.address).device;
    return { ...listing, devices: [...listing.devices.filter((d) => d !== name), name] };
  }

  /** ghost-member: one more member in the provider's roster, never in the admin's signed one. */
  async withGhostMember(roster: Roster): Promise<Roster> {
    const { tally } = this.context;
    const ghost = await tally.attempt('ghost-member', () => this.member());
    if (!ghost) return roster;
    const user = userOf(ghost.address);
    tally.footprint(roster.group, 'ghost-member');
    tally.footprint(user, 'ghost-member');
    return { ...roster, members: [...roster.members.filter((m) => m !== user), user] };
  }

  /** An envelope for one of its own devices: opened and kept (true), never delivered; false for anyone else's. */
  async take(envelope: Envelope): Promise<boolean> {
    const { shadows, reRegistration } = this.context;
    const ghost = this.#devices.get(userOf(envelope.to));
    if (ghost && ghost.address === envelope.to) {
      const received = await shadows.open(ghost.client, envelope, 'ghost-device');
      // A sealed envelope names its sender only inside, where the ghost found it.
      const sender = envelope.from === SEALED_SENDER ? received?.from : envelope.from;
      if (sender) reRegistration.reachedGhost(userOf(sender), userOf(envelope.to));
      return true;
    }
    if (this.#member?.address === envelope.to) {
      await shadows.open(this.#member.client, envelope, 'ghost-member');
      return true;
    }
    return false;
  }

  /** A user of the provider's own (made on first use), registered in the real directory with its own signed device list. */
  async member(): Promise<Ghost> {
    if (this.#member) return this.#member;
    const { scenario, real, shadows } = this.context;
    const taken = new Set([...Object.keys(scenario.users), ...Object.values(scenario.groups).flatMap((g) => g.members)]);
    for (const step of scenario.steps) if (step.kind === 'add-member') taken.add(step.user);
    let user = 'ghost';
    for (let n = 2; taken.has(user); n++) user = `ghost-${n}`;
    const address = deviceAddress(user, 'phone');
    const member = shadows.ghostClient(address, {
      keys: (upload) => real.publishKeys(address, upload),
      list: (signedList) => real.publishDeviceList(address, signedList),
    });
    this.#member = member;
    await member.client.register();
    return member;
  }

  /** The user's ghost device (made on first use), under a device name none of the user's devices has or will have. */
  async #deviceFor(user: string): Promise<Ghost> {
    const existing = this.#devices.get(user);
    if (existing) return existing;
    const { scenario, real, shadows } = this.context;
    const taken = new Set([...(scenario.users[user] ?? []), ...scenario.steps.flatMap((s) => (s.kind === 'link-device' && s.user === user ? [s.device] : []))]);
    let name = 'ghost';
    for (let n = 2; taken.has(name) || real.hasDevice(deviceAddress(user, name)); n++) name = `ghost-${n}`;
    const address = deviceAddress(user, name);
    // Registered with the real provider as one more device of the user; the user never signs it.
    const ghost = shadows.ghostClient(address, { keys: (upload) => real.publishKeys(address, upload) });
    await ghost.client.register();
    this.#devices.set(user, ghost);
    return ghost;
  }
}
