/**
 * Handing what arrived to the machine: a to-device message through `receiveSyncChanges`
 * (as a sync delivers it, with the device's one-time key count), a room event through
 * `decryptRoomEvent` with the variant's `TrustRequirement`. What the library refuses is a
 * coded rejection; a room event it cannot decrypt is also shown to the user (the app's
 * "unable to decrypt" line) with the library's error code and message in the notes.
 */
import { RejectionError } from '../../harness/errors.ts';
import { decodePayload, type Payload } from '../shared/pairwise-client.ts';
import { libraryCall, PAYLOAD_FIELD, rejectionCode, withoutKeys } from './events.ts';
import { ONE_TIME_POOL, type MatrixEnvelope } from './homeserver.ts';
import { harnessUser } from './ids.ts';
import { enumName, processedToDevice } from './library.ts';
import type { RoomDevice } from './room-send.ts';

type ToDevice = Extract<MatrixEnvelope, { kind: 'to-device' }>;
type RoomEvent = Extract<MatrixEnvelope, { kind: 'room' }>;
type TrustName = 'Untrusted' | 'CrossSignedOrLegacy' | 'CrossSigned';

function parseContent(event: MatrixEnvelope, what: string): unknown {
  try {
    return JSON.parse(event.content);
  } catch {
    throw new RejectionError('malformed-message', `${what} that is not JSON`);
  }
}

/** A to-device message from `sender` (the user id the homeserver stamped on it). */
export async function receiveToDevice(device: RoomDevice, sender: string, event: ToDevice): Promise<void> {
  const { context, lib, olm } = device;
  const content = parseContent(event, 'a to-device message');
  const counts = new Map<string, number>();
  const left = await context.provider.countOneTimeKeys().catch(() => null);
  if (left) counts.set(ONE_TIME_POOL, left[ONE_TIME_POOL] ?? 0);
  const events = JSON.stringify([{ sender, type: event.type, content }]);
  const result = await libraryCall(() => olm.receiveSyncChanges(events, new lib.DeviceLists(), counts, new Set<string>()));
  await device.flush();
  const [processed] = processedToDevice(lib, result);
  if (processed && processed.kind !== 'Decrypted' && processed.kind !== 'PlainText') {
    throw new RejectionError('invalid-message', `the library could not decrypt a to-device message (${processed.kind})`);
  }
}

/** The event as the sync serves it: the homeserver's `sender`, event id and timestamp around the ciphertext. */
function rawEvent(event: RoomEvent, sender: string): string {
  const content = parseContent(event, 'a room event');
  return JSON.stringify({ type: event.type, content, event_id: event.event_id, origin_server_ts: event.origin_server_ts, sender, room_id: event.room_id });
}

/** The decrypted event's keyhole payload. */
export function payloadOf(eventJson: string): Payload {
  const encoded = (JSON.parse(eventJson) as { content?: Record<string, unknown> }).content?.[PAYLOAD_FIELD];
  if (typeof encoded !== 'string') throw new RejectionError('malformed-message', 'a room event without a keyhole payload');
  return decodePayload(new Uint8Array(Buffer.from(encoded, 'base64')));
}

/** Decrypt a room event from `sender` as the library does under `trust`; a failure is shown and noted. */
export async function decryptRoomEvent(device: RoomDevice, sender: string, event: RoomEvent, trust: TrustName) {
  const { context, lib, olm } = device;
  const raw = rawEvent(event, sender);
  try {
    return await olm.decryptRoomEvent(raw, new lib.RoomId(event.room_id), new lib.DecryptionSettings(lib.TrustRequirement[trust]));
  } catch (error) {
    const code = enumName(lib.DecryptionErrorCode, (error as { code?: number }).code);
    const description = withoutKeys((error as { description?: string }).description ?? String(error));
    const senderUser = harnessUser(sender);
    context.alert('decryption-failed', senderUser);
    context.note?.(`could not decrypt an event from ${senderUser}: ${code ?? 'error'} (${description})`);
    throw new RejectionError(rejectionCode(code), `the library could not decrypt the event: ${code ?? 'error'}: ${description}`, { cause: error });
  }
}

/** A room event this device sent, opened with its own outbound session (also among its inbound ones); null if it cannot. */
export async function openOwnEvent(device: RoomDevice, userId: string, event: RoomEvent): Promise<Uint8Array | null> {
  const { lib, olm } = device;
  try {
    const decrypted = await olm.decryptRoomEvent(rawEvent(event, userId), new lib.RoomId(event.room_id), new lib.DecryptionSettings(lib.TrustRequirement.Untrusted));
    return payloadOf(decrypted.event).body;
  } catch {
    return null;
  }
}
