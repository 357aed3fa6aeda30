/**
 * What plugs into the provider from outside the harness: a design's own server logic, an
 * active adversary's interceptor, and the events the world listens to.
 */
import type { DeviceAddress } from '../scenario/types.ts';
import type { BundleResponse, DeviceListing, Envelope, OutgoingEnvelope, Roster } from './api.ts';

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

export interface ProviderEvents {
  /** Hand an envelope to the recipient's client; `upload` is the upload of the stored envelope it is (or stands in for). */
  deliver(envelope: Envelope, wireBody: Uint8Array, upload?: number): Promise<void>;
  /** A client uploaded envelopes (ground truth of whom it encrypted to). */
  uploaded?(from: DeviceAddress, envelopes: OutgoingEnvelope[], upload: number): void;
}
