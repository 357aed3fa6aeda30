/**
 * The provider's group rosters: per group its admin, its members and the admin's signature
 * over them, if the design signs rosters. Only the admin may change a roster. Every change is
 * stored (the provider reads the members either way: it routes by them) and recorded in the
 * directory's history.
 */
import { splitAddress as split, type DeviceAddress } from '../scenario/types.ts';
import type { DirectoryHistory } from './directory-history.ts';
import type { Roster } from './api.ts';
import type { ItemStore } from './stored-items.ts';
import { encodeWire } from './wire.ts';
import { ProviderError } from './provider-error.ts';

interface RosterEntry {
  admin: string;
  members: string[];
  signed: Uint8Array | null;
}

export class Rosters {
  readonly #rosters = new Map<string, RosterEntry>();

  constructor(
    private readonly store: ItemStore,
    private readonly history: DirectoryHistory,
    /** The version of a directory change: reads made from this wire position on see it. */
    private readonly version: () => number,
  ) {}

  /** A group's roster: now, or as of wire record `asOf`. */
  roster(group: string, asOf: number): Roster {
    const entry = asOf === Number.POSITIVE_INFINITY ? this.#rosters.get(group) : this.history.roster(group, asOf);
    if (!entry) throw new ProviderError(`no such group: ${group}`);
    return { group, admin: entry.admin, members: [...entry.members], signed: entry.signed };
  }

  publish(from: DeviceAddress, group: string, members: string[], signed: Uint8Array | null): void {
    const { user } = split(from);
    const existing = this.#rosters.get(group);
    if (existing && existing.admin !== user) {
      throw new ProviderError(`${user} is not the admin of ${group}`);
    }
    const roster: RosterEntry = { admin: existing?.admin ?? user, members: [...members], signed };
    this.#rosters.set(group, roster);
    this.store.add('roster', group, signed ?? encodeWire({ group, members }), undefined, [...members]);
    this.history.rosterChanged(this.version(), group, { ...roster, members: [...members] });
  }
}
