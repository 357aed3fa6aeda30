/**
 * A scenario after loading and validation: plain data with every reference resolved
 * (SPEC §2). Devices are named by address, `user.device`.
 */

export type DeviceAddress = `${string}.${string}`;

export type Addressee = { kind: 'user'; user: string } | { kind: 'group'; group: string };

export type Step =
  | { kind: 'send'; from: DeviceAddress; to: Addressee; messages: SentMessage[] }
  | { kind: 'delete'; device: DeviceAddress; ids: string[] | 'all' }
  | { kind: 'mark'; name: string }
  /** The run's clock moves on by `ms` milliseconds. */
  | { kind: 'wait'; ms: number }
  | { kind: 'offline'; device: DeviceAddress }
  | { kind: 'online'; device: DeviceAddress }
  | { kind: 'verify'; users: string[] }
  | { kind: 'link-device'; user: string; device: string }
  | { kind: 'unlink-device'; device: DeviceAddress }
  | { kind: 'add-member'; group: string; user: string; by: string }
  | { kind: 'remove-member'; group: string; user: string; by: string };

export type StepKind = Step['kind'];

export interface SentMessage {
  id: string;
  /** As written, or for a near-duplicate the edited text; null: a generated sentence. */
  text: string | null;
  /** A near-duplicate (`like:` in the file): the id of the message whose text it edits. */
  like?: string;
}

export interface GroupDefinition {
  admin: string;
  members: string[];
}

export interface Scenario {
  name: string;
  description: string;
  /** Where it came from: a path, or `built-in:<name>`. */
  source: string;
  /** user -> device names as at the start; the first device is the primary. */
  users: Record<string, string[]>;
  groups: Record<string, GroupDefinition>;
  steps: Step[];
  /** mark name -> index of its step. */
  marks: Record<string, number>;
  /** Adversary parameters as written, checked against each adversary's own schema. */
  adversaries: Record<string, Record<string, unknown>>;
  /**
   * The 1-based line in `source` where each step is written, by step index (null where it is
   * not known); absent when the scenario was not read from a file.
   */
  stepLines?: (number | null)[];
}

export function deviceAddress(user: string, device: string): DeviceAddress {
  return `${user}.${device}`;
}

export function splitAddress(address: DeviceAddress): { user: string; device: string } {
  const dot = address.indexOf('.');
  return { user: address.slice(0, dot), device: address.slice(dot + 1) };
}
