/**
 * Message classes relative to an adversary (SPEC §5): `exposed` when its position entitles
 * it to the message, else `before`/`after` its strike point, or `unrelated` without one.
 */
import type { Position } from '../../attacks/types.ts';
import type { Ledger, MessageTruth } from '../ledger.ts';
import type { MessageClass } from '../report/types.ts';
import { splitAddress, type DeviceAddress } from '../scenario/types.ts';

export function classify(message: MessageTruth, position: Position, exposed: ReadonlySet<string>): MessageClass {
  if (exposed.has(message.id)) return 'exposed';
  if (position.strikeStep === null) return 'unrelated';
  return message.step < position.strikeStep ? 'before' : 'after';
}

/** Ids of the messages the adversary is entitled to by its position. */
export function exposedMessages(ledger: Ledger, position: Position): Set<string> {
  // A composite is entitled to whatever any of its parts is, each where it stands.
  if (position.parts) return new Set(position.parts.flatMap((part) => [...exposedMessages(ledger, part)]));
  const exposed = new Set<string>();
  if (position.compromisedDevice !== null && position.strikeStep !== null) {
    for (const id of heldBy(ledger, position.compromisedDevice, position.strikeStep)) exposed.add(id);
  }
  if (position.removedMember !== null) {
    const { user } = position.removedMember;
    for (const message of ledger.messages) {
      // A legitimate recipient (or the sender) when it was sent: a member before removal.
      if (message.recipientUsers.includes(user) || splitAddress(message.from).user === user) exposed.add(message.id);
    }
  }
  return exposed;
}

/**
 * Messages a device holds at `step`: sent or received by it and not deleted since, plus
 * those addressed to it and still waiting at the provider (whoever holds the device receives them).
 */
function heldBy(ledger: Ledger, device: DeviceAddress, step: number): string[] {
  const arrived = new Map<string, number>();
  for (const message of ledger.messages) {
    if (message.step >= step || message.refused !== null) continue;
    if (message.from === device) arrived.set(message.id, message.step);
    else if (message.intended.includes(device)) arrived.set(message.id, Number.POSITIVE_INFINITY);
  }
  for (const acceptance of ledger.acceptances) {
    if (acceptance.device !== device || acceptance.step >= step) continue;
    for (const marker of acceptance.markers) {
      const message = ledger.messageByMarker(marker);
      if (message && arrived.has(message.id)) arrived.set(message.id, Math.min(arrived.get(message.id)!, acceptance.step));
    }
  }
  for (const deletion of ledger.deletions) {
    if (deletion.device !== device || deletion.step >= step) continue;
    const ids = deletion.ids === 'all' ? [...arrived.keys()] : deletion.ids;
    for (const id of ids) {
      const at = arrived.get(id);
      if (at !== undefined && at <= deletion.step) arrived.delete(id);
    }
  }
  return [...arrived.keys()];
}
