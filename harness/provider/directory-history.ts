/**
 * The public directory as it stood at every point of the run: each device listing, bundle
 * and group roster the provider served, versioned by the wire position at which it changed.
 * Anyone could have read the directory at any moment (it is public), so a device restored
 * into an adversary's hands may read it as of the moment of the recording it replays: it
 * checks a message against the roster and device lists valid when the real device met it,
 * not against those at the end of the run.
 */

/** One key's values over time, oldest first; `version` is the wire length when it took effect. */
class Timeline<T> {
  readonly #entries: { version: number; value: T }[] = [];

  set(version: number, value: T): void {
    const last = this.#entries.at(-1);
    if (last?.version === version) last.value = value;
    else this.#entries.push({ version, value });
  }

  /** The value in effect for a read made just before wire record `seq`, or undefined before the first. */
  at(seq: number): T | undefined {
    let low = 0;
    let high = this.#entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#entries[middle]!.version <= seq) low = middle + 1;
      else high = middle;
    }
    return low === 0 ? undefined : this.#entries[low - 1]!.value;
  }
}

export interface ListingState {
  devices: readonly string[];
  signedList: Uint8Array | null;
}

export interface RosterState {
  admin: string;
  members: readonly string[];
  signed: Uint8Array | null;
}

export class DirectoryHistory {
  readonly #listings = new Map<string, Timeline<ListingState>>();
  readonly #bundles = new Map<string, Timeline<Uint8Array | null>>();
  readonly #rosters = new Map<string, Timeline<RosterState>>();

  listingChanged(version: number, user: string, state: ListingState): void {
    timeline(this.#listings, user).set(version, state);
  }

  bundleChanged(version: number, address: string, bundle: Uint8Array | null): void {
    timeline(this.#bundles, address).set(version, bundle);
  }

  rosterChanged(version: number, group: string, state: RosterState): void {
    timeline(this.#rosters, group).set(version, state);
  }

  listing(user: string, seq: number): ListingState | undefined {
    return this.#listings.get(user)?.at(seq);
  }

  bundle(address: string, seq: number): Uint8Array | null | undefined {
    return this.#bundles.get(address)?.at(seq);
  }

  roster(group: string, seq: number): RosterState | undefined {
    return this.#rosters.get(group)?.at(seq);
  }
}

function timeline<T>(map: Map<string, Timeline<T>>, key: string): Timeline<T> {
  let found = map.get(key);
  if (!found) {
    found = new Timeline<T>();
    map.set(key, found);
  }
  return found;
}
