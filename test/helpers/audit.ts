/** Fixtures shared by the tests: load scenarios, run one (target, scenario, adversary), find a message. */
import { adversaryNamed } from '../../attacks/registry.ts';
import { loadOptions } from '../../app/cli/catalogue.ts';
import { cryptoBackend } from '../../harness/crypto/index.ts';
import type { MessageReport, PropertyName, PropertyReport, RunReport } from '../../harness/report/types.ts';
import { executeRun } from '../../harness/runner.ts';
import { loadScenarioFile, parseScenario } from '../../harness/scenario/load.ts';
import type { Scenario } from '../../harness/scenario/types.ts';
import { loadAllTargets } from '../../targets/registry.ts';

const targets = await loadAllTargets();

export function builtIn(name: string): Scenario {
  return loadScenarioFile(new URL(`../../attacks/scenarios/${name}.yaml`, import.meta.url).pathname, loadOptions);
}

export function scenarioFromYaml(yaml: string, file = 'inline.yaml'): Scenario {
  return parseScenario(yaml, file, loadOptions);
}

export interface RunOptions {
  seed?: number;
  crypto?: 'node' | 'noble';
}

export async function run(target: string, scenario: Scenario, adversary: string, options: RunOptions = {}): Promise<RunReport> {
  const design = targets[target];
  if (!design) throw new Error(`unknown target: ${target}`);
  const attacker = adversaryNamed(adversary);
  return executeRun({ design, scenario, adversary: attacker }, options.seed ?? 1, cryptoBackend(options.crypto ?? 'node'));
}

export function message(run: RunReport, id: string): MessageReport {
  const found = run.messages.find((m) => m.id === id);
  if (!found) throw new Error(`no message ${id} in ${run.target}/${run.scenario}/${run.adversary}`);
  return found;
}

export function property(run: RunReport, name: PropertyName): PropertyReport {
  const found = run.properties.find((p) => p.property === name);
  if (!found) throw new Error(`no property ${name}`);
  return found;
}

/** `id:class:leaked/clean` for every message, for compact assertions. */
export function leakPattern(run: RunReport): string[] {
  return run.messages.map((m) => `${m.id}:${m.class}:${m.leaked ? `leaked(${m.via})` : 'clean'}`);
}

/**
 * What a seized phone yields from the stolen-phone scenario against a design with forward
 * secrecy and post-compromise security: deleted messages stay gone, stored ones are exposed,
 * the peer's next message leaks, then the sessions heal. Shared by every such design's test.
 */
export const HEALING_STOLEN_PHONE_PATTERN: readonly string[] = [
  'plan:before:clean',
  'ack:exposed:leaked(device-image)',
  'source:before:clean',
  'kept:exposed:leaked(device-image)',
  'after-1:after:leaked(decrypt)',
  'after-2:after:clean',
  'after-3:after:clean',
  'after-4:after:clean',
  'after-5:after:clean',
  'after-6:after:clean',
];
