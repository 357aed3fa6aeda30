/**
 * WhatsApp's client as its Encryption Overview describes it: the reference's X3DH without a
 * post-quantum KEM, the Double Ratchet, companion devices on a device list signed by the
 * primary's identity key, sender keys for groups whose participants the server manages (no
 * admin signature: clients take the server's list, and show a notice when it changes), and
 * security codes with key change notifications.
 */
import type { DeviceListing, ProviderApi } from '../../harness/provider/api.ts';
import type { AlertKind } from '../../harness/report/types.ts';
import type { DeviceAddress } from '../../harness/scenario/types.ts';
import { concatBytes, equalBytes } from '../shared/codec.ts';
import { openDeviceList } from '../signal/device-list.ts';
import { SignalClient, type SignalOptions } from '../signal/client.ts';
import type { ClientContext } from '../types.ts';
import { Notices } from './notices.ts';

export const WHATSAPP_OPTIONS: SignalOptions = {
  secureDelete: true,
  // "Initiating Session Setup": X3DH's Curve25519 agreements only, no ML-KEM secret.
  postQuantum: false,
  // "Group Messages": a member who leaves makes every participant start a new sender key.
  rotateSenderKeys: true,
  // The white paper describes no sealed sender: the server routes every message by its sender.
  sealedSender: false,
};

/** The notices this design's app shows on its own terms; the reference's versions of them are not shown twice. */
const OWN_NOTICES = new Set<AlertKind>(['identity-changed', 'new-device', 'member-added', 'member-removed']);

export class WhatsAppClient extends SignalClient {
  readonly #listings: ListingTap;
  readonly #notices: Notices;
  /** User -> the signed device list last turned into notices. */
  readonly #noticedLists = new Map<string, Uint8Array>();

  constructor(context: ClientContext, options: SignalOptions = WHATSAPP_OPTIONS) {
    const listings = new ListingTap(context.provider);
    super({ ...context, provider: listings, alert: (kind, about, members) => (OWN_NOTICES.has(kind) ? undefined : context.alert(kind, about, members)) }, options);
    this.#listings = listings;
    this.#notices = new Notices((kind, about, members) => context.alert(kind, about, members));
  }

  /** The devices the user's signed list vouches for; a changed identity key or a new device is shown. */
  protected override async devicesOf(user: string): Promise<DeviceAddress[]> {
    const devices = await super.devicesOf(user);
    const signed = this.#listings.last.get(user)?.signedList;
    const noticed = this.#noticedLists.get(user);
    if (signed && !(noticed && equalBytes(noticed, signed))) {
      const { identity } = openDeviceList(this.context.crypto, signed, user);
      this.#notices.deviceList(user, concatBytes(identity.dh, identity.signing), devices);
      this.#noticedLists.set(user, signed);
    }
    return devices;
  }

  /** Groups have no admin signature: the participants are whoever the server lists. */
  protected override async signRoster(): Promise<Uint8Array | null> {
    return null;
  }

  protected override async groupMembers(group: string): Promise<string[]> {
    const { members } = await this.context.provider.fetchRoster(group);
    this.#notices.members(group, members);
    return members;
  }

  protected override async setMembers(group: string, members: string[]): Promise<void> {
    await super.setMembers(group, members);
    this.#notices.members(group, members, true);
  }
}

/** The device's connection, remembering the last device listing it was served per user. */
class ListingTap implements ProviderApi {
  readonly last = new Map<string, DeviceListing>();

  constructor(private readonly provider: ProviderApi) {}

  async fetchDevices(user: string): Promise<DeviceListing> {
    const listing = await this.provider.fetchDevices(user);
    this.last.set(user, listing);
    return listing;
  }

  publishKeys: ProviderApi['publishKeys'] = (upload) => this.provider.publishKeys(upload);
  publishDeviceList: ProviderApi['publishDeviceList'] = (signedList) => this.provider.publishDeviceList(signedList);
  fetchBundle: ProviderApi['fetchBundle'] = (address) => this.provider.fetchBundle(address);
  send: ProviderApi['send'] = (envelopes) => this.provider.send(envelopes);
  fetchRoster: ProviderApi['fetchRoster'] = (group) => this.provider.fetchRoster(group);
  publishRoster: ProviderApi['publishRoster'] = (group, members, signed) => this.provider.publishRoster(group, members, signed);
  removeDevice: ProviderApi['removeDevice'] = (device) => this.provider.removeDevice(device);
  countOneTimeKeys: ProviderApi['countOneTimeKeys'] = () => this.provider.countOneTimeKeys();
}
