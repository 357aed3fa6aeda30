/**
 * What the `matrix` client reads off an envelope before the library sees it, and how it
 * words what the library refuses: coded rejections (by the library's error names: their
 * numbers differ between releases), library messages without the random ids they quote, and
 * the small decodings of room ids and master keys.
 */
import { RejectionError, type RejectionCode } from '../../harness/errors.ts';
import type { MatrixEnvelope } from './homeserver.ts';
import { harnessUser, SERVER_NAME } from './ids.ts';

/** The coded rejection for a decryption error the library reports (by name: the numbers differ between releases). */
export function rejectionCode(name: string | null): RejectionCode {
  switch (name) {
    case 'MissingRoomKey':
    case 'UnknownMessageIndex':
      return 'no-session';
    case 'UnknownSenderDevice':
      return 'unknown-device';
    case 'UnsignedSenderDevice':
    case 'SenderIdentityVerificationViolation':
    case 'MismatchedIdentityKeys':
    case 'MismatchedSender':
      return 'untrusted-identity';
    default:
      return 'invalid-message';
  }
}

/** Every field a Matrix envelope needs, of the right type (a malformed one is a coded rejection). */
export function checkEnvelope(event: MatrixEnvelope): void {
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
export async function libraryCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (RejectionError.is(error)) throw error;
    throw new RejectionError('invalid-message', `the library refused the event: ${withoutKeys(error instanceof Error ? error.message : String(error))}`, { cause: error });
  }
}

/** A library message without the key and session ids it may quote (random per run: reports stay reproducible). */
export function withoutKeys(text: string): string {
  return text.replace(/[A-Za-z0-9+/=_$-]{20,}/g, '…');
}

/** The scenario group a room belongs to, or null for a direct room. */
export function groupOfRoom(roomId: string): string | null {
  const match = new RegExp(`^!g-(.+):${SERVER_NAME.replace('.', '\\.')}$`).exec(roomId);
  if (!match) return null;
  return harnessUser(`@${match[1]}:`);
}

/** The Ed25519 key of a master key (its JSON, as the library gives it). */
export function masterKeyBytes(json: string): Uint8Array {
  const keys = Object.values((JSON.parse(json) as { keys?: Record<string, string> }).keys ?? {});
  return new Uint8Array(Buffer.from(keys[0] ?? '', 'base64'));
}

/** A room event's payload field: the scenario message, packed, in base64. */
export const PAYLOAD_FIELD = 'org.keyhole.payload';
