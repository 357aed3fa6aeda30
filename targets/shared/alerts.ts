/**
 * What a design's app shows its user (SPEC §5 alerts), shared by the designs that show the
 * same things: changes to a list the app watches (a user's devices, a group's members), and
 * envelopes it could not open.
 */
import { RejectionError } from '../../harness/errors.ts';
import type { AlertKind } from '../../harness/report/types.ts';
import type { DeviceAddress } from '../../harness/scenario/types.ts';
import type { ClientContext } from '../types.ts';
import { userOf } from './pairwise-client.ts';

/** The entries of `after` that `before` lacked, and those it had that `after` lacks; nothing when there was no `before`. */
export function listChanges(before: readonly string[] | undefined, after: readonly string[]): { added: string[]; removed: string[] } {
  if (before === undefined) return { added: [], removed: [] };
  return { added: after.filter((e) => !before.includes(e)), removed: before.filter((e) => !after.includes(e)) };
}

/** Alert `kind` once about each entry. */
export function alertEach(context: ClientContext, kind: AlertKind, about: readonly string[]): void {
  for (const entry of about) context.alert(kind, entry);
}

/**
 * Rejections an app does not show: a duplicate (the provider delivered a message again; the
 * app already shows it once: libsignal's DuplicatedMessage is dropped silently by Signal's
 * apps) and an envelope from a device its user's signed list does not name (no conversation
 * to show it in).
 */
const SILENT: ReadonlySet<string> = new Set(['duplicate-message', 'unknown-device']);

/** "A message from X could not be delivered": the app tells the user it dropped a message from a peer. */
export function alertRejection(context: ClientContext, from: DeviceAddress, error: unknown): void {
  if (error instanceof RejectionError && SILENT.has(error.code)) return;
  const sender = userOf(from);
  if (sender !== context.user) context.alert('decryption-failed', sender);
}
