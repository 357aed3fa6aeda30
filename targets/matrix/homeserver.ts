/**
 * keyhole as the Matrix homeserver. The `OlmMachine` does no network I/O: it emits outgoing
 * requests (keys upload, keys query, keys claim, to-device messages, signature uploads) and
 * is told their responses. Each request is answered here from the harness's provider, so
 * every adversary acts on Matrix through the same interfaces as on every design:
 *
 * - A device's upload is its bundle (`device_keys` and `fallback_keys`, as the machine wrote
 *   them) and one-time keys in the pool `signed_curve25519`, each handed out once.
 * - A user's cross-signing keys (master, self-signing, user-signing), the signed device keys
 *   of its devices and its user-signing signatures on other users' master keys form the
 *   user's published document (the provider's "signed device list" slot). `/keys/query`
 *   lists the provider's devices for the user and serves each one's keys from the document,
 *   or from its own bundle for a device the document lacks (as a homeserver serves any
 *   device's upload, signed or not).
 * - `/keys/claim` takes a one-time key from the pool, or the fallback key when it is empty
 *   (Matrix spec, "One-time and fallback keys").
 * - A to-device message is an envelope to the device (`*`: every device the provider lists);
 *   the receiver takes its sender from the envelope's connection, as the homeserver stamps it.
 */
import type { DeviceAddress } from '../../harness/scenario/types.ts';
import { pack, unpack, utf8 } from '../shared/codec.ts';
import type { ClientContext } from '../types.ts';
import { harnessUser, matrixDeviceId, matrixUserId, harnessDevice } from './ids.ts';
import { enumName, type Library } from './library.ts';

export const ONE_TIME_POOL = 'signed_curve25519';

type Json = Record<string, unknown>;

/** A device's upload, as the directory holds it. */
export interface MatrixBundle {
  device_keys: string | null;
  fallback_keys: string | null;
}

/** A user's published cross-signing document. */
export interface UserDocument {
  master_key: string | null;
  self_signing_key: string | null;
  user_signing_key: string | null;
  /** Device id -> its signed device keys (JSON). */
  devices: Record<string, string>;
  /** Other user id -> that user's master key with this user's user-signing signature (JSON). */
  user_signatures: Record<string, string>;
}

/** What travels in an envelope: a to-device message or a room event. */
export type MatrixEnvelope =
  | { kind: 'to-device'; type: string; content: string }
  | { kind: 'room'; room_id: string; event_id: string; origin_server_ts: number; type: string; content: string };

const EMPTY_DOCUMENT: UserDocument = { master_key: null, self_signing_key: null, user_signing_key: null, devices: {}, user_signatures: {} };

export function decodeBundle(bytes: Uint8Array): MatrixBundle {
  return unpack<MatrixBundle>(bytes, 'Matrix key upload');
}

export function decodeDocument(bytes: Uint8Array | null): UserDocument {
  if (!bytes) return { ...EMPTY_DOCUMENT, devices: {}, user_signatures: {} };
  return { ...EMPTY_DOCUMENT, ...unpack<Partial<UserDocument>>(bytes, 'Matrix cross-signing document') };
}

export function encodeEnvelope(envelope: MatrixEnvelope): Uint8Array {
  return pack(envelope);
}

/** Merge the `signatures` of `extra` into `base` (both signed JSON objects). */
function withSignatures(base: Json, extra: Json): Json {
  const signatures = structuredClone((base['signatures'] ?? {}) as Record<string, Record<string, string>>);
  for (const [user, sigs] of Object.entries((extra['signatures'] ?? {}) as Record<string, Record<string, string>>)) {
    signatures[user] = { ...(signatures[user] ?? {}), ...sigs };
  }
  return { ...base, signatures };
}

function keyIdsOf(key: Json): string[] {
  return Object.values((key['keys'] ?? {}) as Record<string, string>);
}

/** A request the machine made, as the library hands it over. */
interface OutgoingRequest {
  id?: string;
  type: number;
  body: string;
  event_type?: string;
}

export class Homeserver {
  /** This device's upload as last published (a later upload of one-time keys alone keeps it). */
  bundle: MatrixBundle = { device_keys: null, fallback_keys: null };

  constructor(
    private readonly context: ClientContext,
    private readonly library: Library,
  ) {}

  get #userId(): string {
    return matrixUserId(this.context.user);
  }

  /** Answer every outgoing request of the machine until it has none left (or none it can make progress on). */
  async flush(machine: { outgoingRequests(): Promise<unknown[]>; markRequestAsSent(id: string, type: number, response: string): Promise<unknown> }): Promise<void> {
    const failed = new Set<string>();
    for (let round = 0; round < 8; round++) {
      const requests = ((await machine.outgoingRequests()) as OutgoingRequest[]).filter((r) => !failed.has(r.id ?? ''));
      if (requests.length === 0) return;
      for (const request of requests) {
        let response: string;
        try {
          response = await this.answer(request);
        } catch {
          // A restored copy has no connection to send on: the request stays pending, as offline.
          failed.add(request.id ?? '');
          continue;
        }
        await machine.markRequestAsSent(request.id!, request.type, response);
      }
    }
  }

  /** The response body for one request. */
  async answer(request: OutgoingRequest): Promise<string> {
    const body = JSON.parse(request.body) as Json;
    switch (enumName(this.library.RequestType, request.type)) {
      case 'KeysUpload':
        return JSON.stringify(await this.uploadKeys(body));
      case 'KeysQuery':
        return JSON.stringify(await this.queryKeys(body));
      case 'KeysClaim':
        return JSON.stringify(await this.claimKeys(body));
      case 'ToDevice':
        await this.sendToDevice(request.event_type!, body);
        return '{}';
      case 'SignatureUpload':
        await this.uploadSignatures(body);
        return JSON.stringify({ failures: {} });
      default:
        // Room messages (in-room verification) and key backups: keyhole runs neither.
        return '{}';
    }
  }

  async uploadKeys(body: Json): Promise<Json> {
    const provider = this.context.provider;
    if (body['device_keys']) this.bundle = { ...this.bundle, device_keys: JSON.stringify(body['device_keys']) };
    if (body['fallback_keys'] && Object.keys(body['fallback_keys'] as Json).length > 0) {
      this.bundle = { ...this.bundle, fallback_keys: JSON.stringify(body['fallback_keys']) };
    }
    const oneTime = Object.entries((body['one_time_keys'] ?? {}) as Json).map(([id, key]) => utf8.encode(JSON.stringify({ [id]: key })));
    await provider.publishKeys({ bundle: pack(this.bundle), oneTimeKeys: { [ONE_TIME_POOL]: oneTime } });
    if (body['device_keys']) {
      await this.updateDocument((doc) => {
        const existing = doc.devices[matrixDeviceId(this.context.device)];
        const keys = body['device_keys'] as Json;
        doc.devices[matrixDeviceId(this.context.device)] = JSON.stringify(existing ? withSignatures(keys, JSON.parse(existing) as Json) : keys);
      });
    }
    const counts = await provider.countOneTimeKeys();
    return { one_time_key_counts: { [ONE_TIME_POOL]: counts[ONE_TIME_POOL] ?? 0 } };
  }

  /** The cross-signing keys of `bootstrapCrossSigning` (or an import's re-upload). */
  async uploadSigningKeys(body: Json): Promise<void> {
    await this.updateDocument((doc) => {
      for (const field of ['master_key', 'self_signing_key', 'user_signing_key'] as const) {
        if (body[field]) doc[field] = JSON.stringify(body[field]);
      }
    });
  }

  async uploadSignatures(body: Json): Promise<void> {
    for (const [userId, signed] of Object.entries(body)) {
      const own = userId === this.#userId;
      await this.updateDocument(async (doc) => {
        for (const [keyId, object] of Object.entries(signed as Json)) {
          const json = object as Json;
          if (own && doc.devices[keyId]) {
            doc.devices[keyId] = JSON.stringify(withSignatures(JSON.parse(doc.devices[keyId]!) as Json, json));
          } else if (own && doc.master_key && keyIdsOf(JSON.parse(doc.master_key) as Json).includes(keyId)) {
            doc.master_key = JSON.stringify(withSignatures(JSON.parse(doc.master_key) as Json, json));
          } else if (!own) {
            // This user's user-signing key signed another user's master key (a verification).
            const previous = doc.user_signatures[userId];
            doc.user_signatures[userId] = JSON.stringify(previous ? withSignatures(JSON.parse(previous) as Json, json) : json);
          }
        }
      });
    }
  }

  async queryKeys(body: Json): Promise<Json> {
    const provider = this.context.provider;
    const deviceKeys: Json = {};
    const masterKeys: Json = {};
    const selfSigningKeys: Json = {};
    const userSigningKeys: Json = {};
    const failures: Json = {};
    const ownDocument = decodeDocument((await provider.fetchDevices(this.context.user)).signedList);
    for (const userId of Object.keys((body['device_keys'] ?? {}) as Json)) {
      const user = harnessUser(userId);
      let listing;
      try {
        listing = await provider.fetchDevices(user);
      } catch {
        continue; // no such user: nothing to list
      }
      const doc = decodeDocument(listing.signedList);
      const devices: Json = {};
      for (const device of listing.devices) {
        const deviceId = matrixDeviceId(device);
        let keys: string | null = doc.devices[deviceId] ?? null;
        if (!keys) {
          try {
            keys = decodeBundle((await provider.fetchBundle(`${user}.${device}` as DeviceAddress)).bundle).device_keys;
          } catch {
            keys = null;
          }
        }
        if (keys) devices[deviceId] = JSON.parse(keys);
      }
      deviceKeys[userId] = devices;
      if (doc.master_key) {
        const master = JSON.parse(doc.master_key) as Json;
        const signedByUs = userId !== this.#userId ? ownDocument.user_signatures[userId] : undefined;
        masterKeys[userId] = signedByUs ? withSignatures(master, JSON.parse(signedByUs) as Json) : master;
      }
      if (doc.self_signing_key) selfSigningKeys[userId] = JSON.parse(doc.self_signing_key);
      if (userId === this.#userId && doc.user_signing_key) userSigningKeys[userId] = JSON.parse(doc.user_signing_key);
    }
    return { device_keys: deviceKeys, master_keys: masterKeys, self_signing_keys: selfSigningKeys, user_signing_keys: userSigningKeys, failures };
  }

  async claimKeys(body: Json): Promise<Json> {
    const claimed: Json = {};
    for (const [userId, devices] of Object.entries((body['one_time_keys'] ?? {}) as Json)) {
      const user = harnessUser(userId);
      const perDevice: Json = {};
      for (const deviceId of Object.keys(devices as Json)) {
        const address = `${user}.${harnessDevice(deviceId)}` as DeviceAddress;
        let response;
        try {
          response = await this.context.provider.fetchBundle(address);
        } catch {
          continue;
        }
        const oneTime = response.oneTimeKeys[ONE_TIME_POOL];
        if (oneTime) {
          perDevice[deviceId] = JSON.parse(utf8.decode(oneTime));
          continue;
        }
        // No one-time key left (or none handed out): the fallback key, reusable by design.
        const fallback = decodeBundle(response.bundle).fallback_keys;
        if (fallback) perDevice[deviceId] = JSON.parse(fallback);
      }
      claimed[userId] = perDevice;
    }
    return { one_time_keys: claimed, failures: {} };
  }

  async sendToDevice(type: string, body: Json): Promise<void> {
    const envelopes = [];
    // The library serialises its recipient maps in hash order, which changes from run to run:
    // deliver in address order, so that a run is reproducible from its seed.
    for (const [userId, devices] of sortedEntries((body['messages'] ?? {}) as Json)) {
      const user = harnessUser(userId);
      for (const [deviceId, content] of sortedEntries(devices as Json)) {
        const targets = deviceId === '*' ? (await this.context.provider.fetchDevices(user)).devices : [harnessDevice(deviceId)];
        for (const device of targets) {
          envelopes.push({ to: `${user}.${device}` as DeviceAddress, body: encodeEnvelope({ kind: 'to-device', type, content: JSON.stringify(content) }) });
        }
      }
    }
    if (envelopes.length > 0) await this.context.provider.send(envelopes);
  }

  /** Read this user's document from the directory, change it, publish it again. */
  async updateDocument(change: (doc: UserDocument) => void | Promise<void>): Promise<void> {
    const doc = decodeDocument((await this.context.provider.fetchDevices(this.context.user)).signedList);
    await change(doc);
    await this.context.provider.publishDeviceList(pack(doc));
  }
}

function sortedEntries(object: Json): [string, unknown][] {
  return Object.entries(object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
