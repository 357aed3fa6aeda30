/**
 * Matrix identifiers for the harness's users and devices. A user `alice` is
 * `@alice:keyhole.test`; a device keeps its name as its device id. Matrix user ids allow only
 * `a-z 0-9 . _ = - /` in the localpart, so any other character (and `=` itself) is written
 * as `=` and two hex digits per UTF-8 byte, which decodes back unambiguously.
 */
import type { DeviceAddress } from '../../harness/scenario/types.ts';

export const SERVER_NAME = 'keyhole.test';

const PLAIN = /^[a-z0-9_\-]$/;

function escape(name: string): string {
  let out = '';
  for (const char of name) {
    if (PLAIN.test(char)) out += char;
    else for (const byte of Buffer.from(char, 'utf8')) out += `=${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

function unescape(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '=') {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(text.charCodeAt(i));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

export function matrixUserId(user: string): string {
  return `@${escape(user)}:${SERVER_NAME}`;
}

export function harnessUser(userId: string): string {
  const match = /^@([^:]+):/.exec(userId);
  return match ? unescape(match[1]!) : userId;
}

export function matrixDeviceId(device: string): string {
  return escape(device);
}

export function harnessDevice(deviceId: string): string {
  return unescape(deviceId);
}

/** The device the app names for an event the library ties to no device of its sender (a session none of them made). */
export const UNNAMED_DEVICE = 'unknown-device';

export function harnessAddress(userId: string, deviceId: string): DeviceAddress {
  return `${harnessUser(userId)}.${harnessDevice(deviceId)}` as DeviceAddress;
}

/** The room of a scenario group, and the direct room of a one-to-one conversation (its two users, sorted; `+` never occurs in an escaped name). */
export function groupRoomId(group: string): string {
  return `!g-${escape(group)}:${SERVER_NAME}`;
}

export function directRoomId(a: string, b: string): string {
  const [first, second] = [a, b].sort();
  return `!dm+${escape(first!)}+${escape(second!)}:${SERVER_NAME}`;
}
