/**
 * What a client may ask of the provider, and what the provider hands back (SPEC "Principles
 * for the inside": the directory, mailbox and group rosters belong to the harness, so every
 * attack works on every design through the same interfaces). Key material is opaque bytes:
 * each design encodes its own bundles, device lists and rosters.
 */
import type { DeviceAddress } from '../scenario/types.ts';

export interface KeyUpload {
  /** The device's long-lived public bundle (identity key, signed prekeys, ...). */
  bundle: Uint8Array;
  /** Pools of one-time keys, each handed out at most once (e.g. `prekey`, `kyber`). */
  oneTimeKeys?: Record<string, Uint8Array[]>;
}

export interface BundleResponse {
  address: DeviceAddress;
  bundle: Uint8Array;
  /** One key from each pool of the device, or null when that pool is empty. */
  oneTimeKeys: Record<string, Uint8Array | null>;
}

export interface DeviceListing {
  user: string;
  /** The devices the provider has registered for the user, primary first. */
  devices: string[];
  /** The user's own signed device list as last published, if the design signs one. */
  signedList: Uint8Array | null;
}

export interface Roster {
  group: string;
  admin: string;
  /** The members as the provider has them. */
  members: string[];
  /** The admin's signed roster as last published, if the design signs one. */
  signed: Uint8Array | null;
}

export interface OutgoingEnvelope {
  to: DeviceAddress;
  body: Uint8Array;
  /** Sent without the sender's identity (sealed sender): the provider stores and delivers it naming `SEALED_SENDER` as its sender. */
  sealed?: true;
}

/** The sender a sealed-sender envelope names: no user has an empty name, so it is no device's address. */
export const SEALED_SENDER = '.sealed' as DeviceAddress;

/** An envelope as the provider delivers it; `from` is the uploading connection. */
export interface Envelope {
  from: DeviceAddress;
  to: DeviceAddress;
  body: Uint8Array;
}

/** A client's connection to the provider. Every call crosses the wire and is recorded. */
export interface ProviderApi {
  publishKeys(upload: KeyUpload): Promise<void>;
  publishDeviceList(signedList: Uint8Array): Promise<void>;
  fetchDevices(user: string): Promise<DeviceListing>;
  fetchBundle(address: DeviceAddress): Promise<BundleResponse>;
  send(envelopes: OutgoingEnvelope[]): Promise<void>;
  fetchRoster(group: string): Promise<Roster>;
  /** Admin only: set a group's members (and the signed roster, if the design signs one). */
  publishRoster(group: string, members: string[], signed: Uint8Array | null): Promise<void>;
  /** A user's device removes another device of the same user. */
  removeDevice(device: string): Promise<void>;
  /** How many of this device's one-time keys the provider has left, per pool (PQXDH §3.2: so it refills them when they run low). */
  countOneTimeKeys(): Promise<Record<string, number>>;
}
