/**
 * One execution of a scenario on a design: the provider, every device's client, the wire,
 * the virtual clock, and the ground-truth ledger. It performs each step as users would and
 * writes down what really happened; adversaries watch through an `AdversaryView`.
 */
import type { Capability } from '../attacks/capabilities.ts';
import type { AdversaryView } from '../attacks/types.ts';
import type { BoxPrivateKey, BoxPublicKey } from '../targets/shared/sealed-box.ts';
import type { Client, ClientContext, Design, ScanAuthorityAccess } from '../targets/types.ts';
import type { CryptoBackend } from './crypto/backend.ts';
import { Ledger, pairKey, type MessageTruth } from './ledger.ts';
import { findMarkers, generatedText, markerFor } from './markers.ts';
import type { Envelope, OutgoingEnvelope } from './provider/api.ts';
import { Provider } from './provider/provider.ts';
import { decodeWire, WireLog } from './provider/wire.ts';
import type { Rng } from './rng.ts';
import { deviceAddress, splitAddress, type DeviceAddress, type Scenario, type Step } from './scenario/types.ts';
import { RejectionError } from './errors.ts';

/** The virtual clock: a fixed epoch, a minute per step, a millisecond per tick, plus every `wait`. */
const EPOCH = Date.UTC(2026, 0, 1);
/** How often an app on the network does its upkeep while time passes (`Client.maintain`). */
const UPKEEP_INTERVAL_MS = 24 * 60 * 60 * 1000;

export interface ViewGrants {
  capabilities: ReadonlySet<Capability>;
  /** The discrete-log oracle, for a view that grants `discrete-log-oracle`. */
  discreteLog?: (publicKey: Uint8Array) => Uint8Array | null;
}

export interface WorldOptions {
  design: Design;
  scenario: Scenario;
  crypto: CryptoBackend;
  rng: Rng;
  seed: number;
}

export class World {
  readonly ledger = new Ledger();
  readonly wire = new WireLog();
  readonly provider: Provider;
  readonly clients = new Map<DeviceAddress, Client>();
  readonly #options: WorldOptions;
  readonly #primary = new Map<string, DeviceAddress>();
  #step = -1;
  #ticks = 0;
  /** How far `wait` steps have moved the clock, in milliseconds. */
  #waited = 0;
  /** The escrow authority's key pair, for designs that have one. */
  readonly #escrow: { publicKey: BoxPublicKey; privateKey: BoxPrivateKey } | null;
  /** The scanning authority (key pair and match list), for designs that scan. */
  readonly #scan: ScanAuthority | null;
  /** The message whose send is under way, to attribute uploads to it. */
  #sending: MessageTruth | null = null;
  readonly #names = new Map<string, string>();

  constructor(options: WorldOptions) {
    this.#options = options;
    const { design, crypto, rng } = options;
    const logic = design.createServer?.({
      rng: rng.fork('server'),
      crypto,
      bundleOf: (address) => this.provider.bundleOf(address),
    });
    this.#escrow = design.escrowAuthority ? createEscrowAuthority(crypto, rng.fork('escrow-authority')) : null;
    this.#scan = design.scanning ? { keys: createEscrowAuthority(crypto, rng.fork('scan-authority')), list: [] } : null;
    this.provider = new Provider(this.wire, logic ?? null, {
      deliver: (envelope, body, upload) => this.#deliver(envelope, body, upload),
      uploaded: (from, envelopes, upload) => this.#uploaded(from, envelopes, upload),
    });
  }

  get step(): number {
    return this.#step;
  }

  now(): number {
    return EPOCH + this.#waited + (this.#step + 1) * 60_000 + this.#ticks++;
  }

  /** Register every initial device, then create the scenario's groups. */
  async setUp(): Promise<void> {
    const { scenario } = this.#options;
    for (const [user, devices] of Object.entries(scenario.users)) {
      for (const device of devices) await this.#addDevice(user, device);
    }
    for (const [group, definition] of Object.entries(scenario.groups)) {
      await this.#client(this.#primary.get(definition.admin)!).createGroup(group, definition.members);
      this.ledger.rosters.push({ group, step: -1, members: [...definition.members] });
    }
  }

  async perform(index: number, step: Step): Promise<void> {
    this.#step = index;
    this.wire.step = index;
    switch (step.kind) {
      case 'send':
        for (const message of step.messages) await this.#send(step, message.id, message.text);
        return;
      case 'delete':
        await this.#client(step.device).deleteMessages(step.ids);
        this.ledger.deletions.push({ device: step.device, step: index, ids: step.ids });
        return;
      case 'mark':
        return;
      case 'wait':
        // The apps on the network do their upkeep (key rotation, prekey refills) as time
        // passes, at least once a day, so a long wait rotates keys when they fall due.
        for (let left = step.ms; left > 0; left -= UPKEEP_INTERVAL_MS) {
          this.#waited += Math.min(left, UPKEEP_INTERVAL_MS);
          for (const [address, client] of this.clients) if (this.provider.isOnline(address)) await client.maintain?.();
        }
        return;
      case 'offline':
        await this.provider.setOnline(step.device, false);
        return;
      case 'online':
        await this.provider.setOnline(step.device, true);
        // Back on the network, the app catches up on the upkeep it missed.
        await this.clients.get(step.device)?.maintain?.();
        return;
      case 'verify':
        for (let i = 0; i < step.users.length; i++) {
          for (let j = i + 1; j < step.users.length; j++) await this.#verify(step.users[i]!, step.users[j]!);
        }
        return;
      case 'link-device':
        await this.#addDevice(step.user, step.device);
        return;
      case 'unlink-device': {
        const { user, device } = splitAddress(step.device);
        await this.#client(this.#primary.get(user)!).unlinkDevice(device);
        this.clients.delete(step.device);
        const lifetime = this.ledger.devices.find((d) => d.address === step.device && d.removedAt === null);
        if (lifetime) lifetime.removedAt = index;
        return;
      }
      case 'add-member':
      case 'remove-member': {
        const admin = this.#client(this.#primary.get(step.by)!);
        if (step.kind === 'add-member') await admin.addMember(step.group, step.user);
        else await admin.removeMember(step.group, step.user);
        const before = this.ledger.membersOf(step.group, index);
        const members = step.kind === 'add-member' ? [...before, step.user] : before.filter((m) => m !== step.user);
        this.ledger.rosters.push({ group: step.group, step: index, members });
        return;
      }
    }
  }

  /**
   * What an adversary is handed: exactly its capabilities (a member behind one it lacks
   * throws, so an attack cannot use more than its position gives it). With the oracle, the
   * device images it restores get it too, as `privateKeyOf` in their context.
   */
  view(design: Design, attackerRng: Rng, grants: ViewGrants): AdversaryView {
    const world = this;
    const { capabilities } = grants;
    const requires = (capability: Capability, what: string) => {
      if (!capabilities.has(capability)) throw new Error(`an adversary without ${capability} cannot use ${what}`);
    };
    const discreteLog = grants.discreteLog ?? null;
    const attackerContext = (address: DeviceAddress, rng: Rng, directoryAsOf?: () => number) => world.#context(address, world.provider.observer(directoryAsOf), rng, false);
    return {
      design,
      crypto: this.#options.crypto,
      capabilities,
      get wire() {
        requires('record-network', 'the network recording');
        return world.wire.records;
      },
      get providerStored() {
        requires('read-provider', "the provider's stored data");
        return world.provider.stored;
      },
      get providerDeliveries() {
        requires('read-provider', "the provider's deliveries");
        return world.provider.deliveries;
      },
      get provider() {
        requires('control-provider', 'the provider');
        return world.provider;
      },
      imageDevice: (address) => {
        if (!capabilities.has('device-image')) requires('member-state', 'a device image');
        return world.#client(address).exportState();
      },
      restoreDevice: (address, image, directoryAsOf) => {
        const context: ClientContext = world.#context(address, world.provider.observer(directoryAsOf), attackerRng.fork(`restore:${address}`), false);
        return design.restoreClient(discreteLog ? { ...context, privateKeyOf: discreteLog } : context, image);
      },
      deviceContext: (address, directoryAsOf) => attackerContext(address, attackerRng.fork(`device:${address}`), directoryAsOf),
      discreteLog: (publicKey) => {
        requires('discrete-log-oracle', 'the discrete-log oracle');
        return discreteLog?.(publicKey) ?? null;
      },
      registerAs: (address, receive) => {
        requires('register-as-device', 'a registration as a device');
        return world.provider.registerTwin(address, (envelope, body) => receive({ ...envelope, body }));
      },
      escrowPrivateKey: () => {
        requires('escrow-key', 'the escrow private key');
        return world.#escrow?.privateKey ?? null;
      },
      scanAuthority: () => {
        requires('match-list', 'the match list');
        const scan = world.#scan;
        const side = design.scanning;
        if (!scan || !side) return null;
        return {
          addToList: (fingerprint) => void scan.list.push(fingerprint),
          // The provider forwards to the authority the report each stored envelope carries.
          reports: () =>
            world.provider.stored.flatMap((item) => {
              const report = item.kind === 'envelope' ? side.reportIn(decodeWire<Envelope>(item.bytes)) : null;
              return report ? [report] : [];
            }),
          privateKey: scan.keys.privateKey,
        };
      },
    };
  }

  async #addDevice(user: string, device: string): Promise<void> {
    const address = deviceAddress(user, device);
    const client = this.#options.design.createClient(
      this.#context(address, this.provider.connect(address), this.#options.rng.fork(`device:${address}`), true),
    );
    const primary = this.#primary.get(user);
    const provisioning = primary ? await this.#client(primary).provisionDevice(device) : undefined;
    this.clients.set(address, client);
    if (!primary) this.#primary.set(user, address);
    await client.register(provisioning);
    this.ledger.devices.push({ address, user, addedAt: this.#step, removedAt: null });
  }

  /** A client's context; `shown`: the client is the user's own, so its alerts reach the report. */
  #context(address: DeviceAddress, provider: ClientContext['provider'], rng: Rng, shown: boolean): ClientContext {
    const { user, device } = splitAddress(address);
    return {
      alert: shown ? (kind, about, members) => this.ledger.alerts.push({ step: this.#step, user, device, kind, about, ...(members && members.length > 0 && { members: [...members] }) }) : () => {},
      note: shown ? (text) => this.ledger.notes.push(`step ${this.#step}: ${address}: ${text}`) : () => {},
      address,
      user,
      device,
      provider,
      rng,
      crypto: this.#options.crypto,
      now: () => this.now(),
      serverConfig: this.provider.logic?.clientConfig ?? null,
      escrowKey: this.#escrow?.publicKey ?? null,
      ...(this.#scan && { scanAuthority: scanAccess(this.#scan) }),
    };
  }

  async #send(step: Extract<Step, { kind: 'send' }>, id: string, text: string | null): Promise<void> {
    const { scenario, seed } = this.#options;
    const sender = splitAddress(step.from).user;
    const recipientUsers =
      step.to.kind === 'user' ? [step.to.user] : this.ledger.membersOf(step.to.group, this.#step);
    const others = recipientUsers.filter((u) => u !== sender);
    const intended = [...new Set([...others, sender])]
      .flatMap((u) => this.ledger.devicesOf(u, this.#step))
      .filter((d) => d !== step.from);
    const marker = markerFor(seed, scenario.name, id);
    const truth: MessageTruth = {
      id,
      marker,
      from: step.from,
      to: step.to.kind === 'user' ? step.to.user : step.to.group,
      toKind: step.to.kind,
      step: this.#step,
      // Exact-size copies: an array grown by `filter` or `push` keeps spare slots, and the
      // ledger keeps one of each per message for the whole run.
      recipientUsers: others.slice(),
      intended: intended.slice(),
      verified: others.length > 0 && others.every((u) => this.ledger.isVerified(sender, u, this.#step)),
      refused: null,
      encryptedTo: [],
    };
    this.ledger.addMessage(truth);
    const body = new TextEncoder().encode(`${text ?? generatedText(seed, scenario.name, id)} [${marker}]`);
    this.#sending = truth;
    try {
      const outcome = await this.#client(step.from).send({ id, to: step.to, body });
      if (!outcome.sent) {
        truth.refused = outcome.reason;
        this.ledger.notes.push(`step ${this.#step}: ${step.from} refused to send ${id}: ${outcome.reason}`);
      }
    } finally {
      this.#sending = null;
    }
  }

  async #verify(a: string, b: string): Promise<void> {
    const numberA = await this.#client(this.#primary.get(a)!).safetyNumber(b);
    const numberB = await this.#client(this.#primary.get(b)!).safetyNumber(a);
    if (numberA === null || numberB === null) {
      // Nothing to compare: the conversation goes on unverified.
      this.ledger.notes.push(`step ${this.#step}: ${this.#options.design.name} has no safety numbers; ${a} and ${b} could not verify`);
      return;
    }
    const matched = numberA === numberB;
    for (const [user, peer, number] of [[a, b, numberA], [b, a, numberB]] as const) {
      for (const device of this.ledger.devicesOf(user, this.#step)) {
        await this.#client(device).recordVerification(peer, matched, number);
      }
    }
    this.ledger.verifications.set(pairKey(a, b), { step: this.#step, matched });
    if (!matched) this.ledger.notes.push(`step ${this.#step}: safety numbers of ${a} and ${b} did not match`);
  }

  async #deliver(envelope: Envelope, body: Uint8Array, upload?: number): Promise<void> {
    const client = this.clients.get(envelope.to);
    if (!client) return;
    let received;
    try {
      received = await client.receive({ ...envelope, body });
    } catch (error) {
      // A refusal is a coded rejection; anything else (a TypeError, a library's internal error)
      // is the design crashing, which makes the run an `error` run (SPEC §1), never a refusal
      // that would pass for the design keeping its claims.
      if (!RejectionError.is(error)) throw new Error(`${envelope.to} crashed receiving an envelope from ${envelope.from} at step ${this.#step}: ${errorMessage(error)}`, { cause: error });
      this.ledger.rejections.push({ device: envelope.to, step: this.#step, from: envelope.from, reason: errorMessage(error), ...(upload !== undefined && { upload }) });
      return;
    }
    if (!received) return;
    // The strings a client decoded are replaced by the equal ones the ledger already holds
    // (one copy each, for the whole run), and the markers kept in an exact-size array.
    const { ledger } = this;
    this.ledger.acceptances.push({
      device: envelope.to,
      step: this.#step,
      claimedFrom: this.#interned(received.from),
      claimedId: ledger.messageById(received.id)?.id ?? received.id,
      group: received.group === null ? null : this.#interned(received.group),
      markers: findMarkers(received.body).map((marker) => ledger.messageByMarker(marker)?.marker ?? marker),
      envelopeDigest: Buffer.from(this.#options.crypto.sha256(body)).toString('base64'),
    });
  }

  #uploaded(from: DeviceAddress, envelopes: OutgoingEnvelope[], upload: number): void {
    // A client's connection records its upload on the wire just before the provider numbers it.
    const crossed = this.wire.records.at(-1);
    if (crossed && crossed.direction === 'up' && crossed.op === 'send' && crossed.device === from) this.ledger.uploadsOnWire.set(crossed.seq, upload);
    if (this.#sending?.from !== from) return;
    this.ledger.messageUploads.set(upload, this.#sending.id);
    // `concat` makes an exact-size array (`push` would leave spare slots in each message's list).
    this.#sending.encryptedTo = this.#sending.encryptedTo.concat(envelopes.map((e) => e.to));
    // Copies to the sender's own devices aside: which upload carried the message to its recipients.
    if (envelopes.some((e) => splitAddress(e.to).user !== splitAddress(from).user)) this.ledger.uploads.set(upload, this.#sending.id);
  }

  /** One copy of each address or group name the clients report, for the ledger. */
  #interned<T extends string>(name: T): T {
    const known = this.#names.get(name);
    if (known !== undefined) return known as T;
    this.#names.set(name, name);
    return name;
  }

  #client(address: DeviceAddress): Client {
    const client = this.clients.get(address);
    if (!client) throw new Error(`no client for ${address}`);
    return client;
  }
}

/** A scanning design's authority: its report key pair, and the match list the provider distributes for it. */
interface ScanAuthority {
  keys: { publicKey: BoxPublicKey; privateKey: BoxPrivateKey };
  list: Uint8Array[];
}

function scanAccess(scan: ScanAuthority): ScanAuthorityAccess {
  return { publicKey: scan.keys.publicKey, matchList: () => scan.list };
}

/** The escrow authority (a government agency) holds a hybrid X25519 + ML-KEM-768 key pair. */
function createEscrowAuthority(crypto: CryptoBackend, rng: Rng): { publicKey: BoxPublicKey; privateKey: BoxPrivateKey } {
  const x25519 = rng.bytes(32);
  const x25519Public = crypto.x25519PublicKey(x25519);
  const mlKem = crypto.mlKem768Keygen(rng.bytes(64));
  return { publicKey: { x25519: x25519Public, mlKem: mlKem.publicKey }, privateKey: { x25519, x25519Public, mlKem: mlKem.secretKey } };
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
