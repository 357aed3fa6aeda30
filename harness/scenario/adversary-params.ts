/**
 * The `adversaries` section of a scenario (SPEC §2): every adversary named is known, the
 * references among its parameters (a device, a mark, a group, a user, message ids) exist in
 * the scenario, and then the parameters pass the adversary's own schema.
 */
import { z } from 'zod';

import { addZodIssues, describe } from '../input/index.ts';
import type { Path } from '../input/index.ts';
import { echo } from '../printable.ts';
import { list } from './state.ts';
import type { ScenarioState } from './state.ts';
import { deviceAddress } from './types.ts';
import type { DeviceAddress } from './types.ts';

export interface AdversaryParamSpec {
  /**
   * Checked against the adversary's parameters, after the generic reference checks. Without
   * one the adversary takes no parameters: any key given to it is refused.
   */
  schema?: z.ZodType;
}

/** The parameters of an adversary that takes none: `{}` only. */
const NO_PARAMS = z.strictObject({});

/** The parameters of each adversary the scenario names, a device address resolved; `known` by name. */
export function checkAdversaries(
  state: ScenarioState,
  known: Record<string, AdversaryParamSpec>,
): Record<string, Record<string, unknown>> {
  const out: [string, Record<string, unknown>][] = [];
  for (const [name, params] of Object.entries(state.raw.adversaries ?? {})) {
    const base = ['adversaries', name];
    if (!Object.hasOwn(known, name)) {
      state.add(base, `unknown adversary ${echo(name)} (known: ${list(Object.keys(known))})`, true);
      continue;
    }
    const before = state.problems.count;
    const normalized: Record<string, unknown> = { ...params };
    if ('device' in params) {
      const address = anyTimeDevice(state, params.device, [...base, 'device']);
      if (address) normalized.device = address;
    }
    if ('at' in params && !(typeof params.at === 'string' && state.marks.has(params.at))) {
      state.add(
        [...base, 'at'],
        `${typeof params.at === 'string' ? `unknown mark ${echo(params.at)}` : `expected a mark name, got ${describe(params.at)}`} (marks: ${list(state.marks.keys(), 'none in this scenario')})`,
      );
    }
    const device = normalized.device;
    const mark = typeof params.at === 'string' ? state.marks.get(params.at) : undefined;
    if (typeof device === 'string' && mark !== undefined) {
      const absent = absentAt(state, device, mark);
      if (absent) state.add([...base, 'device'], `${echo(device)} does not exist at mark ${echo(String(params.at))} (steps[${mark}]): ${absent}`);
    }
    if ('group' in params && !(typeof params.group === 'string' && state.groups.has(params.group))) {
      state.add(
        [...base, 'group'],
        `${typeof params.group === 'string' ? `unknown group ${echo(params.group)}` : `expected a group name, got ${describe(params.group)}`} (groups: ${state.groupNames()})`,
      );
    }
    if ('user' in params && !(typeof params.user === 'string' && state.devices.has(params.user))) {
      state.add(
        [...base, 'user'],
        `${typeof params.user === 'string' ? `unknown user ${echo(params.user)}` : `expected a user name, got ${describe(params.user)}`} (users: ${state.users()})`,
      );
    }
    if ('targets' in params && Array.isArray(params.targets)) {
      const first = new Map<string, number>();
      params.targets.forEach((id: unknown, i: number) => {
        if (typeof id !== 'string') return;
        if (!state.sent.has(id)) state.add([...base, 'targets', i], `unknown message id ${echo(id)} (ids: ${list(state.sent.keys())})`);
        else if (first.has(id)) state.add([...base, 'targets', i], `${echo(id)} is listed twice (first at targets[${first.get(id)}])`);
        else first.set(id, i);
      });
    }
    const schema = known[name]!.schema ?? NO_PARAMS;
    if (state.problems.count === before) {
      const result = schema.safeParse(normalized);
      if (!result.success) paramIssues(state, result.error.issues, name, schema, normalized);
    }
    out.push([name, normalized]);
  }
  return Object.fromEntries(out);
}

/** An adversary's parameter problems; an unknown key says which keys it takes, or that it takes none. */
function paramIssues(
  state: ScenarioState,
  issues: readonly z.core.$ZodIssue[],
  adversary: string,
  schema: z.ZodType,
  params: Record<string, unknown>,
): void {
  const base = ['adversaries', adversary];
  const taken = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
  const takes = taken.length > 0 ? `${adversary} takes only: ${taken.join(', ')}` : `${adversary} takes no parameters`;
  const unknownKeys = (issue: z.core.$ZodIssue): issue is z.core.$ZodIssueUnrecognizedKeys =>
    issue.code === 'unrecognized_keys' && issue.path.length === 0;
  for (const issue of issues.filter(unknownKeys)) {
    for (const key of issue.keys) state.add([...base, key], `unknown key ${echo(key)} (${takes})`, true);
  }
  addZodIssues(state.problems, issues.filter((issue) => !unknownKeys(issue)), params, base);
}

/** A device that exists at some point of the scenario; a bare user means its primary. */
function anyTimeDevice(state: ScenarioState, value: unknown, path: Path): DeviceAddress | undefined {
  if (typeof value !== 'string' || value === '') {
    state.add(path, `expected a device address user.device or a user (its primary device), got ${describe(value)}`);
    return undefined;
  }
  const dot = value.indexOf('.');
  const user = dot < 0 ? value : value.slice(0, dot);
  if (!state.devices.has(user)) {
    state.add(path, `unknown user ${echo(user)}${dot < 0 ? '' : ` in ${echo(value)}`} (users: ${state.users()})`);
    return undefined;
  }
  if (dot < 0) return deviceAddress(user, state.raw.users[user]![0]!);
  if (state.everDevices.has(value)) return value as DeviceAddress;
  const ever = [...state.everDevices].filter((address) => address.startsWith(`${user}.`)).map((a) => a.slice(user.length + 1));
  state.add(path, `unknown device ${echo(value)} (${user} has: ${list(ever)})`);
  return undefined;
}

/** Why a device of the scenario is not there at the mark at step `mark` (linked later, or unlinked before); null when it is. */
function absentAt(state: ScenarioState, address: string, mark: number): string | null {
  const linked = state.linkedAt.get(address);
  if (linked !== undefined && linked > mark) return `it is linked at steps[${linked}]`;
  const unlinked = state.unlinkedAt.get(address);
  if (unlinked !== undefined && unlinked < mark) return `it was unlinked at steps[${unlinked}]`;
  return null;
}
