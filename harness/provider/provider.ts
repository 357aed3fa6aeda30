/**
 * The provider: directory (key bundles, device lists), mailbox (store and forward, queues
 * for offline devices) and group rosters. It belongs to the harness, not to a design; a
 * design may add server logic (`ServerLogic`) for what its server really does differently.
 * Everything a client asks crosses the wire through its `Connection` and is recorded.
 *
 * This class is the face the world, the clients and the adversaries see: it holds the
 * directory (`directory.ts`), the rosters (`rosters.ts`) and the mailbox (`mailbox.ts`), lets
 * an active adversary's interceptor rewrite what it answers, and keeps the list of everything
 * stored (`stored-items.ts`) and of every delivery.
 */
import { splitAddress as split, type DeviceAddress } from '../scenario/types.ts';
import type { WireLog } from './wire.ts';
import { DirectoryHistory } from './directory-history.ts';
import type { BundleResponse, DeviceListing, Envelope, KeyUpload, OutgoingEnvelope, ProviderApi, Roster } from './api.ts';
import type { ProviderEvents, ProviderInterceptor, ServerLogic } from './server-hooks.ts';
import { ItemStore, type StoredItem } from './stored-items.ts';
import { Directory } from './directory.ts';
import { Rosters } from './rosters.ts';
import { Mailbox, type Delivery } from './mailbox.ts';
import { Connection } from './connection.ts';
import { DirectoryReader } from './directory-reader.ts';

// Importers have found these here since before the provider was split into modules.
export type { ProviderEvents, ProviderInterceptor, ServerLogic } from './server-hooks.ts';
export type { StoredItem } from './stored-items.ts';
export type { Delivery } from './mailbox.ts';
export { ProviderError } from './provider-error.ts';

export class Provider {
  /** Everything it stored or processed, all run long. */
  readonly stored: StoredItem[] = [];
  /** Every delivery to a device, in order. */
  readonly deliveries: Delivery[] = [];
  interceptor: ProviderInterceptor | null = null;
  readonly #directory: Directory;
  readonly #rosters: Rosters;
  readonly #mailbox: Mailbox;

  constructor(
    readonly wire: WireLog,
    readonly logic: ServerLogic | null,
    readonly events: ProviderEvents,
  ) {
    const store = new ItemStore(wire, this.stored);
    /** The public directory at every point of the run, for readers that look back. */
    const history = new DirectoryHistory();
    // The version of a directory change: reads made from this wire position on see it.
    const version = () => wire.records.length;
    this.#directory = new Directory(store, history, version);
    this.#rosters = new Rosters(store, history, version);
    this.#mailbox = new Mailbox(this, store, this.deliveries);
  }

  connect(device: DeviceAddress): ProviderApi {
    return new Connection(this, device);
  }

  /**
   * A second connection registered as `device`, as a provider that cooperates with a clone
   * of the device would register it: it sends as the device, and every envelope routed to the
   * device is handed to `receive` as well, at once (the clone stays online). Without that
   * cooperation each envelope would reach only whichever connection fetched it first.
   */
  registerTwin(device: DeviceAddress, receive: (envelope: Envelope, wireBody: Uint8Array) => Promise<void>): ProviderApi {
    this.#mailbox.addTwin(device, receive);
    // The twin is the adversary's own: what it uploads passes the adversary's interceptor
    // untouched, as its shadows' messages do. Relayed, it would split the sessions another
    // part of a composite holds in the middle (SPEC §4: the parts act together).
    return new Connection(this, device, true);
  }

  /**
   * Read-only access to the public directory, for a restored device in an adversary's hands:
   * as it stands now, or, with `asOf`, as it stood just before wire record `asOf()` (an
   * adversary replaying the recording reads the directory as of the record it replays).
   */
  observer(asOf: () => number = () => Number.POSITIVE_INFINITY): ProviderApi {
    return new DirectoryReader(this, asOf);
  }

  /** A device's published bundle, for the design's server logic. */
  bundleOf(address: DeviceAddress): Uint8Array {
    return this.#directory.bundleOf(address);
  }

  /** A device's bundle without taking a one-time key, as anyone may look it up (now, or as of wire record `asOf`). */
  peekBundle(address: DeviceAddress, asOf = Number.POSITIVE_INFINITY): BundleResponse {
    return this.#directory.peekBundle(address, asOf);
  }

  /** How many keys are left in each of a device's one-time key pools (PQXDH §3.2: the server tells a device when its stock runs low). */
  countOneTimeKeys(address: DeviceAddress): Record<string, number> {
    return this.#directory.countOneTimeKeys(address);
  }

  // --- directory -------------------------------------------------------------------

  publishKeys(from: DeviceAddress, upload: KeyUpload): void {
    this.#directory.publishKeys(from, upload);
  }

  publishDeviceList(from: DeviceAddress, signedList: Uint8Array): void {
    this.#directory.publishDeviceList(from, signedList);
  }

  /** A user's devices as the provider lists them: now, or as of wire record `asOf`. */
  async fetchDevices(requester: DeviceAddress, user: string, asOf = Number.POSITIVE_INFINITY): Promise<DeviceListing> {
    const listing = this.#directory.listing(user, asOf);
    return this.interceptor?.fetchDevices ? this.interceptor.fetchDevices(requester, listing) : listing;
  }

  async fetchBundle(requester: DeviceAddress, address: DeviceAddress): Promise<BundleResponse> {
    const response = this.#directory.takeBundle(address);
    return this.interceptor?.fetchBundle ? this.interceptor.fetchBundle(requester, response) : response;
  }

  removeDevice(from: DeviceAddress, device: string): void {
    const { user } = split(from);
    this.#mailbox.forget(this.#directory.removeDevice(user, device));
  }

  hasDevice(address: DeviceAddress): boolean {
    return this.#directory.hasDevice(address);
  }

  // --- rosters ---------------------------------------------------------------------

  /** A group's roster as the provider serves it: now, or as of wire record `asOf`. */
  async fetchRoster(requester: DeviceAddress, group: string, asOf = Number.POSITIVE_INFINITY): Promise<Roster> {
    const roster = this.#rosters.roster(group, asOf);
    return this.interceptor?.fetchRoster ? this.interceptor.fetchRoster(requester, roster) : roster;
  }

  publishRoster(from: DeviceAddress, group: string, members: string[], signed: Uint8Array | null): void {
    this.#rosters.publish(from, group, members, signed);
  }

  // --- mailbox ---------------------------------------------------------------------

  /**
   * Stores and hands over an upload of `from`'s. `intercept: false` is for the interceptor's
   * owner handing over envelopes of its own (a forgery, an envelope it held back): its
   * `deliver` hook would otherwise meet them again, as if a client had uploaded them.
   */
  send(from: DeviceAddress, envelopes: OutgoingEnvelope[], options: { intercept?: boolean } = {}): Promise<void> {
    return this.#mailbox.send(from, envelopes, options);
  }

  setOnline(address: DeviceAddress, online: boolean): Promise<void> {
    return this.#mailbox.setOnline(address, online);
  }

  isOnline(address: DeviceAddress): boolean {
    return this.#mailbox.isOnline(address);
  }

  /** Envelopes waiting for an offline device. */
  queued(address: DeviceAddress): readonly Envelope[] {
    return this.#mailbox.queued(address);
  }
}
