/**
 * A client's connection to the provider in the reference adapter: each `ProviderApi` call is
 * a `provider.*` call to keyhole (docs/client-protocol.md §5); keyhole's refusals come back as
 * `ProviderError`, as the in-process provider throws them.
 */
import type { BundleResponse, DeviceListing, KeyUpload, OutgoingEnvelope, ProviderApi, Roster } from '../provider/api.ts';
import { ProviderError } from '../provider/provider.ts';
import type { DeviceAddress } from '../scenario/types.ts';
import { callResultSchemas, toBase64 } from './messages.ts';
import type { SyncCaller } from './remote-rng.ts';

export interface Caller extends SyncCaller {
  call(op: string, fields: Record<string, unknown>): Promise<Record<string, unknown>>;
}

const nullable = (bytes: Uint8Array | null) => (bytes === null ? null : toBase64(bytes));

export class RemoteProvider implements ProviderApi {
  constructor(
    private readonly caller: Caller,
    private readonly handle: string,
  ) {}

  async #call<Op extends keyof typeof callResultSchemas>(op: Op, fields: Record<string, unknown>) {
    let answer;
    try {
      answer = await this.caller.call(op, { client: this.handle, ...fields });
    } catch (error) {
      if ((error as { code?: string }).code === 'provider') throw new ProviderError((error as Error).message);
      throw error;
    }
    return callResultSchemas[op].parse(answer) as ReturnType<(typeof callResultSchemas)[Op]['parse']>;
  }

  async publishKeys(upload: KeyUpload): Promise<void> {
    const oneTimeKeys = upload.oneTimeKeys && Object.fromEntries(Object.entries(upload.oneTimeKeys).map(([pool, keys]) => [pool, keys.map(toBase64)]));
    await this.#call('provider.publishKeys', { upload: { bundle: toBase64(upload.bundle), ...(oneTimeKeys && { oneTimeKeys }) } });
  }

  async publishDeviceList(signedList: Uint8Array): Promise<void> {
    await this.#call('provider.publishDeviceList', { signedList: toBase64(signedList) });
  }

  async fetchDevices(user: string): Promise<DeviceListing> {
    return (await this.#call('provider.fetchDevices', { user })).listing;
  }

  async fetchBundle(address: DeviceAddress): Promise<BundleResponse> {
    return (await this.#call('provider.fetchBundle', { address })).bundle;
  }

  async send(envelopes: OutgoingEnvelope[]): Promise<void> {
    await this.#call('provider.send', { envelopes: envelopes.map((e) => ({ to: e.to, body: toBase64(e.body), ...(e.sealed && { sealed: true }) })) });
  }

  async fetchRoster(group: string): Promise<Roster> {
    return (await this.#call('provider.fetchRoster', { group })).roster;
  }

  async publishRoster(group: string, members: string[], signed: Uint8Array | null): Promise<void> {
    await this.#call('provider.publishRoster', { group, members, signed: nullable(signed) });
  }

  async removeDevice(device: string): Promise<void> {
    await this.#call('provider.removeDevice', { device });
  }

  async countOneTimeKeys(): Promise<Record<string, number>> {
    return (await this.#call('provider.countOneTimeKeys', {})).counts;
  }
}
