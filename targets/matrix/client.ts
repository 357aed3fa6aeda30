/**
 * The `matrix` client: one `OlmMachine` of matrix-sdk-crypto (vodozemac's Olm and Megolm)
 * per device, keyhole playing the homeserver (`Homeserver`).
 *
 * - Rooms are groups; a one-to-one conversation is a direct room of its two users. Room
 *   membership is what the homeserver serves (the provider's roster): Matrix has no
 *   member-signed membership, so the machine shares room keys with whoever the server lists.
 * - Sending: track the room's members, query their keys, claim one-time keys for missing Olm
 *   sessions, share the room key (`shareRoomKey`, the variant's `CollectStrategy`), deliver
 *   the to-device messages, then encrypt the event with Megolm and hand it to every device
 *   of every member. The library rotates its session itself (a member left, a device went,
 *   `rotationPeriodMessages`); the rotation period runs on the run's clock here (the
 *   library reads the wall clock, which never moves in a run), so the app invalidates the
 *   session once it is older than the period.
 * - Receiving: to-device messages go through `receiveSyncChanges`; room events through
 *   `decryptRoomEvent` with the variant's `TrustRequirement`. The sender is the one the
 *   library reports; its shield (`shieldState`) and decryption errors become the app's
 *   alerts, with the library's code and message in the run's notes. The timeline keeps an
 *   event once (by event id), as every Matrix client's does.
 * - Users' devices are cross-signed: the primary bootstraps cross-signing; a linked device
 *   imports the cross-signing keys (what QR login hands over) and signs itself. `verify`
 *   is what follows a successful verification: the peer's identity is signed with the
 *   user-signing key. A mismatch makes the app refuse to send to that user (SPEC §2).
 * - The device image is the machine's IndexedDB store (encrypted with its passphrase, which
 *   the app keeps on the device too) and the message history.
 */
import { RejectionError, type RejectionCode } from '../../harness/errors.ts';
import type { Envelope } from '../../harness/provider/api.ts';
import type { DeviceAddress } from '../../harness/scenario/types.ts';
import { pack, unpack } from '../shared/codec.ts';
import { MessageHistory } from '../shared/history.ts';
import { decodePayload, type Payload } from '../shared/pairwise-client.ts';
import { safetyNumber } from '../shared/safety-number.ts';
import type { Client, ClientContext, OutgoingMessage, ReceivedMessage, SendOutcome } from '../types.ts';
import type { CollectStrategy } from '@matrix-org/matrix-sdk-crypto-wasm';
import { Homeserver, ONE_TIME_POOL, type MatrixBundle, type MatrixEnvelope } from './homeserver.ts';
import { directRoomId, groupRoomId, harnessAddress, harnessUser, matrixDeviceId, matrixUserId, SERVER_NAME } from './ids.ts';
import { enumName, loadLibrary, processedToDevice, type Library, type Release } from './library.ts';
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

/** The library's default Megolm rotation period: one week (`EncryptionSettings.rotationPeriod`). */
const ROTATION_PERIOD_MS = 7 * 24 * 3600 * 1000;

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

type Machine = InstanceType<Library['OlmMachine']>;

let stores = 0;

/** The coded rejection for a decryption error the library reports (by name: the numbers differ between releases). */
function rejectionCode(name: string | null): RejectionCode {
  switch (name) {
    case 'MissingRoomKey':
    case 'UnknownMessageIndex':
      return 'no-session';
    case 'UnknownSenderDevice':
      return 'unknown-device';
    case 'UnsignedSenderDevice':
    case 'SenderIdentityVerificationViolation':
    case 'MismatchedIdentityKeys':
      return 'untrusted-identity';
    default:
      return 'invalid-message';
  }
}

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
  readonly #sessions = new Map<string, { id: string; started: number }>();
  readonly #members = new Map<string, string[]>();
  #ownDevices = new Set<string>();

  constructor(context: ClientContext, release: Release, mode: MatrixMode) {
    this.#context = context;
    this.#release = release;
    this.#mode = mode;
  }

  /** Calls into the machine under way, and to-device messages that arrived meanwhile. */
  #busy = 0;
  readonly #deferred: Envelope[] = [];

  async #exclusive<T>(work: () => Promise<T>): Promise<T> {
    this.#busy++;
    try {
      return await work();
    } finally {
      this.#busy--;
      if (this.#busy === 0) await this.#drain();
    }
  }

  async #drain(): Promise<void> {
    while (this.#deferred.length > 0 && this.#busy === 0) {
      const envelope = this.#deferred.shift()!;
      this.#busy++;
      try {
        await this.#receive(envelope);
      } catch {
        // A to-device message the machine refused: nothing for the timeline.
      } finally {
        this.#busy--;
      }
    }
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
    this.#machine = (await library.OlmMachine.initialize(
      new library.UserId(this.#userId),
      new library.DeviceId(matrixDeviceId(this.#context.device)),
      this.#storeName,
      this.#passphrase === '' ? undefined : this.#passphrase,
    )) as Machine;
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

  // --- registration and devices -------------------------------------------------------

  async register(provisioning?: Uint8Array): Promise<void> {
    return this.#exclusive(() => this.#register(provisioning));
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
    return this.#exclusive(() => this.#send(message));
  }

  async #send(message: OutgoingMessage): Promise<SendOutcome> {
    const self = this.#context.user;
    const lib = this.#lib;
    const { roomId, group } = message.to.kind === 'user'
      ? { roomId: directRoomId(self, message.to.user), group: null }
      : { roomId: groupRoomId(message.to.group), group: message.to.group };
    const members = await this.#roomMembers(roomId, group, message.to.kind === 'user' ? message.to.user : null);
    if (!members.includes(self)) return { sent: false, reason: `${this.#context.address} is not in ${group} (the homeserver does not list it)` };
    const refused = members.find((u) => u !== self && this.#verification.get(u) === false);
    if (refused) return { sent: false, reason: `verification with ${refused} failed` };
    // Fresh id objects for every call: the library takes ownership of what it is passed.
    const users = () => members.map((u) => new lib.UserId(matrixUserId(u)));
    const room = () => new lib.RoomId(roomId);
    await this.#olm.updateTrackedUsers(users());
    await this.#syncDeviceLists(members);
    await this.#flush();
    const claim = await this.#olm.getMissingSessions(users());
    if (claim) await this.#olm.markRequestAsSent(claim.id, claim.type, await this.#server.answer(claim));
    const session = this.#sessions.get(roomId);
    if (session && this.#context.now() - session.started >= ROTATION_PERIOD_MS) await this.#olm.invalidateGroupSession(room());
    const settings = new lib.EncryptionSettings();
    const strategy = this.#mode.strategy(lib);
    if (strategy) settings.sharingStrategy = strategy;
    const requests = (await this.#olm.shareRoomKey(room(), users(), settings)) as { id: string; type: number; body: string; event_type: string }[];
    for (const request of requests) await this.#olm.markRequestAsSent(request.id, request.type, await this.#server.answer(request));
    await this.#flush();
    const payload: Payload = { id: message.id, body: message.body, group, at: this.#context.now() };
    const content = { msgtype: 'm.text', body: '(keyhole message)', 'org.keyhole.payload': Buffer.from(pack(payload)).toString('base64') };
    const encrypted = await this.#olm.encryptRoomEvent(new lib.RoomId(roomId), 'm.room.message', JSON.stringify(content));
    const sessionId = (JSON.parse(encrypted) as { session_id?: string }).session_id ?? '';
    if (this.#sessions.get(roomId)?.id !== sessionId) this.#sessions.set(roomId, { id: sessionId, started: this.#context.now() });
    const event: MatrixEnvelope = {
      kind: 'room',
      room_id: roomId,
      event_id: `$${Buffer.from(this.#context.crypto.sha256(new TextEncoder().encode(encrypted))).toString('base64url')}`,
      origin_server_ts: this.#context.now(),
      type: 'm.room.encrypted',
      content: encrypted,
    };
    const body = pack(event);
    const recipients: DeviceAddress[] = [];
    for (const user of members) {
      const listing = await this.#context.provider.fetchDevices(user).catch(() => null);
      for (const device of listing?.devices ?? []) {
        const address = `${user}.${device}` as DeviceAddress;
        if (address !== this.#context.address) recipients.push(address);
      }
    }
    if (recipients.length > 0) await this.#context.provider.send(recipients.map((to) => ({ to, body })));
    this.#requireHistory().add({ id: message.id, direction: 'out', conversation: group ?? (message.to.kind === 'user' ? message.to.user : ''), sender: this.#context.address, body: message.body, at: payload.at });
    return { sent: true };
  }

  /** Each user's listing as last seen (devices and cross-signing document), to tell the machine what changed. */
  readonly #listings = new Map<string, string>();

  /**
   * What a sync's `device_lists.changed` carries: the users among `users` whose device list
   * or cross-signing keys changed since this device last looked, so the machine queries them again.
   */
  async #syncDeviceLists(users: readonly string[]): Promise<void> {
    const lib = this.#lib;
    const changed: string[] = [];
    for (const user of new Set(users)) {
      const listing = await this.#context.provider.fetchDevices(user).catch(() => null);
      if (!listing) continue;
      const fingerprint = `${listing.devices.join('\n')}|${listing.signedList ? Buffer.from(this.#context.crypto.sha256(listing.signedList)).toString('base64') : ''}`;
      if (this.#listings.get(user) === fingerprint) continue;
      this.#listings.set(user, fingerprint);
      changed.push(user);
    }
    if (changed.length === 0) return;
    await this.#olm.receiveSyncChanges('[]', new lib.DeviceLists(changed.map((u) => new lib.UserId(matrixUserId(u)))), new Map<string, number>(), new Set<string>());
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
    if (this.#busy > 0 && event?.kind === 'to-device') {
      // Delivery is immediate: a to-device message can arrive while this machine is still
      // inside the call that made a peer answer. It waits, as in a sync response, until the
      // call is over (the machine's own locks would otherwise wait on each other).
      this.#deferred.push(envelope);
      return null;
    }
    return this.#exclusive(() => this.#receive(envelope));
  }

  async #receive(envelope: Envelope): Promise<ReceivedMessage | null> {
    const event = unpack<MatrixEnvelope>(envelope.body, 'Matrix event');
    checkEnvelope(event);
    // The homeserver stamps the sender: the user of the connection that uploaded it.
    const sender = matrixUserId(envelope.from.split('.')[0]!);
    if (event.kind === 'to-device') {
      await this.#receiveToDevice(sender, event);
      return null;
    }
    if (event.kind !== 'room') throw new RejectionError('malformed-message', 'neither a to-device message nor a room event');
    return this.#receiveRoomEvent(sender, event);
  }

  async #receiveToDevice(sender: string, event: Extract<MatrixEnvelope, { kind: 'to-device' }>): Promise<void> {
    const lib = this.#lib;
    let content: unknown;
    try {
      content = JSON.parse(event.content);
    } catch {
      throw new RejectionError('malformed-message', 'a to-device message that is not JSON');
    }
    const counts = new Map<string, number>();
    const left = await this.#context.provider.countOneTimeKeys().catch(() => null);
    if (left) counts.set(ONE_TIME_POOL, left[ONE_TIME_POOL] ?? 0);
    const events = JSON.stringify([{ sender, type: event.type, content }]);
    const result = await libraryCall(() => this.#olm.receiveSyncChanges(events, new lib.DeviceLists(), counts, new Set<string>()));
    await this.#flush();
    const [processed] = processedToDevice(lib, result);
    if (processed && processed.kind !== 'Decrypted' && processed.kind !== 'PlainText') {
      throw new RejectionError('invalid-message', `the library could not decrypt a to-device message (${processed.kind})`);
    }
  }

  async #receiveRoomEvent(sender: string, event: Extract<MatrixEnvelope, { kind: 'room' }>): Promise<ReceivedMessage> {
    const lib = this.#lib;
    const group = groupOfRoom(event.room_id);
    const senderUser = harnessUser(sender);
    if (this.#history && this.#seen.has(event.event_id)) throw new RejectionError('duplicate-message', 'an event already in the timeline (same event id)');
    // The app tracks the room's members (their devices are what it checks senders against).
    const members = group === null ? [this.#context.user, senderUser] : await this.#roomMembers(event.room_id, group, null).catch(() => [senderUser]);
    await this.#olm.updateTrackedUsers([...new Set([...members, senderUser])].map((u) => new lib.UserId(matrixUserId(u))));
    await this.#syncDeviceLists([senderUser]);
    await this.#flush();
    let content: unknown;
    try {
      content = JSON.parse(event.content);
    } catch {
      throw new RejectionError('malformed-message', 'a room event that is not JSON');
    }
    const raw = JSON.stringify({ type: event.type, content, event_id: event.event_id, origin_server_ts: event.origin_server_ts, sender, room_id: event.room_id });
    let decrypted;
    try {
      decrypted = await this.#olm.decryptRoomEvent(raw, new lib.RoomId(event.room_id), new lib.DecryptionSettings(lib.TrustRequirement[this.#mode.trust]));
    } catch (error) {
      const code = enumName(lib.DecryptionErrorCode, (error as { code?: number }).code);
      const description = withoutKeys((error as { description?: string }).description ?? String(error));
      this.#context.alert('decryption-failed', senderUser);
      this.#context.note?.(`could not decrypt an event from ${senderUser}: ${code ?? 'error'} (${description})`);
      throw new RejectionError(rejectionCode(code), `the library could not decrypt the event: ${code ?? 'error'}: ${description}`, { cause: error });
    }
    const plain = JSON.parse(decrypted.event) as { content?: Record<string, unknown> };
    const encoded = plain.content?.['org.keyhole.payload'];
    if (typeof encoded !== 'string') throw new RejectionError('malformed-message', 'a room event without a keyhole payload');
    const payload = decodePayload(new Uint8Array(Buffer.from(encoded, 'base64')));
    const from = harnessAddress(decrypted.sender?.toString() ?? sender, decrypted.senderDevice?.toString() ?? 'unknown-device');
    this.#showShield(decrypted, from, payload.id);
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

  readonly #seen = new Set<string>();

  /** The shield the app shows for an event (strict or not, by the variant), as an alert; both shields' codes go to the notes. */
  #showShield(decrypted: { shieldState(strict: boolean): unknown }, from: DeviceAddress, messageId: string): void {
    const lib = this.#lib;
    const read = (strict: boolean) => {
      const shield = decrypted.shieldState(strict) as { color: number; code?: number; message?: string } | undefined;
      return {
        color: shield ? enumName(lib.ShieldColor, shield.color) ?? 'None' : 'None',
        code: shield ? enumName(lib.ShieldStateCode, shield.code) : null,
        message: shield?.message ?? null,
      };
    };
    const shown = read(this.#mode.strictShield);
    const other = read(!this.#mode.strictShield);
    if (shown.color !== 'None') this.#context.alert('unverified-sender', from);
    if (shown.color !== 'None' || other.color !== 'None') {
      const describe = (s: ReturnType<typeof read>, strict: boolean) => `${strict ? 'strict' : 'non-strict'} ${s.color}${s.code ? ` ${s.code}` : ''}${s.message ? ` "${s.message}"` : ''}`;
      this.#context.note?.(`shield for ${messageId} from ${from}: ${describe(shown, this.#mode.strictShield)}; ${describe(other, !this.#mode.strictShield)}`);
    }
  }

  async deleteMessages(ids: readonly string[] | 'all'): Promise<void> {
    this.#requireHistory().delete(ids);
  }

  // --- verification -------------------------------------------------------------------

  /** Matrix compares master keys (SAS emoji or QR codes do that): the number is derived from both users' master keys. */
  async safetyNumber(peer: string): Promise<string | null> {
    const lib = this.#lib;
    await this.#olm.updateTrackedUsers([new lib.UserId(matrixUserId(peer))]);
    await this.#flush();
    const mine = await this.#olm.getIdentity(new lib.UserId(this.#userId));
    const theirs = await this.#olm.getIdentity(new lib.UserId(matrixUserId(peer)));
    if (!mine || !theirs) return null;
    return safetyNumber(
      this.#context.crypto,
      { user: this.#context.user, key: masterKeyBytes(mine.masterKey) },
      { user: peer, key: masterKeyBytes(theirs.masterKey) },
    );
  }

  async recordVerification(peer: string, matched: boolean, number?: string): Promise<void> {
    return this.#exclusive(() => this.#recordVerification(peer, matched, number));
  }

  async #recordVerification(peer: string, matched: boolean, number?: string): Promise<void> {
    const agrees = matched && (number === undefined || (await this.safetyNumber(peer)) === number);
    this.#verification.set(peer, agrees);
    if (!agrees) {
      this.#context.alert('verification-failed', peer);
      return;
    }
    const identity = await this.#olm.getIdentity(new this.#lib.UserId(matrixUserId(peer)));
    if (identity && 'verify' in identity) {
      const request = await identity.verify();
      await this.#server.uploadSignatures(JSON.parse(request.body));
      await this.#olm.markAllTrackedUsersAsDirty();
      await this.#flush();
    }
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
    const lib = this.#lib;
    const raw = JSON.stringify({ type: event.type, content: JSON.parse(event.content), event_id: event.event_id, origin_server_ts: event.origin_server_ts, sender: this.#userId, room_id: event.room_id });
    try {
      const decrypted = await this.#olm.decryptRoomEvent(raw, new lib.RoomId(event.room_id), new lib.DecryptionSettings(lib.TrustRequirement.Untrusted));
      const encoded = (JSON.parse(decrypted.event) as { content?: Record<string, unknown> }).content?.['org.keyhole.payload'];
      return typeof encoded === 'string' ? decodePayload(new Uint8Array(Buffer.from(encoded, 'base64'))).body : null;
    } catch {
      return null;
    }
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

/** Every field a Matrix envelope needs, of the right type (a malformed one is a coded rejection). */
function checkEnvelope(event: MatrixEnvelope): void {
  const fields = event as unknown as Record<string, unknown>;
  const malformed = (what: string) => new RejectionError('malformed-message', `a Matrix event without ${what}`);
  if (!event || typeof event !== 'object') throw malformed('a body');
  if (typeof fields['type'] !== 'string') throw malformed('a type');
  if (typeof fields['content'] !== 'string') throw malformed('content');
  if (fields['kind'] === 'room') {
    if (typeof fields['room_id'] !== 'string' || !/^![^:]+:.+$/.test(fields['room_id'])) throw malformed('a room id');
    if (typeof fields['event_id'] !== 'string' || fields['event_id'] === '') throw malformed('an event id');
    if (typeof fields['origin_server_ts'] !== 'number' || !Number.isSafeInteger(fields['origin_server_ts']) || fields['origin_server_ts'] < 0) throw malformed('a timestamp');
  } else if (fields['kind'] !== 'to-device') {
    throw malformed('a kind');
  }
}

/** A call into the library on what an envelope carried: what it refuses is a coded rejection. */
async function libraryCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (RejectionError.is(error)) throw error;
    throw new RejectionError('invalid-message', `the library refused the event: ${withoutKeys(error instanceof Error ? error.message : String(error))}`, { cause: error });
  }
}

/** A library message without the key and session ids it may quote (random per run: reports stay reproducible). */
function withoutKeys(text: string): string {
  return text.replace(/[A-Za-z0-9+/=_$-]{20,}/g, '…');
}

/** The scenario group a room belongs to, or null for a direct room. */
function groupOfRoom(roomId: string): string | null {
  const match = new RegExp(`^!g-(.+):${SERVER_NAME.replace('.', '\\.')}$`).exec(roomId);
  if (!match) return null;
  return harnessUser(`@${match[1]}:`);
}

/** The Ed25519 key of a master key (its JSON, as the library gives it). */
function masterKeyBytes(json: string): Uint8Array {
  const keys = Object.values((JSON.parse(json) as { keys?: Record<string, string> }).keys ?? {});
  return new Uint8Array(Buffer.from(keys[0] ?? '', 'base64'));
}
