/**
 * The catalogue a command works with: the built-in targets, adversaries, reporters and
 * scenarios, plus those of the config and the plugins (SPEC §9). Every name the command line,
 * a scenario, a report or a worker thread uses is looked up here, so that a design or an
 * adversary of one's own goes wherever a built-in one does.
 */
import { join, resolve } from 'node:path';

import { COMPOSITE_SEPARATOR, compose, partNames } from '../../attacks/compose.ts';
import { adversaries as builtInAdversaries, adversaryNamed as builtInAdversaryNamed } from '../../attacks/registry.ts';
import type { Adversary } from '../../attacks/types.ts';
import type { CommandTargetConfig } from '../../core/index.ts';
import { reporters as builtInReporters } from '../../reports/registry.ts';
import type { ReporterEntry } from '../../reports/types.ts';
import { loadTarget as loadBuiltInTarget, targets as builtInTargets } from '../../targets/registry.ts';
import type { Claim, Design } from '../../targets/types.ts';
import { InputError, type InputProblem } from '../errors.ts';
import { PACKAGE_ROOT } from '../package-root.ts';
import type { LoadOptions } from '../scenario/load.ts';
import { loadModules, type LoadedModule, type PluginSource } from './load.ts';

export type { PluginSource } from './load.ts';

export const BUILT_IN_SCENARIOS = join(PACKAGE_ROOT, 'attacks', 'scenarios');

/** What a registry adds to the built-in catalogue. */
interface Additions {
  targets: Map<string, Design>;
  adversaries: Map<string, Adversary<any>>;
  reporters: Map<string, ReporterEntry>;
  scenarios: string[];
  policy: string | null;
}

const NONE: Additions = { targets: new Map(), adversaries: new Map(), reporters: new Map(), scenarios: [], policy: null };

export class Registry {
  /** Every single (not composite) adversary, built-in ones first. */
  readonly adversaries: Readonly<Record<string, Adversary<any>>>;
  /** Every reporter, by the name `--reporter` takes. */
  readonly reporters: Readonly<Record<string, ReporterEntry>>;
  /** Scenario files and folders the config and plugins add to the built-in ones. */
  readonly scenarioPaths: readonly string[];
  /** The config's policy file, or null. */
  readonly policyFile: string | null;
  /** What the scenario loader accepts under `adversaries:`. */
  readonly loadOptions: LoadOptions;
  readonly #added: Additions;
  readonly #composites = new Map<string, Adversary<any>>();

  constructor(
    /** Where the additions came from, for worker threads to load the same; null for the built-in catalogue. */
    readonly source: PluginSource | null,
    added: Additions = NONE,
  ) {
    this.#added = added;
    this.adversaries = { ...builtInAdversaries, ...Object.fromEntries(added.adversaries) };
    this.reporters = { ...builtInReporters, ...Object.fromEntries(added.reporters) };
    this.scenarioPaths = added.scenarios;
    this.policyFile = added.policy;
    this.loadOptions = {
      adversaryParams: Object.fromEntries(Object.entries(this.adversaries).map(([name, adversary]) => [name, adversary.params ? { schema: adversary.params } : {}])),
    };
  }

  /** Every target name, built-in ones first. */
  targetNames(): string[] {
    return [...Object.keys(builtInTargets), ...this.#added.targets.keys()];
  }

  /** Every target with its one-line description (loading no built-in design). */
  targetList(): { name: string; description: string }[] {
    return [
      ...Object.entries(builtInTargets).map(([name, { description }]) => ({ name, description })),
      ...[...this.#added.targets.values()].map(({ name, description }) => ({ name, description })),
    ];
  }

  /** The design of that name (a built-in one loaded on first use), or undefined. */
  loadTarget(name: string): Promise<Design> | undefined {
    const added = this.#added.targets.get(name);
    return added ? Promise.resolve(added) : loadBuiltInTarget(name);
  }

  /** The designs of those names, in that order; each must be one. */
  loadTargets(names: readonly string[] = this.targetNames()): Promise<Design[]> {
    return Promise.all(
      names.map((name) => {
        const design = this.loadTarget(name);
        if (!design) throw new Error(`unknown target '${name}'`);
        return design;
      }),
    );
  }

  /**
   * The adversary a name stands for: a single one, or a composite of distinct ones
   * (`a+b`, SPEC §4). Throws an `Error` saying what is wrong with a name that stands for none.
   */
  adversaryNamed(name: string): Adversary<any> {
    if (this.#added.adversaries.size === 0) return builtInAdversaryNamed(name);
    const parts = partNames(name);
    if (parts === null) {
      if (!Object.hasOwn(this.adversaries, name)) throw new Error(`unknown adversary '${name}'`);
      return this.adversaries[name]!;
    }
    if (parts.every((part) => Object.hasOwn(builtInAdversaries, part))) return builtInAdversaryNamed(name);
    const unknown = parts.filter((part) => !Object.hasOwn(this.adversaries, part));
    if (unknown.length > 0) throw new Error(`unknown adversary ${unknown.map((n) => `'${n}'`).join(', ')} in '${name}'`);
    const repeated = parts.find((part, i) => parts.indexOf(part) !== i);
    if (repeated !== undefined) throw new Error(`'${name}' names ${repeated} twice`);
    const canonical = parts.join(COMPOSITE_SEPARATOR);
    let composite = this.#composites.get(canonical);
    if (!composite) {
      composite = compose(parts.map((part) => this.adversaries[part]!));
      this.#composites.set(canonical, composite);
    }
    return composite;
  }

  /** The adversary of that name, or undefined (for lookups that must not throw). */
  findAdversary(name: string): Adversary<any> | undefined {
    try {
      return this.adversaryNamed(name);
    } catch {
      return undefined;
    }
  }

  /** What is wrong with a design's claims in this catalogue: adversaries it does not have. */
  claimProblems(claims: readonly Claim[]): { index: number; at: number; message: string }[] {
    const problems: { index: number; at: number; message: string }[] = [];
    claims.forEach((claim, index) =>
      claim.adversaries.forEach((name, at) => {
        try {
          this.adversaryNamed(name);
        } catch (error) {
          problems.push({ index, at, message: `${(error as Error).message}; expected one of: ${Object.keys(this.adversaries).join(', ')}, or composites of them` });
        }
      }),
    );
    return problems;
  }
}

/** The built-in catalogue. */
export const BUILT_IN = new Registry(null);

/** The registry of a command: the built-in catalogue plus the config's and the plugins'. Throws `InputError`. */
export async function loadRegistry(source: PluginSource): Promise<Registry> {
  const modules = await loadModules(source);
  if (modules.length === 0) return BUILT_IN;
  const added: Additions = { targets: new Map(), adversaries: new Map(), reporters: new Map(), scenarios: [], policy: null };
  const problems: InputProblem[] = [];
  const from = { targets: new Map<string, string>(), adversaries: new Map<string, string>(), reporters: new Map<string, string>() };
  const builtIn = { targets: builtInTargets, adversaries: builtInAdversaries, reporters: builtInReporters };
  const what = { targets: 'target', adversaries: 'adversary', reporters: 'reporter' } as const;
  const reportFiles = new Map(Object.entries(builtInReporters).flatMap(([name, entry]) => entry.files.map((file) => [file.name, name] as const)));

  for (const module of modules) {
    const exports = module.exports;
    for (const section of ['targets', 'adversaries', 'reporters'] as const) {
      for (const name of Object.keys(exports[section] ?? {})) {
        if (Object.hasOwn(builtIn[section], name)) {
          problems.push({ file: module.name, path: `${section}.${name}`, message: `'${name}' is a built-in ${what[section]}; give yours another name` });
        } else if (from[section].has(name)) {
          problems.push({ file: module.name, path: `${section}.${name}`, message: `${what[section]} '${name}' is also given by ${from[section].get(name)}; names must be unique` });
        } else {
          from[section].set(name, module.name);
        }
      }
    }
    for (const [name, target] of Object.entries(exports.targets ?? {})) {
      if (!added.targets.has(name)) added.targets.set(name, 'command' in target ? await commandTarget(name, target, module) : (target as Design));
    }
    for (const [name, adversary] of Object.entries(exports.adversaries ?? {})) if (!added.adversaries.has(name)) added.adversaries.set(name, adversary);
    for (const [name, reporter] of Object.entries(exports.reporters ?? {})) {
      for (const file of reporter.files) {
        const other = reportFiles.get(file.name);
        if (other !== undefined && other !== name) problems.push({ file: module.name, path: `reporters.${name}.files`, message: `${file.name} is written by the ${other} reporter too; choose another file name` });
        reportFiles.set(file.name, name);
      }
      if (!added.reporters.has(name)) added.reporters.set(name, reporter);
    }
    for (const path of exports.scenarios ?? []) added.scenarios.push(resolve(module.folder, path));
    if (exports.policy !== undefined) added.policy = resolve(module.folder, exports.policy);
  }
  if (problems.length > 0) throw new InputError(problems);

  const registry = new Registry(source, added);
  // Claims are checked once every adversary is known: a claim may name a plugin's.
  for (const module of modules) {
    for (const [name, target] of Object.entries(module.exports.targets ?? {})) {
      for (const problem of registry.claimProblems(target.claims)) {
        problems.push({ file: module.name, path: `targets.${name}.claims[${problem.index}].adversaries[${problem.at}]`, message: problem.message });
      }
    }
  }
  if (problems.length > 0) throw new InputError(problems);
  return registry;
}

async function commandTarget(name: string, target: CommandTargetConfig, module: LoadedModule): Promise<Design> {
  const { commandDesign } = await import('../../targets/command/design.ts');
  return commandDesign({
    name,
    command: target.command,
    claims: target.claims,
    cwd: target.cwd === undefined ? module.folder : resolve(module.folder, target.cwd),
    ...(target.description !== undefined && { description: target.description }),
    ...(target.timeoutMs !== undefined && { timeoutMs: target.timeoutMs }),
    ...(target.startTimeoutMs !== undefined && { startTimeoutMs: target.startTimeoutMs }),
  });
}
