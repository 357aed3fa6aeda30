/**
 * What the reference checks of a scenario (SPEC §2) know at the step being checked: which
 * devices each user has, which groups exist and who is in them, which ids and marks were
 * written so far, and where the problems go. The step checkers (`steps/`) read and change it
 * step by step; `load.ts` makes one per scenario.
 */
import type { Path, Problems } from '../input/index.ts';
import type { RawScenario } from './schema.ts';
import { deviceAddress } from './types.ts';
import type { DeviceAddress } from './types.ts';

export interface GroupState {
  admin: string;
  members: string[];
}

export interface SentId {
  step: number;
  /** Where the id is written (or, for a default id, the step's send). */
  path: Path;
}

/** `a, b, c`, cut after twelve; `none` when empty. */
export function list(items: Iterable<string>, none = 'none'): string {
  const all = [...items];
  if (all.length === 0) return none;
  return all.length > 12 ? `${all.slice(0, 12).join(', ')}, ... (${all.length} in all)` : all.join(', ');
}

/** The ids a send step sends: its id (by default `m<step number>`), numbered when it has a count. */
export function idsOf(send: { id?: string | undefined; count?: number | undefined }, index: number): string[] {
  const base = send.id ?? `m${index + 1}`;
  if (send.count === undefined) return [base];
  return Array.from({ length: send.count }, (_, i) => `${base}.${i + 1}`);
}

export class ScenarioState {
  readonly raw: RawScenario;
  readonly problems: Problems;

  /** user -> current devices, the primary first. */
  readonly devices = new Map<string, string[]>();
  /** Every device that exists at some point. */
  readonly everDevices = new Set<string>();
  readonly linkedAt = new Map<string, number>();
  readonly unlinkedAt = new Map<string, number>();
  readonly offlineSince = new Map<string, number>();
  readonly groups = new Map<string, GroupState>();
  readonly sent = new Map<string, SentId>();
  /** Message id -> its text as resolved (null: generated), for near-duplicates that edit it. */
  readonly texts = new Map<string, string | null>();
  /** Every id any send step of the scenario sends, for better messages. */
  readonly sentLater = new Map<string, number>();
  readonly marks = new Map<string, number>();
  /** Copies of messages delivered so far: each message times the devices it goes to. */
  deliveries = 0;

  constructor(raw: RawScenario, problems: Problems) {
    this.raw = raw;
    this.problems = problems;
  }

  add(path: Path, message: string, atKey = false): void {
    this.problems.add(path, message, atKey);
  }

  users(): string {
    return list(this.devices.keys());
  }

  groupNames(): string {
    return list(this.groups.keys());
  }

  knownUser(user: string, path: Path): boolean {
    if (this.devices.has(user)) return true;
    this.add(path, `unknown user '${user}' (users: ${this.users()})`);
    return false;
  }

  /** `bob has: phone, laptop`. */
  has(user: string): string {
    return `${user} has: ${list(this.devices.get(user) ?? [])}`;
  }

  /** A device that exists at step `index`. */
  currentDevice(address: string, path: Path, index: number): DeviceAddress | undefined {
    const dot = address.indexOf('.');
    const user = address.slice(0, dot);
    const device = address.slice(dot + 1);
    if (!this.devices.has(user)) {
      this.add(path, `unknown user '${user}' in '${address}' (users: ${this.users()})`);
      return undefined;
    }
    if (this.devices.get(user)!.includes(device)) return deviceAddress(user, device);
    const unlinked = this.unlinkedAt.get(address);
    const linked = this.linkedAt.get(address);
    if (unlinked !== undefined) {
      this.add(path, `device '${address}' was unlinked at steps[${unlinked}] (${this.has(user)})`);
    } else if (linked !== undefined && linked > index) {
      this.add(path, `device '${address}' is not linked yet: it is linked at steps[${linked}] (${this.has(user)})`);
    } else {
      this.add(path, `unknown device '${address}' (${this.has(user)})`);
    }
    return undefined;
  }
}
