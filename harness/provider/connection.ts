/**
 * One device's connection to the provider: the `ProviderApi` a client holds. Each request and
 * each response crosses the wire log (and so is recorded) before the provider serves it.
 */
import type { DeviceAddress } from '../scenario/types.ts';
import type { BundleResponse, DeviceListing, KeyUpload, OutgoingEnvelope, ProviderApi, Roster } from './api.ts';
import type { Provider } from './provider.ts';

/** One device's connection: records each request and response on the wire, then asks the provider. */
export class Connection implements ProviderApi {
  constructor(
    private readonly provider: Provider,
    private readonly device: DeviceAddress,
    /**
     * A second connection registered as the device (a clone's, the adversary's own): a tap
     * sees it apart, and its uploads pass the adversary's interceptor untouched.
     */
    private readonly twin = false,
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
    await this.provider.send(this.device, envelopes, { intercept: !this.twin });
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
    this.provider.wire.record('up', this.device, op, payload, this.twin);
  }

  #down<T>(op: string, payload: T): T {
    this.provider.wire.record('down', this.device, op, payload, this.twin);
    return payload;
  }
}
