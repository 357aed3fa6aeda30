/**
 * The provider: directory (key bundles, device lists), mailbox (store and forward, queues
 * for offline devices) and group rosters. It belongs to the harness, not to a design; a
 * design may add server logic (`ServerLogic`) for what its server really does differently.
 * Everything a client asks crosses the wire through its `Connection` and is recorded.
 */
import { splitAddress as split, type DeviceAddress } from '../scenario/types.ts';
import type { WireLog } from './wire.ts';
import { encodeMsgpackTransient } from '../msgpack.ts';
import { encodeWire } from './wire.ts';
import { DirectoryHistory } from './directory-history.ts';
import type {
  BundleResponse,
  DeviceListing,
  Envelope,
  KeyUpload,
  OutgoingEnvelope,
  ProviderApi,
  Roster,
} from './api.ts';
import { SEALED_SENDER } from './api.ts';

/** A design's own server-side processing; the default stores and forwards bodies unchanged. */
export interface ServerLogic {
  /** Public configuration every client of the design ships with (e.g. a pinned provider key). */
  readonly clientConfig: Uint8Array | null;
  /** What the provider stores for an uploaded envelope. */
  acceptUpload(envelope: Envelope): Promise<Uint8Array>;
  /** What the provider sends to the recipient for a stored envelope. */
  prepareDelivery(envelope: Envelope): Promise<Uint8Array>;
}

/** Where an active adversary sits: each hook may rewrite what the provider answers or delivers. */
export interface ProviderInterceptor {
  fetchDevices?(requester: DeviceAddress, listing: DeviceListing): Promise<DeviceListing>;
  fetchBundle?(requester: DeviceAddress, response: BundleResponse): Promise<BundleResponse>;
  fetchRoster?(requester: DeviceAddress, roster: Roster): Promise<Roster>;
  /**
   * The envelopes actually delivered in place of `envelope` (none drops it; several replay or
   * forge). Not asked about what its owner hands over itself (`send` with `intercept: false`).
   */
  deliver?(envelope: Envelope): Promise<Envelope[]>;
}

/** One thing the provider stored or processed; the `server` adversary holds all of them. */
export interface StoredItem {
  readonly step: number;
  readonly kind: 'bundle' | 'one-time-key' | 'device-list' | 'roster' | 'envelope';
  readonly owner: string;
  readonly bytes: Uint8Array;
  /** For an envelope: the upload (one request of a client) it came in, numbered from 1. */
  readonly upload?: number;
  /** For a roster: the members the provider was given, which it routes by (signed or not, it reads them). */
  readonly members?: readonly string[];
}

/**
 * One delivery the provider made (SPEC §4 `timing`: it sees when it hands each envelope to a
 * device): of the stored envelope `stored[item]`, at `step`, after `storedBefore` items were
 * stored (so a reader can place it among them: a receipt a delivery draws is stored after it).
 * An envelope queued for an offline device is delivered when the device comes back.
 */
export interface Delivery {
  readonly step: number;
  readonly item: number;
  readonly storedBefore: number;
}

/** A stored item whose bytes sit in the wire log's arena; `bytes` is a fresh view on each read. */
class ArenaItem implements StoredItem {
  constructor(
    readonly step: number,
    readonly kind: StoredItem['kind'],
    readonly owner: string,
    private readonly chunk: Uint8Array,
    private readonly offset: number,
    private readonly length: number,
    readonly upload?: number,
    readonly members?: readonly string[],
  ) {}

  get bytes(): Uint8Array {
    return this.chunk.subarray(this.offset, this.offset + this.length);
  }
}

interface DeviceEntry {
  bundle: Uint8Array;
  pools: Map<string, Uint8Array[]>;
}

interface UserEntry {
  devices: Map<string, DeviceEntry>;
  signedList: Uint8Array | null;
}

interface RosterEntry {
  admin: string;
  members: string[];
  signed: Uint8Array | null;
}

export interface ProviderEvents {
  /** Hand an envelope to the recipient's client; `upload` is the upload of the stored envelope it is (or stands in for). */
  deliver(envelope: Envelope, wireBody: Uint8Array, upload?: number): Promise<void>;
  /** A client uploaded envelopes (ground truth of whom it encrypted to). */
  uploaded?(from: DeviceAddress, envelopes: OutgoingEnvelope[], upload: number): void;
}

export class ProviderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProviderError';
  }
}

export class Provider {
  /** Uploads so far: each `send` request is one. */
  #uploads = 0;
  readonly #users = new Map<string, UserEntry>();
  readonly #rosters = new Map<string, RosterEntry>();
  readonly #mailboxes = new Map<DeviceAddress, Envelope[]>();
  readonly #offline = new Set<DeviceAddress>();
  /** Everything it stored or processed, all run long. */
  readonly stored: StoredItem[] = [];
  /** Every delivery to a device, in order. */
  readonly deliveries: Delivery[] = [];
  /** The stored item an envelope in the provider's hands is (one an interceptor delivers in a stored one's place counts as it). */
  readonly #itemOf = new WeakMap<Envelope, number>();
  /** The public directory at every point of the run, for readers that look back. */
  readonly #history = new DirectoryHistory();
  interceptor: ProviderInterceptor | null = null;
  /**
   * How many uploads sent with `intercept: false` are being handed over just now. What a
   * client uploads while it takes one in (a delivery receipt) answers it, and passes the
   * interceptor too: the answer comes through the client's own connection (from another
   * process, for a command client), so only the moment ties it to the upload that drew it.
   */
  #uninterceptedUploads = 0;
  /** Devices with a second connection registered as them (a clone the provider lets in), and where its copies go. */
  readonly #twins = new Map<DeviceAddress, (envelope: Envelope, wireBody: Uint8Array) => Promise<void>>();

  constructor(
    readonly wire: WireLog,
    readonly logic: ServerLogic | null,
    readonly events: ProviderEvents,
  ) {}

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
    this.#twins.set(device, receive);
    return new Connection(this, device);
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
    const { user, device } = split(address);
    const entry = this.#users.get(user)?.devices.get(device);
    if (!entry) throw new ProviderError(`no such device: ${address}`);
    return entry.bundle;
  }

  /** A device's bundle without taking a one-time key, as anyone may look it up (now, or as of wire record `asOf`). */
  peekBundle(address: DeviceAddress, asOf = Number.POSITIVE_INFINITY): BundleResponse {
    const oneTimeKeys: Record<string, Uint8Array | null> = {};
    if (asOf === Number.POSITIVE_INFINITY) return { address, bundle: this.bundleOf(address), oneTimeKeys };
    const bundle = this.#history.bundle(address, asOf);
    if (!bundle) throw new ProviderError(`no such device: ${address}`);
    return { address, bundle, oneTimeKeys };
  }

  /** How many keys are left in each of a device's one-time key pools (PQXDH §3.2: the server tells a device when its stock runs low). */
  countOneTimeKeys(address: DeviceAddress): Record<string, number> {
    const { user, device } = split(address);
    const entry = this.#users.get(user)?.devices.get(device);
    if (!entry) throw new ProviderError(`no such device: ${address}`);
    return Object.fromEntries([...entry.pools].map(([pool, keys]) => [pool, keys.length]));
  }

  // --- directory -------------------------------------------------------------------

  publishKeys(from: DeviceAddress, upload: KeyUpload): void {
    const { user, device } = split(from);
    const entry = this.#user(user);
    const existing = entry.devices.get(device);
    const pools = existing?.pools ?? new Map<string, Uint8Array[]>();
    for (const [pool, keys] of Object.entries(upload.oneTimeKeys ?? {})) {
      pools.set(pool, [...(pools.get(pool) ?? []), ...keys]);
      for (const key of keys) this.#store('one-time-key', from, key);
    }
    entry.devices.set(device, { bundle: upload.bundle, pools });
    this.#store('bundle', from, upload.bundle);
    this.#history.bundleChanged(this.#version(), from, upload.bundle);
    if (!existing) this.#listingChanged(user);
  }

  publishDeviceList(from: DeviceAddress, signedList: Uint8Array): void {
    const { user } = split(from);
    this.#user(user).signedList = signedList;
    this.#store('device-list', from, signedList);
    this.#listingChanged(user);
  }

  /** A user's devices as the provider lists them: now, or as of wire record `asOf`. */
  async fetchDevices(requester: DeviceAddress, user: string, asOf = Number.POSITIVE_INFINITY): Promise<DeviceListing> {
    const live = this.#users.get(user);
    const entry = asOf === Number.POSITIVE_INFINITY ? live && { devices: [...live.devices.keys()], signedList: live.signedList } : this.#history.listing(user, asOf);
    if (!entry) throw new ProviderError(`no such user: ${user}`);
    const listing: DeviceListing = { user, devices: [...entry.devices], signedList: entry.signedList };
    return this.interceptor?.fetchDevices ? this.interceptor.fetchDevices(requester, listing) : listing;
  }

  async fetchBundle(requester: DeviceAddress, address: DeviceAddress): Promise<BundleResponse> {
    const { user, device } = split(address);
    const entry = this.#users.get(user)?.devices.get(device);
    if (!entry) throw new ProviderError(`no such device: ${address}`);
    const oneTimeKeys: Record<string, Uint8Array | null> = {};
    // Each one-time key is handed out once, then forgotten (X3DH §3.3).
    for (const [pool, keys] of entry.pools) oneTimeKeys[pool] = keys.shift() ?? null;
    const response: BundleResponse = { address, bundle: entry.bundle, oneTimeKeys };
    return this.interceptor?.fetchBundle ? this.interceptor.fetchBundle(requester, response) : response;
  }

  removeDevice(from: DeviceAddress, device: string): void {
    const { user } = split(from);
    const address = `${user}.${device}` as DeviceAddress;
    this.#user(user).devices.delete(device);
    this.#mailboxes.delete(address);
    this.#history.bundleChanged(this.#version(), address, null);
    this.#listingChanged(user);
  }

  hasDevice(address: DeviceAddress): boolean {
    const { user, device } = split(address);
    return this.#users.get(user)?.devices.has(device) ?? false;
  }

  // --- rosters ---------------------------------------------------------------------

  /** A group's roster as the provider serves it: now, or as of wire record `asOf`. */
  async fetchRoster(requester: DeviceAddress, group: string, asOf = Number.POSITIVE_INFINITY): Promise<Roster> {
    const entry = asOf === Number.POSITIVE_INFINITY ? this.#rosters.get(group) : this.#history.roster(group, asOf);
    if (!entry) throw new ProviderError(`no such group: ${group}`);
    const roster: Roster = { group, admin: entry.admin, members: [...entry.members], signed: entry.signed };
    return this.interceptor?.fetchRoster ? this.interceptor.fetchRoster(requester, roster) : roster;
  }

  publishRoster(from: DeviceAddress, group: string, members: string[], signed: Uint8Array | null): void {
    const { user } = split(from);
    const existing = this.#rosters.get(group);
    if (existing && existing.admin !== user) {
      throw new ProviderError(`${user} is not the admin of ${group}`);
    }
    const roster: RosterEntry = { admin: existing?.admin ?? user, members: [...members], signed };
    this.#rosters.set(group, roster);
    this.#store('roster', group, signed ?? encodeWire({ group, members }), undefined, [...members]);
    this.#history.rosterChanged(this.#version(), group, { ...roster, members: [...members] });
  }

  // --- mailbox ---------------------------------------------------------------------

  /**
   * Stores and hands over an upload of `from`'s. `intercept: false` is for the interceptor's
   * owner handing over envelopes of its own (a forgery, an envelope it held back): its
   * `deliver` hook would otherwise meet them again, as if a client had uploaded them.
   */
  async send(from: DeviceAddress, envelopes: OutgoingEnvelope[], { intercept = true }: { intercept?: boolean } = {}): Promise<void> {
    if (intercept && this.#uninterceptedUploads === 0) return this.#send(from, envelopes, true);
    this.#uninterceptedUploads++;
    try {
      await this.#send(from, envelopes, false);
    } finally {
      this.#uninterceptedUploads--;
    }
  }

  async #send(from: DeviceAddress, envelopes: OutgoingEnvelope[], intercepted: boolean): Promise<void> {
    const upload = ++this.#uploads;
    this.events.uploaded?.(from, envelopes, upload);
    for (const outgoing of envelopes) {
      if (!this.hasDevice(outgoing.to)) throw new ProviderError(`no such device: ${outgoing.to}`);
      // A sealed-sender envelope reaches the provider without its sender's identity.
      const uploaded: Envelope = { from: outgoing.sealed ? SEALED_SENDER : from, to: outgoing.to, body: outgoing.body };
      const body = this.logic ? await this.logic.acceptUpload(uploaded) : uploaded.body;
      const stored: Envelope = { ...uploaded, body };
      this.#store('envelope', uploaded.from, encodeMsgpackTransient(stored), upload); // copied by #store
      const item = this.stored.length - 1;
      this.#itemOf.set(stored, item);
      const deliveries = intercepted && this.interceptor?.deliver ? await this.interceptor.deliver(stored) : [stored];
      // An envelope the interceptor held back and hands over now is the stored item it was; one
      // it made in this envelope's place stands for this one.
      for (const envelope of deliveries) await this.#route(envelope, this.#itemOf.get(envelope) ?? item);
    }
  }

  setOnline(address: DeviceAddress, online: boolean): Promise<void> {
    if (!online) {
      this.#offline.add(address);
      return Promise.resolve();
    }
    this.#offline.delete(address);
    return this.#flush(address);
  }

  isOnline(address: DeviceAddress): boolean {
    return !this.#offline.has(address);
  }

  /** Envelopes waiting for an offline device. */
  queued(address: DeviceAddress): readonly Envelope[] {
    return this.#mailboxes.get(address) ?? [];
  }

  async #route(envelope: Envelope, item: number): Promise<void> {
    if (this.#offline.has(envelope.to)) {
      const box = this.#mailboxes.get(envelope.to) ?? [];
      box.push(envelope);
      this.#mailboxes.set(envelope.to, box);
      this.#itemOf.set(envelope, item);
    } else {
      await this.#deliverNow(envelope, item);
    }
    const twin = this.#twins.get(envelope.to);
    if (twin) {
      const body = this.logic ? await this.logic.prepareDelivery(envelope) : envelope.body;
      this.wire.record('down', envelope.to, 'deliver', { from: envelope.from, to: envelope.to, body });
      await twin(envelope, body);
    }
  }

  async #flush(address: DeviceAddress): Promise<void> {
    const box = this.#mailboxes.get(address);
    if (!box) return;
    this.#mailboxes.delete(address);
    for (const envelope of box) await this.#deliverNow(envelope, this.#itemOf.get(envelope)!);
  }

  async #deliverNow(envelope: Envelope, item: number): Promise<void> {
    this.deliveries.push({ step: this.wire.step, item, storedBefore: this.stored.length });
    const body = this.logic ? await this.logic.prepareDelivery(envelope) : envelope.body;
    this.wire.record('down', envelope.to, 'deliver', { from: envelope.from, to: envelope.to, body });
    await this.events.deliver(envelope, body, this.stored[item]?.upload);
  }

  /** The version of a directory change: reads made from this wire position on see it. */
  #version(): number {
    return this.wire.records.length;
  }

  #listingChanged(user: string): void {
    const entry = this.#user(user);
    this.#history.listingChanged(this.#version(), user, { devices: [...entry.devices.keys()], signedList: entry.signedList });
  }

  #user(user: string): UserEntry {
    let entry = this.#users.get(user);
    if (!entry) {
      entry = { devices: new Map(), signedList: null };
      this.#users.set(user, entry);
    }
    return entry;
  }

  #store(kind: StoredItem['kind'], owner: string, bytes: Uint8Array, upload?: number, members?: readonly string[]): void {
    const { chunk, offset } = this.wire.arena.place(bytes);
    this.stored.push(new ArenaItem(this.wire.step, kind, owner, chunk, offset, bytes.length, upload, members));
  }
}

/** One device's connection: records each request and response on the wire, then asks the provider. */
class Connection implements ProviderApi {
  constructor(
    private readonly provider: Provider,
    private readonly device: DeviceAddress,
  ) {}

  async publishKeys(upload: KeyUpload): Promise<void> {
    this.#up('publish-keys', upload);
    this.provider.publishKeys(this.device, upload);
  }

  async publishDeviceList(signedList: Uint8Array): Promise<void> {
    this.#up('publish-device-list', { signedList });
    this.provider.publishDeviceList(this.device, signedList);
  }

  async fetchDevices(user: string): Promise<DeviceListing> {
    this.#up('fetch-devices', { user });
    return this.#down('fetch-devices', await this.provider.fetchDevices(this.device, user));
  }

  async fetchBundle(address: DeviceAddress): Promise<BundleResponse> {
    this.#up('fetch-bundle', { address });
    return this.#down('fetch-bundle', await this.provider.fetchBundle(this.device, address));
  }

  async send(envelopes: OutgoingEnvelope[]): Promise<void> {
    this.#up('send', envelopes);
    await this.provider.send(this.device, envelopes);
  }

  async countOneTimeKeys(): Promise<Record<string, number>> {
    this.#up('count-one-time-keys', {});
    return this.#down('count-one-time-keys', this.provider.countOneTimeKeys(this.device));
  }

  async fetchRoster(group: string): Promise<Roster> {
    this.#up('fetch-roster', { group });
    return this.#down('fetch-roster', await this.provider.fetchRoster(this.device, group));
  }

  async publishRoster(group: string, members: string[], signed: Uint8Array | null): Promise<void> {
    this.#up('publish-roster', { group, members, signed });
    this.provider.publishRoster(this.device, group, members, signed);
  }

  async removeDevice(device: string): Promise<void> {
    this.#up('remove-device', { device });
    this.provider.removeDevice(this.device, device);
  }

  #up(op: string, payload: unknown): void {
    this.provider.wire.record('up', this.device, op, payload);
  }

  #down<T>(op: string, payload: T): T {
    this.provider.wire.record('down', this.device, op, payload);
    return payload;
  }
}

/** The public directory as anyone may read it: no wire, no side effects, no sending. */
class DirectoryReader implements ProviderApi {
  constructor(
    private readonly provider: Provider,
    private readonly asOf: () => number,
  ) {}

  async fetchDevices(user: string): Promise<DeviceListing> {
    return this.provider.fetchDevices(OBSERVER, user, this.asOf());
  }

  async fetchBundle(address: DeviceAddress): Promise<BundleResponse> {
    return this.provider.peekBundle(address, this.asOf());
  }

  async fetchRoster(group: string): Promise<Roster> {
    return this.provider.fetchRoster(OBSERVER, group, this.asOf());
  }

  /** A device's own query: a restored device cannot make it. */
  countOneTimeKeys(): Promise<Record<string, number>> {
    return refuse();
  }

  publishKeys(): Promise<void> {
    return refuse();
  }

  publishDeviceList(): Promise<void> {
    return refuse();
  }

  send(): Promise<void> {
    return refuse();
  }

  publishRoster(): Promise<void> {
    return refuse();
  }

  removeDevice(): Promise<void> {
    return refuse();
  }
}

const OBSERVER = 'observer.directory' as DeviceAddress;

function refuse(): Promise<never> {
  return Promise.reject(new ProviderError('a restored device cannot act on the provider'));
}
