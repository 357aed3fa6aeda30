/**
 * The shield an app shows beside a decrypted event: the library's own verdict on its sender
 * (`shieldState`, strict or not), read by name (the numbers differ between releases). The
 * shown one becomes the app's alert; both, with their codes and messages, go to the notes.
 */
import type { DeviceAddress } from '../../harness/scenario/types.ts';
import type { ClientContext } from '../types.ts';
import { enumName, type Library } from './library.ts';

export interface Shield {
  color: string;
  code: string | null;
  message: string | null;
}

/** A decrypted event's shield, strict (an unverified identity is flagged) or not. */
export function readShield(lib: Library, decrypted: { shieldState(strict: boolean): unknown }, strict: boolean): Shield {
  const shield = decrypted.shieldState(strict) as { color: number; code?: number; message?: string } | undefined;
  return {
    color: shield ? enumName(lib.ShieldColor, shield.color) ?? 'None' : 'None',
    code: shield ? enumName(lib.ShieldStateCode, shield.code) : null,
    message: shield?.message ?? null,
  };
}

/** The shield the app shows for an event (strict or not, by the variant), as an alert; both shields' codes go to the notes. */
export function showShield(context: ClientContext, lib: Library, decrypted: { shieldState(strict: boolean): unknown }, strictShield: boolean, from: DeviceAddress, messageId: string): void {
  const shown = readShield(lib, decrypted, strictShield);
  const other = readShield(lib, decrypted, !strictShield);
  if (shown.color !== 'None') context.alert('unverified-sender', from);
  if (shown.color !== 'None' || other.color !== 'None') {
    const describe = (s: Shield, strict: boolean) => `${strict ? 'strict' : 'non-strict'} ${s.color}${s.code ? ` ${s.code}` : ''}${s.message ? ` "${s.message}"` : ''}`;
    context.note?.(`shield for ${messageId} from ${from}: ${describe(shown, strictShield)}; ${describe(other, !strictShield)}`);
  }
}
