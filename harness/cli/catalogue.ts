/**
 * The built-in catalogue (targets, adversaries, scenarios) and the name lookups the CLI's
 * flags go through: an unknown name is an input error listing the known ones.
 */
import { join } from 'node:path';
import { adversaries, adversaryNamed } from '../../attacks/registry.ts';
import type { Adversary } from '../../attacks/types.ts';
import { loadTargets, targets } from '../../targets/registry.ts';
import type { Design } from '../../targets/types.ts';
import { InputError } from '../errors.ts';
import { PACKAGE_ROOT } from '../package-root.ts';
import { loadScenarios, type LoadOptions } from '../scenario/load.ts';
import type { Scenario } from '../scenario/types.ts';

export const BUILT_IN_SCENARIOS = join(PACKAGE_ROOT, 'attacks', 'scenarios');

export const loadOptions: LoadOptions = {
  adversaryParams: Object.fromEntries(
    Object.entries(adversaries).map(([name, adversary]) => [name, adversary.params ? { schema: adversary.params } : {}]),
  ),
};

export function builtInScenarios(): Scenario[] {
  return loadScenarios([BUILT_IN_SCENARIOS], loadOptions);
}

/** Split a comma list flag and look each name up; no flag means every entry. */
export function pick<T>(registry: Record<string, T>, list: string | undefined, flag: string): T[] {
  if (list === undefined) return Object.values(registry);
  return pickNames(registry, list, flag).map((n) => registry[n]!);
}

/** The distinct names of a comma list flag, each checked against the registry. */
export function pickNames(registry: Record<string, unknown>, list: string, flag: string): string[] {
  const names = list.split(',').map((n) => n.trim()).filter((n) => n.length > 0);
  const unknown = names.filter((n) => !(n in registry));
  if (unknown.length > 0 || names.length === 0) {
    const what = unknown.length > 0 ? `unknown name${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `'${n}'`).join(', ')}` : 'no names given';
    throw new InputError({ file: '<command line>', path: flag, message: `${what}; expected a comma list of: ${Object.keys(registry).join(', ')}` });
  }
  return [...new Set(names)];
}

/** `-t`: the designs named (checked first, then loaded: only the designs that run are imported). */
export async function pickTargets(list: string | undefined): Promise<Design[]> {
  const names = list === undefined ? Object.keys(targets) : pickNames(targets, list, '--targets');
  return loadTargets(names);
}

/**
 * `-a`: built-in adversaries, or composites of them (`stolen-device+quantum`, SPEC §4). No
 * flag means the built-in single adversaries: composites run only when named.
 */
export function pickAdversaries(list: string | undefined): Adversary<any>[] {
  if (list === undefined) return Object.values(adversaries);
  const names = list.split(',').map((n) => n.trim()).filter((n) => n.length > 0);
  const problems: string[] = [];
  const picked = new Map<string, Adversary<any>>();
  for (const name of names) {
    try {
      const adversary = adversaryNamed(name);
      picked.set(adversary.name, adversary);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (problems.length > 0 || names.length === 0) {
    const what = problems.length > 0 ? problems.join('; ') : 'no names given';
    throw new InputError({
      file: '<command line>',
      path: '--adversaries',
      message: `${what}; expected a comma list of: ${Object.keys(adversaries).join(', ')}, or composites of distinct ones joined with + (e.g. stolen-device+quantum)`,
    });
  }
  return [...picked.values()];
}
