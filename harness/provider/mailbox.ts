/**
 * The provider's store and forward: each uploaded envelope is stored, passed through the
 * design's server logic and an active adversary's interceptor, then delivered at once to an
 * online device or queued until an offline one comes back. Every delivery is recorded.
 */
import type { DeviceAddress } from '../scenario/types.ts';
import type { WireLog } from './wire.ts';
import { encodeMsgpackTransient } from '../msgpack.ts';
import type { Envelope, OutgoingEnvelope } from './api.ts';
import { SEALED_SENDER } from './api.ts';
import type { ProviderEvents, ProviderInterceptor, ServerLogic } from './server-hooks.ts';
import type { ItemStore } from './stored-items.ts';
import { ProviderError } from './provider-error.ts';

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

/** What the mailbox reads from the provider it belongs to (the provider itself). */
export interface MailboxHost {
  readonly wire: WireLog;
  readonly logic: ServerLogic | null;
  readonly events: ProviderEvents;
  /** Read at each upload: an adversary installs its interceptor after the provider is made. */
  readonly interceptor: ProviderInterceptor | null;
  hasDevice(address: DeviceAddress): boolean;
}

export class Mailbox {
  /** Uploads so far: each `send` request is one. */
  #uploads = 0;
  readonly #queues = new Map<DeviceAddress, Envelope[]>();
  readonly #offline = new Set<DeviceAddress>();
  /** The stored item an envelope in the provider's hands is (one an interceptor delivers in a stored one's place counts as it). */
  readonly #itemOf = new WeakMap<Envelope, number>();
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
    private readonly host: MailboxHost,
    private readonly store: ItemStore,
    /** Every delivery to a device, in order (`Provider.deliveries`). */
    private readonly deliveries: Delivery[],
  ) {}

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
    const { logic, events } = this.host;
    const upload = ++this.#uploads;
    events.uploaded?.(from, envelopes, upload);
    for (const outgoing of envelopes) {
      if (!this.host.hasDevice(outgoing.to)) throw new ProviderError(`no such device: ${outgoing.to}`);
      // A sealed-sender envelope reaches the provider without its sender's identity.
      const uploaded: Envelope = { from: outgoing.sealed ? SEALED_SENDER : from, to: outgoing.to, body: outgoing.body };
      const body = logic ? await logic.acceptUpload(uploaded) : uploaded.body;
      const stored: Envelope = { ...uploaded, body };
      this.store.add('envelope', uploaded.from, encodeMsgpackTransient(stored), upload); // copied by the store
      const item = this.store.items.length - 1;
      this.#itemOf.set(stored, item);
      const interceptor = this.host.interceptor;
      const deliveries = intercepted && interceptor?.deliver ? await interceptor.deliver(stored) : [stored];
      // An envelope the interceptor held back and hands over now is the stored item it was; one
      // it made in this envelope's place stands for this one.
      for (const envelope of deliveries) await this.#route(envelope, this.#itemOf.get(envelope) ?? item);
    }
  }

  /** Every envelope routed to `device` is handed to `receive` as well, at once. */
  addTwin(device: DeviceAddress, receive: (envelope: Envelope, wireBody: Uint8Array) => Promise<void>): void {
    this.#twins.set(device, receive);
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
    return this.#queues.get(address) ?? [];
  }

  /** Drops what waits for a device that was removed. */
  forget(address: DeviceAddress): void {
    this.#queues.delete(address);
  }

  async #route(envelope: Envelope, item: number): Promise<void> {
    if (this.#offline.has(envelope.to)) {
      const box = this.#queues.get(envelope.to) ?? [];
      box.push(envelope);
      this.#queues.set(envelope.to, box);
      this.#itemOf.set(envelope, item);
    } else {
      await this.#deliverNow(envelope, item);
    }
    const twin = this.#twins.get(envelope.to);
    if (twin) {
      const { logic, wire } = this.host;
      const body = logic ? await logic.prepareDelivery(envelope) : envelope.body;
      wire.record('down', envelope.to, 'deliver', { from: envelope.from, to: envelope.to, body }, true);
      await twin(envelope, body);
    }
  }

  async #flush(address: DeviceAddress): Promise<void> {
    const box = this.#queues.get(address);
    if (!box) return;
    this.#queues.delete(address);
    for (const envelope of box) await this.#deliverNow(envelope, this.#itemOf.get(envelope)!);
  }

  async #deliverNow(envelope: Envelope, item: number): Promise<void> {
    const { logic, wire, events } = this.host;
    const stored = this.store.items;
    this.deliveries.push({ step: wire.step, item, storedBefore: stored.length });
    const body = logic ? await logic.prepareDelivery(envelope) : envelope.body;
    wire.record('down', envelope.to, 'deliver', { from: envelope.from, to: envelope.to, body });
    await events.deliver(envelope, body, stored[item]?.upload);
  }
}
