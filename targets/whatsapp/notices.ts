/**
 * What WhatsApp's app tells its user about the directory it is served (Encryption Overview,
 * "Verifying Keys" and "Group Messages"): a contact's security code changed (a new identity
 * key), a contact or the user linked a device, a group's participants changed. The notices
 * compare what the client is served now with what it saw last; the first sight of a user or
 * a group is the baseline (a group's admin starts from the members it set itself).
 */
import type { AlertKind } from '../../harness/report/types.ts';
import { equalBytes } from '../shared/codec.ts';

type Show = (kind: AlertKind, about: string, members?: readonly string[]) => void;

export class Notices {
  /** User -> identity key last seen in its signed device list. */
  readonly #identities = new Map<string, Uint8Array>();
  /** User -> devices (`user.device`) last seen. */
  readonly #devices = new Map<string, Set<string>>();
  /** Group -> members last seen. */
  readonly #members = new Map<string, Set<string>>();

  constructor(private readonly show: Show) {}

  /** A user's signed device list was served with this identity key and these devices. */
  deviceList(user: string, identity: Uint8Array, devices: readonly string[]): void {
    const pinned = this.#identities.get(user);
    if (pinned && !equalBytes(pinned, identity)) this.show('identity-changed', user);
    this.#identities.set(user, identity);
    const seen = this.#devices.get(user);
    if (seen) for (const device of devices) if (!seen.has(device)) this.show('new-device', device);
    this.#devices.set(user, new Set(devices));
  }

  /** A group's members as the provider served them (or as its admin just set them: `own`). */
  members(group: string, members: readonly string[], own = false): void {
    const seen = this.#members.get(group);
    this.#members.set(group, new Set(members));
    if (!seen || own) return;
    const joined = members.filter((m) => !seen.has(m));
    const left = [...seen].filter((m) => !members.includes(m));
    if (joined.length > 0) this.show('member-added', group, joined);
    if (left.length > 0) this.show('member-removed', group, left);
  }
}
