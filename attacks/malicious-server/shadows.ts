/**
 * The malicious server's own clients: shadows (a victim user's devices as it impersonates
 * them: the same device names, an identity of its own) and ghosts (devices and a user of its
 * own, registered in the real directory). They are generic: clients of the target's own
 * design (`view.design.createClient`), registered, provisioned and driven only through the
 * `Client` interface, on a provider connection of the adversary's own (`ShadowApi`): a shadow
 * sees its own user's directory, which the adversary keeps on a private provider, and the
 * real directory for everyone else, and what it sends is captured instead of delivered.
 *
 * `Shadows` also does what the adversary does with them on the real provider: open what the
 * provider stored, and hand what they sealed to real devices as if the sender had uploaded it.
 */
import type { BundleResponse, DeviceListing, Envelope, KeyUpload, OutgoingEnvelope, ProviderApi, Roster } from '../../harness/provider/api.ts';
import { Provider } from '../../harness/provider/provider.ts';
import { WireLog } from '../../harness/provider/wire.ts';
import { splitAddress, type DeviceAddress } from '../../harness/scenario/types.ts';
import type { Client, ClientContext, OutgoingMessage, ReceivedMessage } from '../../targets/types.ts';
import type { AdversaryView, Holding } from '../types.ts';

/** The requester the adversary's own shadows use on the real provider: the interceptor lets it through untouched. */
export const SHADOW = 'malicious-server.shadow' as DeviceAddress;

export function userOf(address: DeviceAddress): string {
  return splitAddress(address).user;
}

/** A provider that belongs to the adversary alone: the shadow users' directory, or the ghosts'. */
function privateProvider(): Provider {
  return new Provider(new WireLog(), null, { deliver: async () => {} });
}

/** What a ghost publishes that also goes to the real directory. */
export interface Mirror {
  keys?: (upload: KeyUpload) => void;
  list?: (signedList: Uint8Array) => void;
}

/**
 * A shadow client's connection: its own user's directory is the adversary's (`own`), every
 * other user's the real one, read without the interceptor; what it sends is captured.
 */
export class ShadowApi implements ProviderApi {
  readonly outbox: OutgoingEnvelope[] = [];

  constructor(
    private readonly address: DeviceAddress,
    private readonly own: Provider,
    private readonly real: Provider,
    /** For a ghost: what it publishes also goes to the real directory. */
    private readonly mirror?: Mirror,
    /** The roster this shadow is shown for a group, given the real one (its own user's groups are the shadow's). */
    private readonly rosterFor: (real: Roster) => Promise<Roster> = async (real) => real,
  ) {}

  get #user(): string {
    return userOf(this.address);
  }

  async publishKeys(upload: KeyUpload): Promise<void> {
    this.own.publishKeys(this.address, upload);
    this.mirror?.keys?.(upload);
  }

  async publishDeviceList(signedList: Uint8Array): Promise<void> {
    this.own.publishDeviceList(this.address, signedList);
    this.mirror?.list?.(signedList);
  }

  fetchDevices(user: string): Promise<DeviceListing> {
    return (user === this.#user ? this.own : this.real).fetchDevices(SHADOW, user);
  }

  fetchBundle(address: DeviceAddress): Promise<BundleResponse> {
    return (userOf(address) === this.#user ? this.own : this.real).fetchBundle(SHADOW, address);
  }

  async send(envelopes: OutgoingEnvelope[]): Promise<void> {
    this.outbox.push(...envelopes);
  }

  async fetchRoster(group: string): Promise<Roster> {
    return this.rosterFor(await this.real.fetchRoster(SHADOW, group));
  }

  async publishRoster(group: string, members: string[], signed: Uint8Array | null): Promise<void> {
    this.own.publishRoster(this.address, group, members, signed);
  }

  async removeDevice(device: string): Promise<void> {
    this.own.removeDevice(this.address, device);
  }

  async countOneTimeKeys(): Promise<Record<string, number>> {
    return this.own.countOneTimeKeys(this.address);
  }
}

export interface Shadow {
  client: Client;
  api: ShadowApi;
}

/** A ghost: a shadow with an address of its own in the real directory. */
export type Ghost = Shadow & { address: DeviceAddress };

export class Shadows {
  /** The shadow users' directory (key-substitution). */
  readonly shadowDirectory = privateProvider();
  /** The ghosts' directory (ghost-device, ghost-member). */
  readonly #ghostDirectory = privateProvider();
  /** Its own devices in the real directory: never a client's, never a recipient of what it forges. */
  readonly #ghostAddresses = new Set<DeviceAddress>();
  /** What its shadows and ghosts opened. */
  readonly holdings: Holding[] = [];

  constructor(private readonly view: AdversaryView) {}

  get #real(): Provider {
    return this.view.provider;
  }

  /** Whether `address` is one of its ghosts. */
  isGhost(address: DeviceAddress): boolean {
    return this.#ghostAddresses.has(address);
  }

  /** A shadow of the real device `address`, shown `rosterFor` the rosters it fetches. */
  shadowClient(address: DeviceAddress, rosterFor: (real: Roster) => Promise<Roster>): Shadow {
    return this.#client(address, this.shadowDirectory, 'shadow', undefined, rosterFor);
  }

  /** A ghost at `address`, which counts as its own from now on; what it publishes is mirrored into the real directory. */
  ghostClient(address: DeviceAddress, mirror: Mirror): Ghost {
    this.#ghostAddresses.add(address);
    return { address, ...this.#client(address, this.#ghostDirectory, 'ghost', mirror) };
  }

  /** A fresh client of the target's design, on the adversary's own provider connection. */
  #client(address: DeviceAddress, own: Provider, kind: 'shadow' | 'ghost', mirror?: Mirror, rosterFor?: (real: Roster) => Promise<Roster>): Shadow {
    const api = new ShadowApi(address, own, this.#real, mirror, rosterFor);
    const base = this.view.deviceContext(address);
    const context: ClientContext = { ...base, provider: api, rng: base.rng.fork(`malicious-server:${kind}`) };
    return { client: this.view.design.createClient(context), api };
  }

  /** What a shadow would upload for this message: sealed by the design's own code, captured, not delivered. */
  async send(shadow: Shadow, message: OutgoingMessage): Promise<OutgoingEnvelope[]> {
    shadow.api.outbox.length = 0;
    const outcome = await shadow.client.send(message);
    const sent = outcome.sent ? [...shadow.api.outbox] : [];
    shadow.api.outbox.length = 0;
    return sent;
  }

  /** Open an envelope as the provider stored it with a shadow; what opens is a leak `via` this strategy. */
  async open(client: Client, envelope: Envelope, via: string): Promise<ReceivedMessage | null> {
    return (await this.tryOpen(client, envelope, via))?.received ?? null;
  }

  /** As `open`; null when the shadow rejects it (not sealed to it), `received: null` for a control message it took. */
  async tryOpen(client: Client, envelope: Envelope, via: string): Promise<{ received: ReceivedMessage | null } | null> {
    try {
      const logic = this.#real.logic;
      const body = logic ? await logic.prepareDelivery(envelope) : envelope.body;
      const received = await client.receive({ ...envelope, body });
      if (received) this.holdings.push({ bytes: received.body, via });
      return { received };
    } catch {
      return null; // not sealed to this shadow
    }
  }

  /** An envelope as the provider would store it had the sender uploaded it. */
  async stored(envelope: Envelope): Promise<Envelope> {
    const logic = this.#real.logic;
    return logic ? { ...envelope, body: await logic.acceptUpload(envelope) } : envelope;
  }

  /**
   * Hand forged envelopes to a user's real devices (any user's, for null), as if `from` had
   * uploaded them. They pass the adversary's own interceptor (`intercept: false`): it made them.
   */
  async inject(from: DeviceAddress, user: string | null, envelopes: OutgoingEnvelope[]): Promise<void> {
    const forged = envelopes.filter((e) => (user === null || userOf(e.to) === user) && !this.#ghostAddresses.has(e.to) && this.#real.hasDevice(e.to));
    if (forged.length === 0) return;
    await this.#real.send(from, forged, { intercept: false });
  }
}
