/**
 * The `matrix` client: one `OlmMachine` of matrix-sdk-crypto (vodozemac's Olm and Megolm)
 * per device, keyhole playing the homeserver (`Homeserver`).
 *
 * - Rooms are groups; a one-to-one conversation is a direct room of its two users. Room
 *   membership is what the homeserver serves (the provider's roster): Matrix has no
 *   member-signed membership, so the machine shares room keys with whoever the server lists.
 * - Sending: `sendInRoom` (room-send.ts), with the variant's `CollectStrategy`.
 * - Receiving: to-device messages go through `receiveSyncChanges`; room events through
 *   `decryptRoomEvent` with the variant's `TrustRequirement`. The sender is the one the
 *   library reports; its shield (`shieldState`, shield.ts) and decryption errors become the
 *   app's alerts, with the library's code and message in the run's notes. The timeline keeps
 *   an event once (by event id), as every Matrix client's does.
 * - Users' devices are cross-signed: the primary bootstraps cross-signing; a linked device
 *   imports the cross-signing keys (what QR login hands over) and signs itself. `verify`
 *   is what follows a successful verification: the peer's identity is signed with the
 *   user-signing key. A mismatch makes the app refuse to send to that user (SPEC §2).
 * - The device image is the machine's IndexedDB store (encrypted with its passphrase, which
 *   the app keeps on the device too) and the message history.
 */
import { RejectionError } from '../../harness/errors.ts';
import type { Envelope } from '../../harness/provider/api.ts';
import { pack, unpack } from '../shared/codec.ts';
import { MessageHistory } from '../shared/history.ts';
import type { Payload } from '../shared/pairwise-client.ts';
import type { Client, ClientContext, OutgoingMessage, ReceivedMessage, SendOutcome } from '../types.ts';
import type { CollectStrategy } from '@matrix-org/matrix-sdk-crypto-wasm';
import { checkEnvelope, groupOfRoom, PAYLOAD_FIELD } from './events.ts';
import { Homeserver, type MatrixBundle, type MatrixEnvelope } from './homeserver.ts';
import { directRoomId, groupRoomId, harnessAddress, harnessUser, matrixDeviceId, matrixUserId, UNNAMED_DEVICE } from './ids.ts';
import { drawingFrom } from '../shared/library-randomness.ts';
import { loadLibrary, machineDrawingFrom, type Library, type Machine, type Release } from './library.ts';
import { DeviceListTracker, sendInRoom, type RoomDevice, type RoomSessions } from './room-send.ts';
import { MachineQueue } from './serial.ts';
import { decryptRoomEvent, openOwnEvent, payloadOf, receiveToDevice } from './receive.ts';
import { showShield } from './shield.ts';
import { masterKeySafetyNumber, signPeerIdentity } from './verification.ts';
import { dumpStore, restoreStore } from './store.ts';

/** How an app configures the library (the two settings that decide what Matrix protects). */
export interface MatrixMode {
  /** `default`: the SDK's defaults. `invisible`: Element's "invisible crypto". */
  name: 'default' | 'invisible';
  /** Room keys go to the devices `CollectStrategy` picks. */
  strategy(library: Library): CollectStrategy | null;
  /** What `decryptRoomEvent` requires of the sender's device. */
  trust: 'Untrusted' | 'CrossSignedOrLegacy' | 'CrossSigned';
  /** Which shield the app shows: strict (an unverified identity is flagged) or not. */
  strictShield: boolean;
}

interface Image {
  release: Release;
  userId: string;
  deviceId: string;
  passphrase: string;
  store: Uint8Array;
  bundle: MatrixBundle;
  history: Uint8Array;
  verification: [string, boolean][];
  /** Room -> the outbound session's id and when (run's clock) it started. */
  sessions: [string, { id: string; started: number }][];
  /** Rooms -> the members last seen in them. */
  members: [string, string[]][];
  /** Own devices already known (for new-login alerts). */
  ownDevices: string[];
}

let stores = 0;

export class MatrixClient implements Client {
  readonly #context: ClientContext;
  readonly #release: Release;
  readonly #mode: MatrixMode;
  #library: Library | null = null;
  #machine: Machine | null = null;
  #homeserver: Homeserver | null = null;
  #history: MessageHistory | null = null;
  #storeName = '';
  #passphrase = '';
  readonly #verification = new Map<string, boolean>();
  readonly #sessions: RoomSessions = new Map();
  readonly #members = new Map<string, string[]>();
  #ownDevices = new Set<string>();
  readonly #lists = new DeviceListTracker();
  readonly #queue = new MachineQueue((envelope) => this.#receive(envelope));
  readonly #seen = new Set<string>();

  constructor(context: ClientContext, release: Release, mode: MatrixMode) {
    this.#context = context;
    this.#release = release;
    this.#mode = mode;
  }

  get #userId(): string {
    return matrixUserId(this.#context.user);
  }

  async #open(image?: Image): Promise<void> {
    const library = await loadLibrary(this.#release);
    this.#library = library;
    // Every machine its own IndexedDB store; the name only has to be unique in the process.
    this.#storeName = `keyhole-${++stores}-${this.#context.address}`;
    // No store passphrase: the app keeps it on the device, so an image holds it either way,
    // and deriving the store key (PBKDF2) for every machine would slow runs down for nothing.
    this.#passphrase = image?.passphrase ?? '';
    if (image) await restoreStore(this.#storeName, image.store);
    const { rng } = this.#context;
    const machine = (await drawingFrom(rng, () =>
      library.OlmMachine.initialize(
        new library.UserId(this.#userId),
        new library.DeviceId(matrixDeviceId(this.#context.device)),
        this.#storeName,
        this.#passphrase === '' ? undefined : this.#passphrase,
      ),
    )) as Machine;
    this.#machine = machineDrawingFrom(machine, rng);
    this.#homeserver = new Homeserver(this.#context, library);
  }

  get #lib(): Library {
    return this.#library!;
  }

  get #olm(): Machine {
    if (!this.#machine) throw new Error(`${this.#context.address} is not registered`);
    return this.#machine;
  }

  get #server(): Homeserver {
    return this.#homeserver!;
  }

  async #flush(): Promise<void> {
    await this.#server.flush(this.#olm as never);
    await this.#checkOwnDevices();
  }

  /** The device as a send drives it. */
  get #device(): RoomDevice {
    return { context: this.#context, lib: this.#lib, olm: this.#olm, server: this.#server, flush: () => this.#flush() };
  }

  // --- registration and devices -------------------------------------------------------

  async register(provisioning?: Uint8Array): Promise<void> {
    return this.#queue.exclusive(() => this.#register(provisioning));
  }

  async #register(provisioning?: Uint8Array): Promise<void> {
    await this.#open();
    this.#history = await MessageHistory.open({ secureDelete: true });
    await this.#flush(); // the device keys and one-time keys
    const lib = this.#lib;
    if (!provisioning) {
      const requests = await this.#olm.bootstrapCrossSigning(true);
      const upload = requests.uploadKeysRequest as { id: string; type: number; body: string } | undefined;
      if (upload) await this.#olm.markRequestAsSent(upload.id, upload.type, await this.#server.answer(upload));
      await this.#server.uploadSigningKeys(JSON.parse(requests.uploadSigningKeysRequest.body));
      await this.#server.uploadSignatures(JSON.parse(requests.uploadSignaturesRequest.body));
    } else {
      // What QR login hands a new device: the user's cross-signing keys; it then signs itself.
      const keys = unpack<{ master: string | null; selfSigning: string | null; userSigning: string | null }>(provisioning, 'provisioning');
      await this.#olm.importCrossSigningKeys(keys.master, keys.selfSigning, keys.userSigning);
      await this.#olm.updateTrackedUsers([new lib.UserId(this.#userId)]);
      await this.#flush();
      const own = await this.#olm.getDevice(new lib.UserId(this.#userId), new lib.DeviceId(matrixDeviceId(this.#context.device)));
      if (own) await this.#server.uploadSignatures(JSON.parse((await own.verify()).body));
    }
    await this.#olm.updateTrackedUsers([new lib.UserId(this.#userId)]);
    await this.#olm.markAllTrackedUsersAsDirty();
    await this.#flush();
  }

  async provisionDevice(_device: string): Promise<Uint8Array> {
    const exported = (await this.#olm.exportCrossSigningKeys()) as { masterKey?: string; self_signing_key?: string; userSigningKey?: string } | undefined;
    return pack({ master: exported?.masterKey ?? null, selfSigning: exported?.self_signing_key ?? null, userSigning: exported?.userSigningKey ?? null });
  }

  async unlinkDevice(device: string): Promise<void> {
    await this.#context.provider.removeDevice(device);
    await this.#server.updateDocument((doc) => {
      delete doc.devices[matrixDeviceId(device)];
    });
  }

  // --- messages -----------------------------------------------------------------------

  async send(message: OutgoingMessage): Promise<SendOutcome> {
    return this.#queue.exclusive(() => this.#send(message));
  }

  async #send(message: OutgoingMessage): Promise<SendOutcome> {
    const self = this.#context.user;
    const { roomId, group } = message.to.kind === 'user'
      ? { roomId: directRoomId(self, message.to.user), group: null }
      : { roomId: groupRoomId(message.to.group), group: message.to.group };
    const members = await this.#roomMembers(roomId, group, message.to.kind === 'user' ? message.to.user : null);
    if (!members.includes(self)) return { sent: false, reason: `${this.#context.address} is not in ${group} (the homeserver does not list it)` };
    const refused = members.find((u) => u !== self && this.#verification.get(u) === false);
    if (refused) return { sent: false, reason: `verification with ${refused} failed` };
    const at = await this.#post(roomId, group, members, message);
    this.#requireHistory().add({ id: message.id, direction: 'out', conversation: group ?? (message.to.kind === 'user' ? message.to.user : ''), sender: this.#context.address, body: message.body, at });
    return { sent: true };
  }

  /** Encrypt the message into the room for `members` and upload it; returns its timestamp. */
  async #post(roomId: string, group: string | null, members: readonly string[], message: OutgoingMessage): Promise<number> {
    const payload: Payload = { id: message.id, body: message.body, group, at: this.#context.now() };
    const content = { msgtype: 'm.text', body: '(keyhole message)', [PAYLOAD_FIELD]: Buffer.from(pack(payload)).toString('base64') };
    await sendInRoom(this.#device, this.#lists, this.#sessions, this.#mode.strategy(this.#lib), roomId, members, content);
    return payload.at;
  }

  /**
   * What a device of the homeserver's own does, which no app offers: post into any room
   * (`roomId`, as the server names rooms) to the users it names, its own user among them,
   * whatever the room's membership says. The server writes its own client's code; the
   * library encrypts (and shares the room key) as for any send, in a Megolm session of its
   * own for each post. Nothing goes to the history.
   */
  async postInto(roomId: string, users: readonly string[], message: OutgoingMessage): Promise<void> {
    await this.#queue.exclusive(async () => {
      await this.#olm.invalidateGroupSession(new this.#lib.RoomId(roomId));
      await this.#post(roomId, groupOfRoom(roomId), [...new Set([this.#context.user, ...users])], message);
    });
  }

  /** The room's members as the homeserver serves them (a direct room: its two users); the app shows joins and leaves. */
  async #roomMembers(roomId: string, group: string | null, peer: string | null): Promise<string[]> {
    let members: string[];
    if (group === null) {
      members = peer ? [...new Set([this.#context.user, peer])] : [this.#context.user];
    } else {
      const roster = await this.#context.provider.fetchRoster(group);
      members = [...new Set([...roster.members])];
    }
    const previous = this.#members.get(roomId);
    if (previous && group !== null) {
      for (const user of members) if (!previous.includes(user)) this.#context.alert('member-added', group);
      for (const user of previous) if (!members.includes(user)) this.#context.alert('member-removed', group);
    }
    this.#members.set(roomId, members);
    return members;
  }

  async receive(envelope: Envelope): Promise<ReceivedMessage | null> {
    const event = unpack<MatrixEnvelope>(envelope.body, 'Matrix event');
    if (this.#queue.busy && event?.kind === 'to-device') {
      this.#queue.defer(envelope);
      return null;
    }
    return this.#queue.exclusive(() => this.#receive(envelope));
  }

  async #receive(envelope: Envelope): Promise<ReceivedMessage | null> {
    const event = unpack<MatrixEnvelope>(envelope.body, 'Matrix event');
    checkEnvelope(event);
    // The homeserver stamps the sender: the user of the connection that uploaded it.
    const sender = matrixUserId(envelope.from.split('.')[0]!);
    if (event.kind === 'to-device') {
      await receiveToDevice(this.#device, sender, event);
      return null;
    }
    if (event.kind !== 'room') throw new RejectionError('malformed-message', 'neither a to-device message nor a room event');
    return this.#receiveRoomEvent(sender, event);
  }

  async #receiveRoomEvent(sender: string, event: Extract<MatrixEnvelope, { kind: 'room' }>): Promise<ReceivedMessage> {
    const lib = this.#lib;
    const group = groupOfRoom(event.room_id);
    const senderUser = harnessUser(sender);
    if (this.#history && this.#seen.has(event.event_id)) throw new RejectionError('duplicate-message', 'an event already in the timeline (same event id)');
    // The app tracks the room's members (their devices are what it checks senders against).
    const members = group === null ? [this.#context.user, senderUser] : await this.#roomMembers(event.room_id, group, null).catch(() => [senderUser]);
    await this.#olm.updateTrackedUsers([...new Set([...members, senderUser])].map((u) => new lib.UserId(matrixUserId(u))));
    await this.#lists.sync(this.#device, [senderUser]);
    await this.#flush();
    const decrypted = await decryptRoomEvent(this.#device, sender, event, this.#mode.trust);
    const payload = payloadOf(decrypted.event);
    const from = harnessAddress(decrypted.sender?.toString() ?? sender, decrypted.senderDevice?.toString() ?? UNNAMED_DEVICE);
    showShield(this.#context, lib, decrypted, this.#mode.strictShield, from, payload.id);
    this.#seen.add(event.event_id);
    const fromUser = harnessUser(decrypted.sender?.toString() ?? sender);
    this.#requireHistory().add({
      id: payload.id,
      direction: fromUser === this.#context.user ? 'out' : 'in',
      conversation: group ?? (fromUser === this.#context.user ? this.#context.user : fromUser),
      sender: from,
      body: payload.body,
      at: payload.at,
    });
    return { id: payload.id, from, body: payload.body, group };
  }

  async deleteMessages(ids: readonly string[] | 'all'): Promise<void> {
    this.#requireHistory().delete(ids);
  }

  // --- verification -------------------------------------------------------------------

  /** Matrix compares master keys (verification.ts). */
  async safetyNumber(peer: string): Promise<string | null> {
    return masterKeySafetyNumber(this.#device, peer);
  }

  async recordVerification(peer: string, matched: boolean, number?: string): Promise<void> {
    return this.#queue.exclusive(() => this.#recordVerification(peer, matched, number));
  }

  async #recordVerification(peer: string, matched: boolean, number?: string): Promise<void> {
    const agrees = matched && (number === undefined || (await this.safetyNumber(peer)) === number);
    this.#verification.set(peer, agrees);
    if (!agrees) {
      this.#context.alert('verification-failed', peer);
      return;
    }
    await signPeerIdentity(this.#device, peer);
  }

  // --- groups (rooms) -----------------------------------------------------------------

  async createGroup(group: string, members: readonly string[]): Promise<void> {
    await this.#context.provider.publishRoster(group, [...new Set([this.#context.user, ...members])], null);
  }

  async addMember(group: string, user: string): Promise<void> {
    const roster = await this.#context.provider.fetchRoster(group);
    await this.#context.provider.publishRoster(group, [...new Set([...roster.members, user])], null);
  }

  async removeMember(group: string, user: string): Promise<void> {
    const roster = await this.#context.provider.fetchRoster(group);
    await this.#context.provider.publishRoster(group, roster.members.filter((m) => m !== user), null);
  }

  // --- device images ------------------------------------------------------------------

  async exportState(): Promise<Uint8Array> {
    const image: Image = {
      release: this.#release,
      userId: this.#userId,
      deviceId: matrixDeviceId(this.#context.device),
      passphrase: this.#passphrase,
      store: await dumpStore(this.#storeName),
      bundle: this.#server.bundle,
      history: this.#requireHistory().exportFile(),
      verification: [...this.#verification],
      sessions: [...this.#sessions],
      members: [...this.#members],
      ownDevices: [...this.#ownDevices],
    };
    return pack(image);
  }

  async restore(bytes: Uint8Array): Promise<this> {
    const image = unpack<Image>(bytes, 'Matrix device image');
    if (image.release !== this.#release) throw new Error(`a ${image.release} image cannot open in matrix-sdk-crypto ${this.#release}`);
    await this.#open(image);
    this.#server.bundle = image.bundle;
    this.#history = await MessageHistory.open({ secureDelete: true }, image.history);
    for (const [peer, matched] of image.verification) this.#verification.set(peer, matched);
    for (const [room, session] of image.sessions) this.#sessions.set(room, session);
    for (const [room, members] of image.members) this.#members.set(room, members);
    this.#ownDevices = new Set(image.ownDevices);
    return this;
  }

  /** A room event this device sent: its own outbound Megolm session is also among its inbound ones. Olm to-device messages it cannot open. */
  async openSent(envelope: Envelope): Promise<Uint8Array | null> {
    const event = unpack<MatrixEnvelope>(envelope.body, 'Matrix event');
    if (event?.kind !== 'room') return null;
    return openOwnEvent(this.#device, this.#userId, event);
  }

  // --- alerts -------------------------------------------------------------------------

  /** A new login of the user's own that is not cross-signed: Element asks "was this you?". */
  async #checkOwnDevices(): Promise<void> {
    const lib = this.#lib;
    const devices = await this.#olm.getUserDevices(new lib.UserId(this.#userId), 0).catch(() => null);
    if (!devices) return;
    for (const device of devices.devices()) {
      const id = device.deviceId.toString();
      if (this.#ownDevices.has(id)) continue;
      this.#ownDevices.add(id);
      if (id !== matrixDeviceId(this.#context.device) && !device.isCrossSignedByOwner()) {
        this.#context.alert('new-device', `${this.#context.user}.${id}`);
      }
    }
  }

  #requireHistory(): MessageHistory {
    if (!this.#history) throw new Error(`${this.#context.address} is not registered`);
    return this.#history;
  }
}
