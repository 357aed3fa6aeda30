/**
 * The device list the account's primary device keeps: made at registration, a new version
 * for each device it links or unlinks, each signed with the identity key and published.
 * Linked devices keep none.
 */
import type { ClientContext } from '../types.ts';
import { signDeviceList, type DeviceList } from './device-list.ts';
import type { Identities } from './identities.ts';

export class OwnDeviceList {
  #list: DeviceList | null = null;

  constructor(
    private readonly context: ClientContext,
    private readonly identities: Identities,
  ) {}

  /** At the primary's registration: a list of this device alone. */
  async create(): Promise<void> {
    this.#list = { user: this.context.user, identity: this.identities.ownPublic, version: 1, devices: [this.context.device] };
    await this.#publish();
  }

  async add(device: string): Promise<void> {
    const list = this.#require();
    this.#list = { ...list, version: list.version + 1, devices: [...list.devices, device] };
    await this.#publish();
  }

  async remove(device: string): Promise<void> {
    const list = this.#require();
    this.#list = { ...list, version: list.version + 1, devices: list.devices.filter((d) => d !== device) };
    await this.#publish();
  }

  export(): DeviceList | null {
    return this.#list;
  }

  import(list: DeviceList | null): void {
    this.#list = list;
  }

  async #publish(): Promise<void> {
    await this.context.provider.publishDeviceList(signDeviceList(this.context.crypto, this.identities.own, this.#require()));
  }

  #require(): DeviceList {
    if (!this.#list) throw new Error(`${this.context.address} is not the primary device: it keeps no device list`);
    return this.#list;
  }
}
