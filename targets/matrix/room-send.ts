/**
 * Sending into a room, as an app drives the machine for it (matrix-sdk-crypto's "sending an
 * encrypted message" flow): track the room's members, tell the machine whose device lists
 * changed (a sync's `device_lists.changed`), claim one-time keys for missing Olm sessions,
 * share the room key with the devices the `CollectStrategy` picks, deliver those to-device
 * messages, then encrypt the event with Megolm and hand it to every device of every member.
 */
import type { DeviceAddress } from '../../harness/scenario/types.ts';
import type { ClientContext } from '../types.ts';
import type { CollectStrategy } from '@matrix-org/matrix-sdk-crypto-wasm';
import type { Homeserver, MatrixEnvelope } from './homeserver.ts';
import { matrixUserId } from './ids.ts';
import type { Library, Machine } from './library.ts';
import { pack } from '../shared/codec.ts';

/** The library's default Megolm rotation period: one week (`EncryptionSettings.rotationPeriod`). */
const ROTATION_PERIOD_MS = 7 * 24 * 3600 * 1000;

/** What a send needs of the device: its machine, its homeserver connection, and how it answers the machine's requests. */
export interface RoomDevice {
  readonly context: ClientContext;
  readonly lib: Library;
  readonly olm: Machine;
  readonly server: Homeserver;
  /** Answer the machine's outgoing requests. */
  flush(): Promise<void>;
}

/** Room -> the outbound session's id and when (run's clock) it started. */
export type RoomSessions = Map<string, { id: string; started: number }>;

/** Each user's listing as last seen (devices and cross-signing document), to tell the machine what changed. */
export class DeviceListTracker {
  readonly #listings = new Map<string, string>();

  /**
   * What a sync's `device_lists.changed` carries: the users among `users` whose device list
   * or cross-signing keys changed since this device last looked, so the machine queries them again.
   */
  async sync(device: Pick<RoomDevice, 'context' | 'lib' | 'olm'>, users: readonly string[]): Promise<void> {
    const { context, lib, olm } = device;
    const changed: string[] = [];
    for (const user of new Set(users)) {
      const listing = await context.provider.fetchDevices(user).catch(() => null);
      if (!listing) continue;
      const fingerprint = `${listing.devices.join('\n')}|${listing.signedList ? Buffer.from(context.crypto.sha256(listing.signedList)).toString('base64') : ''}`;
      if (this.#listings.get(user) === fingerprint) continue;
      this.#listings.set(user, fingerprint);
      changed.push(user);
    }
    if (changed.length === 0) return;
    await olm.receiveSyncChanges('[]', new lib.DeviceLists(changed.map((u) => new lib.UserId(matrixUserId(u)))), new Map<string, number>(), new Set<string>());
  }
}

/**
 * Encrypt `content` as an `m.room.message` in `roomId` for `members` and upload it to every
 * device the homeserver lists for them. The library rotates its session itself (a member
 * left, a device went, `rotationPeriodMessages`); the rotation period runs on the run's
 * clock here (the library reads the wall clock, which never moves in a run), so the app
 * invalidates the session once it is older than the period.
 */
export async function sendInRoom(
  device: RoomDevice,
  lists: DeviceListTracker,
  sessions: RoomSessions,
  strategy: CollectStrategy | null,
  roomId: string,
  members: readonly string[],
  content: Record<string, unknown>,
): Promise<void> {
  const { context, lib, olm, server } = device;
  // Fresh id objects for every call: the library takes ownership of what it is passed.
  const users = () => members.map((u) => new lib.UserId(matrixUserId(u)));
  const room = () => new lib.RoomId(roomId);
  await olm.updateTrackedUsers(users());
  await lists.sync(device, members);
  await device.flush();
  const claim = await olm.getMissingSessions(users());
  if (claim) await olm.markRequestAsSent(claim.id, claim.type, await server.answer(claim));
  const session = sessions.get(roomId);
  if (session && context.now() - session.started >= ROTATION_PERIOD_MS) await olm.invalidateGroupSession(room());
  const settings = new lib.EncryptionSettings();
  if (strategy) settings.sharingStrategy = strategy;
  const requests = (await olm.shareRoomKey(room(), users(), settings)) as { id: string; type: number; body: string; event_type: string }[];
  for (const request of requests) await olm.markRequestAsSent(request.id, request.type, await server.answer(request));
  await device.flush();
  const encrypted = await olm.encryptRoomEvent(new lib.RoomId(roomId), 'm.room.message', JSON.stringify(content));
  const sessionId = (JSON.parse(encrypted) as { session_id?: string }).session_id ?? '';
  if (sessions.get(roomId)?.id !== sessionId) sessions.set(roomId, { id: sessionId, started: context.now() });
  const event: MatrixEnvelope = {
    kind: 'room',
    room_id: roomId,
    event_id: `$${Buffer.from(context.crypto.sha256(new TextEncoder().encode(encrypted))).toString('base64url')}`,
    origin_server_ts: context.now(),
    type: 'm.room.encrypted',
    content: encrypted,
  };
  const body = pack(event);
  const recipients: DeviceAddress[] = [];
  for (const user of members) {
    const listing = await context.provider.fetchDevices(user).catch(() => null);
    for (const name of listing?.devices ?? []) {
      const address = `${user}.${name}` as DeviceAddress;
      if (address !== context.address) recipients.push(address);
    }
  }
  if (recipients.length > 0) await context.provider.send(recipients.map((to) => ({ to, body })));
}
