/**
 * How far a client takes the provider's word on which devices a user has and who is in a
 * group, beyond what the user's signed device list and the admin's signed roster vouch for.
 * The honest client takes nothing more. The ghost client (the GCHQ "ghost user" proposal,
 * Levy & Robinson 2018) also takes whatever else the provider lists, silently, and lets such
 * a device present any identity; devices on the signed list are still checked against it.
 */
import type { DeviceAddress } from '../../harness/scenario/types.ts';
import { userOf } from '../shared/pairwise-client.ts';

/** The devices the user's last verified signed list vouches for, if one was verified. */
export type VouchedDevicesOf = (user: string) => readonly DeviceAddress[] | undefined;

export interface DeviceTrustPolicy {
  /** A user's devices to encrypt to and accept from: those `vouched` for by its signed list, and those the policy adds of the devices the provider `listed` for it. */
  devicesToTake(user: string, vouched: DeviceAddress[], listed: readonly string[]): DeviceAddress[];
  /** Members the provider lists for a group beyond its signed roster, taken without telling the user. */
  membersTakenSilently(vouched: readonly string[], listed: readonly string[]): string[];
  /** Whether a device's prekey bundle may carry any identity, not only its user's. */
  acceptsAnyIdentity(device: DeviceAddress): boolean;
  /**
   * The same for a device starting a session, asked before its identity is checked. The ghost
   * reads the user's devices again first (`devicesOf`, the client's own step), so the
   * provider's latest listing decides.
   */
  acceptsAnyIdentityAtSessionStart(device: DeviceAddress, devicesOf: (user: string) => Promise<DeviceAddress[]>): Promise<boolean>;
}

/** The reference: only what the user and the group's admin signed. */
export class HonestDeviceTrust implements DeviceTrustPolicy {
  devicesToTake(_user: string, vouched: DeviceAddress[]): DeviceAddress[] {
    return vouched;
  }

  membersTakenSilently(): string[] {
    return [];
  }

  acceptsAnyIdentity(): boolean {
    return false;
  }

  async acceptsAnyIdentityAtSessionStart(): Promise<boolean> {
    return false;
  }
}

/** Ghost mode: also whatever the provider lists, without telling the user. */
export class GhostDeviceTrust implements DeviceTrustPolicy {
  constructor(private readonly vouchedDevicesOf: VouchedDevicesOf) {}

  devicesToTake(user: string, vouched: DeviceAddress[], listed: readonly string[]): DeviceAddress[] {
    const added = listed.map((device) => `${user}.${device}` as DeviceAddress).filter((device) => !vouched.includes(device));
    return [...vouched, ...added];
  }

  membersTakenSilently(vouched: readonly string[], listed: readonly string[]): string[] {
    return listed.filter((member) => !vouched.includes(member));
  }

  /** A device the provider added: one the user's signed list (verified before) does not vouch for. */
  acceptsAnyIdentity(device: DeviceAddress): boolean {
    const vouched = this.vouchedDevicesOf(userOf(device));
    return vouched !== undefined && !vouched.includes(device);
  }

  async acceptsAnyIdentityAtSessionStart(device: DeviceAddress, devicesOf: (user: string) => Promise<DeviceAddress[]>): Promise<boolean> {
    return (await devicesOf(userOf(device))).includes(device) && this.acceptsAnyIdentity(device);
  }
}

export function deviceTrustPolicy(trustProviderDeviceList: boolean, vouchedDevicesOf: VouchedDevicesOf): DeviceTrustPolicy {
  return trustProviderDeviceList ? new GhostDeviceTrust(vouchedDevicesOf) : new HonestDeviceTrust();
}
