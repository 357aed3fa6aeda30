/**
 * The catalogue a command works with (built-in targets, adversaries, scenarios, plus the
 * config's and the plugins', `../../harness/plugins/registry.ts`) and the name lookups the CLI's flags
 * go through: an unknown name is an input error listing the known ones.
 */
import type { Adversary } from '../../attacks/types.ts';
import type { Design } from '../../targets/types.ts';
import { InputError } from '../../harness/errors.ts';
import { BUILT_IN, BUILT_IN_SCENARIOS, loadRegistry, type Registry } from '../../harness/plugins/registry.ts';
import { loadScenarios, type LoadOptions } from '../../harness/scenario/load.ts';
import type { Scenario } from '../../harness/scenario/types.ts';

export { BUILT_IN_SCENARIOS };

/** What the scenario loader accepts for the built-in adversaries. */
export const loadOptions: LoadOptions = BUILT_IN.loadOptions;

/** The flags that add to the catalogue (SPEC §1, §9). */
export interface PluginFlags {
  config?: string;
  plugin?: string[];
}

/** The catalogue of a command: the built-in one plus `--config` (or `keyhole.config.*` in the working folder) and every `--plugin`. */
export function registryFor(flags: PluginFlags, cwd: string = process.cwd()): Promise<Registry> {
  return loadRegistry({ cwd, config: flags.config ?? null, plugins: flags.plugin ?? [] });
}

/** The scenarios an audit runs without scenario arguments: the built-in ones and those the config and plugins add. */
export function builtInScenarios(registry: Registry = BUILT_IN): Scenario[] {
  return loadScenarios([BUILT_IN_SCENARIOS, ...registry.scenarioPaths], registry.loadOptions);
}

/** Split a comma list flag and look each name up; no flag means every entry. */
export function pick<T>(registry: Record<string, T>, list: string | undefined, flag: string): T[] {
  if (list === undefined) return Object.values(registry);
  return pickNames(Object.keys(registry), list, flag).map((n) => registry[n]!);
}

/** The distinct names of a comma list flag, each checked against the known ones. */
export function pickNames(known: readonly string[] | Record<string, unknown>, list: string, flag: string): string[] {
  const names = list.split(',').map((n) => n.trim()).filter((n) => n.length > 0);
  const all = Array.isArray(known) ? known : Object.keys(known);
  const unknown = names.filter((n) => !all.includes(n));
  if (unknown.length > 0 || names.length === 0) {
    const what = unknown.length > 0 ? `unknown name${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `'${n}'`).join(', ')}` : 'no names given';
    throw new InputError({ file: '<command line>', path: flag, message: `${what}; expected a comma list of: ${all.join(', ')}` });
  }
  return [...new Set(names)];
}

/** `-t`: the designs named (checked first, then loaded: only the designs that run are imported); no flag: every target. */
export async function pickTargets(list: string | undefined, registry: Registry = BUILT_IN): Promise<Design[]> {
  const names = list === undefined ? registry.targetNames() : pickNames(registry.targetNames(), list, '--targets');
  return registry.loadTargets(names);
}

/**
 * `-a`: adversaries, or composites of them (`stolen-device+quantum`, SPEC §4). No flag means
 * every single adversary: composites run only when named.
 */
export function pickAdversaries(list: string | undefined, registry: Registry = BUILT_IN): Adversary<any>[] {
  if (list === undefined) return Object.values(registry.adversaries);
  const names = list.split(',').map((n) => n.trim()).filter((n) => n.length > 0);
  const problems: string[] = [];
  const picked = new Map<string, Adversary<any>>();
  for (const name of names) {
    try {
      const adversary = registry.adversaryNamed(name);
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
      message: `${what}; expected a comma list of: ${Object.keys(registry.adversaries).join(', ')}, or composites of distinct ones joined with + (e.g. stolen-device+quantum)`,
    });
  }
  return [...picked.values()];
}
