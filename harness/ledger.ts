/**
 * Ground truth: who sent what to whom, with which marker, and what each device accepted,
 * deleted and held. Written by the harness as the scenario runs and read only by the judge;
 * no adversary and no design ever sees it.
 */
import type { AlertReport } from './report/types.ts';
import type { DeviceAddress } from './scenario/types.ts';

export interface MessageTruth {
  id: string;
  marker: string;
  from: DeviceAddress;
  /** The addressee as the scenario wrote it: a user or a group. */
  to: string;
  toKind: 'user' | 'group';
  step: number;
  /** Users the message is for (the sender excluded). */
  recipientUsers: string[];
  /** Every device that should receive it: recipients' devices and the sender's other devices. */
  intended: DeviceAddress[];
  /** Sender and every recipient had compared safety numbers successfully before it was sent. */
  verified: boolean;
  /** Why the sender's client refused to send it, if it did. */
  refused: string | null;
  /** The devices the sender's client actually encrypted it to (as uploaded). */
  encryptedTo: DeviceAddress[];
}

/** A client accepted a message: what it believed about the sender, and what the body was. */
export interface Acceptance {
  device: DeviceAddress;
  step: number;
  claimedFrom: DeviceAddress;
  claimedId: string;
  /** The group the client took it to be for, or null for a one-to-one message. */
  group: string | null;
  /** Markers found in the accepted body (normally exactly one). */
  markers: string[];
  /** Digest of the envelope body as delivered, to spot the same ciphertext accepted twice. */
  envelopeDigest: string;
}

/** A client rejected an envelope (failed to decrypt, replay, unknown sender...). */
export interface Rejection {
  device: DeviceAddress;
  step: number;
  from: DeviceAddress;
  reason: string;
  /** The upload the refused envelope was stored from (or stands in for), when it came through one. */
  upload?: number;
}

/** An alert a device's app showed its user (the report's `alerts`). */
export type Alert = AlertReport;

export interface Deletion {
  device: DeviceAddress;
  step: number;
  ids: readonly string[] | 'all';
}

export interface DeviceLifetime {
  address: DeviceAddress;
  user: string;
  addedAt: number;
  removedAt: number | null;
}

export interface RosterChange {
  group: string;
  step: number;
  members: string[];
}

export class Ledger {
  readonly messages: MessageTruth[] = [];
  readonly acceptances: Acceptance[] = [];
  readonly rejections: Rejection[] = [];
  /** What the devices' apps showed their users, in order (never what an attacker's copy showed). */
  readonly alerts: Alert[] = [];
  readonly deletions: Deletion[] = [];
  readonly devices: DeviceLifetime[] = [];
  readonly rosters: RosterChange[] = [];
  /** Step at which each pair of users (`a|b`, sorted) verified, or -1 after a mismatch. */
  readonly verifications = new Map<string, { step: number; matched: boolean }>();
  /** Notes the harness made while running (unsupported steps, refusals, ...). */
  readonly notes: string[] = [];
  /** The provider's upload number -> the message whose sender uploaded it to its recipients. */
  readonly uploads = new Map<number, string>();
  /** The wire record (`seq`) a client's upload crossed the network in -> the provider's number for the upload. */
  readonly uploadsOnWire = new Map<number, number>();
  /** Every upload a scenario send made (copies to the sender's own devices included) -> the message id. */
  readonly messageUploads = new Map<number, string>();
  readonly #byMarker = new Map<string, MessageTruth>();
  readonly #byId = new Map<string, MessageTruth>();

  addMessage(message: MessageTruth): void {
    this.messages.push(message);
    this.#byMarker.set(message.marker, message);
    this.#byId.set(message.id, message);
  }

  messageByMarker(marker: string): MessageTruth | undefined {
    return this.#byMarker.get(marker);
  }

  messageById(id: string): MessageTruth | undefined {
    return this.#byId.get(id);
  }

  /** Devices of a user that exist at `step`. */
  devicesOf(user: string, step: number): DeviceAddress[] {
    return this.devices
      .filter((d) => d.user === user && d.addedAt <= step && (d.removedAt === null || d.removedAt > step))
      .map((d) => d.address);
  }

  /** Members of a group at `step` (after any change made at that step). */
  membersOf(group: string, step: number): string[] {
    let members: string[] = [];
    for (const change of this.rosters) {
      if (change.group === group && change.step <= step) members = change.members;
    }
    return members;
  }

  isVerified(a: string, b: string, step: number): boolean {
    const entry = this.verifications.get(pairKey(a, b));
    return entry !== undefined && entry.matched && entry.step < step;
  }

  /**
   * Whether a message `a` accepted as from `b` at `step` came in a conversation still verified
   * for `a`: compared before, and no identity change of one shown to the other since. An app
   * that shows a changed identity clears the contact's verified mark, and shows the messages
   * that key sends after the notice (Signal, "Verified safety number updates": received
   * messages are displayed at once, with the safety number change warning).
   */
  isStillVerified(a: string, b: string, step: number): boolean {
    if (!this.isVerified(a, b, step)) return false;
    const since = this.verifications.get(pairKey(a, b))!.step;
    return !this.alerts.some(
      (alert) => alert.kind === 'identity-changed' && alert.step >= since && alert.step <= step && ((alert.user === a && alert.about === b) || (alert.user === b && alert.about === a)),
    );
  }
}

export function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}
