/**
 * The public directory as anyone may read it, now or as it stood at an earlier wire position:
 * the `ProviderApi` of a device restored into an adversary's hands, which may look keys and
 * rosters up but cannot act on the provider.
 */
import type { DeviceAddress } from '../scenario/types.ts';
import type { BundleResponse, DeviceListing, ProviderApi, Roster } from './api.ts';
import type { Provider } from './provider.ts';
import { ProviderError } from './provider-error.ts';

/** The public directory as anyone may read it: no wire, no side effects, no sending. */
export class DirectoryReader implements ProviderApi {
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

/** The requester an interceptor sees for a read through the directory reader: no device of the run. */
const OBSERVER = 'observer.directory' as DeviceAddress;

function refuse(): Promise<never> {
  return Promise.reject(new ProviderError('a restored device cannot act on the provider'));
}
