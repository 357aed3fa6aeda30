/**
 * Loading scenario files (SPEC §2): read, parse (YAML or JSON), check the shape against
 * `schema.ts`, check every reference step by step, and normalize into a `Scenario`.
 *
 * Every problem is an `InputProblem` with the file, the path inside it (`steps[3].send.to`)
 * and what was expected, plus the line:column of the offending node where it is known.
 * All problems of a file are reported together (up to `MAX_PROBLEMS_PER_FILE`), never a
 * stack trace. A scenario read from text keeps the line of each step (`stepLines`), so that
 * a finding can point at the step that sent the message.
 */
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { InputError } from '../errors.ts';
import type { InputProblem } from '../errors.ts';
import { MAX_SCENARIO_FILE_BYTES } from '../limits.ts';
import {
  addZodIssues,
  describeFsError,
  formatPath,
  hasExtension,
  MAX_NESTING,
  MAX_PROBLEMS_PER_FILE,
  parseInput,
  Problems,
  readInputFile,
  unusableData,
} from '../input/index.ts';
import type { InputKind, LineOf, Locate, Path, Segment } from '../input/index.ts';
import { checkAdversaries } from './adversary-params.ts';
import type { AdversaryParamSpec } from './adversary-params.ts';
import { budgetProblems } from './budget.ts';
import { scenarioFileSchema } from './schema.ts';
import { idsOf, list, ScenarioState } from './state.ts';
import { checkStep } from './steps/index.ts';
import { deviceAddress } from './types.ts';
import type { GroupDefinition, Scenario, Step } from './types.ts';

export type { AdversaryParamSpec };

export interface LoadOptions {
  /** The known adversaries, by name; a scenario may give parameters only to these. */
  adversaryParams: Record<string, AdversaryParamSpec>;
}

export const SCENARIO_EXTENSIONS = ['.yaml', '.yml', '.json'] as const;
export const MAX_FILE_BYTES = MAX_SCENARIO_FILE_BYTES;
// Shared with policy files (`../input/index.ts`); re-exported for the modules that import them from here.
export { formatPath, MAX_NESTING, MAX_PROBLEMS_PER_FILE };

const SCENARIO_INPUT: InputKind = {
  what: 'scenario',
  shape: 'a mapping with keys name, users, steps',
  extensions: SCENARIO_EXTENSIONS,
  maxBytes: MAX_FILE_BYTES,
};

/* ------------------------------------------------------------------------------------------ */
/* Public API                                                                                  */
/* ------------------------------------------------------------------------------------------ */

/** Loads one scenario file (`.yaml`, `.yml` or `.json`). Throws `InputError`. */
export function loadScenarioFile(path: string, options: LoadOptions): Scenario {
  return parseScenario(readInputFile(path, SCENARIO_INPUT), path, options);
}

/**
 * Parses scenario text. `file` names it in errors and becomes `Scenario.source`; a name
 * ending in `.json` is parsed as strict JSON, anything else as YAML.
 */
export function parseScenario(text: string, file: string, options: LoadOptions): Scenario {
  const parsed = parseInput(text, file, SCENARIO_INPUT);
  return checkScenario(parsed.data, file, options, parsed.locate, parsed.lineOf);
}

/**
 * Checks and normalizes already-parsed scenario data (e.g. a built-in scenario written as
 * a plain object). `source` names it in errors and becomes `Scenario.source`.
 */
export function validateScenario(data: unknown, source: string, options: LoadOptions): Scenario {
  return checkScenario(data, source, options, () => undefined, null);
}

/**
 * Loads scenario files and folders of them (non-recursive: every `.yaml`, `.yml` and
 * `.json` file directly inside, sorted by name, hidden files skipped). Problems of all
 * files are reported together. Two scenarios with the same name are an error.
 */
export function loadScenarios(paths: string[], options: LoadOptions): Scenario[] {
  const problems: InputProblem[] = [];
  const files: string[] = [];
  for (const path of paths) {
    let isFolder = false;
    try {
      isFolder = statSync(path).isDirectory();
    } catch {
      // loadScenarioFile reports it
    }
    if (!isFolder) {
      files.push(path);
      continue;
    }
    let names: string[];
    try {
      names = readdirSync(path, { withFileTypes: true })
        .filter((entry) => !entry.name.startsWith('.') && hasExtension(entry.name, SCENARIO_INPUT))
        .filter((entry) => entry.isFile() || (entry.isSymbolicLink() && isFileQuietly(join(path, entry.name))))
        .map((entry) => entry.name)
        .sort(compareCodePoints);
    } catch (error) {
      problems.push({ file: path, path: '', message: describeFsError(error, SCENARIO_INPUT) });
      continue;
    }
    if (names.length === 0) {
      problems.push({
        file: path,
        path: '',
        message: `folder has no scenario files (expected files ending in ${SCENARIO_EXTENSIONS.join(', ')})`,
      });
    }
    for (const name of names) files.push(join(path, name));
  }

  const seenFiles = new Set<string>();
  const byName = new Map<string, string>();
  const scenarios: Scenario[] = [];
  for (const file of files) {
    const identity = realpathQuietly(file);
    if (seenFiles.has(identity)) continue; // the same file given twice (e.g. a folder and a file in it)
    seenFiles.add(identity);
    let scenario: Scenario;
    try {
      scenario = loadScenarioFile(file, options);
    } catch (error) {
      if (error instanceof InputError) {
        problems.push(...error.problems);
        continue;
      }
      throw error;
    }
    const first = byName.get(scenario.name);
    if (first !== undefined) {
      problems.push({
        file,
        path: 'name',
        message: `duplicate scenario name '${scenario.name}' (also the name of ${first}); names must be unique in a run`,
      });
      continue;
    }
    byName.set(scenario.name, file);
    scenarios.push(scenario);
  }
  if (problems.length > 0) throw new InputError(problems);
  return scenarios;
}

/* ------------------------------------------------------------------------------------------ */
/* Folders                                                                                     */
/* ------------------------------------------------------------------------------------------ */

function isFileQuietly(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function realpathQuietly(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Shape problems                                                                              */
/* ------------------------------------------------------------------------------------------ */

/** Keys that would be prototype pollution if assigned on plain objects. */
function findProtoKeys(value: unknown, path: Segment[], problems: Problems): void {
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => findProtoKeys(item, [...path, index], problems));
    return;
  }
  for (const key of Object.keys(value)) {
    if (key === '__proto__') problems.add([...path, key], "the key '__proto__' is not allowed", true);
    else findProtoKeys((value as Record<string, unknown>)[key], [...path, key], problems);
  }
}

/* ------------------------------------------------------------------------------------------ */
/* References and normalization                                                                */
/* ------------------------------------------------------------------------------------------ */

/** `lineOf`: the lines of text that was parsed; null for data that was not read from text. */
function checkScenario(data: unknown, file: string, options: LoadOptions, locate: Locate, lineOf: LineOf | null): Scenario {
  const problems = new Problems(file, locate);
  const unusable = unusableData(data, SCENARIO_INPUT);
  if (unusable) {
    problems.add([], unusable);
    problems.throwIfAny();
  }
  findProtoKeys(data, [], problems);
  problems.throwIfAny();
  const result = scenarioFileSchema.safeParse(data);
  if (!result.success) {
    addZodIssues(problems, result.error.issues, data, []);
    problems.throwIfAny();
  }
  // Before the checker makes an id for every message the scenario sends.
  for (const { path, message } of budgetProblems(result.data!)) problems.add(path, message);
  problems.throwIfAny();
  const scenario = resolveScenario(new ScenarioState(result.data!, problems), file, options);
  problems.throwIfAny();
  if (lineOf) scenario.stepLines = result.data!.steps.map((_, index) => lineOf(['steps', index]) ?? null);
  return scenario;
}

/** Checks every reference, step by step with each step kind's checker, and normalizes. */
function resolveScenario(state: ScenarioState, file: string, options: LoadOptions): Scenario {
  const raw = state.raw;
  const users: Record<string, string[]> = Object.fromEntries(
    Object.entries(raw.users).map(([user, devices]) => [user, [...devices]]),
  );
  for (const [user, devices] of Object.entries(raw.users)) {
    state.devices.set(user, [...devices]);
    for (const device of devices) state.everDevices.add(deviceAddress(user, device));
  }
  const groups = checkGroups(state);
  prescan(state);
  const steps: Step[] = [];
  raw.steps.forEach((step, index) => {
    const at = (...rest: Segment[]): Path => ['steps', index, ...rest];
    const normalized = checkStep(step, { index, at }, state);
    if (normalized) steps.push(normalized);
  });
  const adversaries = checkAdversaries(state, options.adversaryParams);
  return {
    name: raw.name,
    description: raw.description ?? '',
    source: file,
    users,
    groups,
    steps,
    marks: Object.fromEntries(state.marks),
    adversaries,
  };
}

function checkGroups(state: ScenarioState): Record<string, GroupDefinition> {
  const out: [string, GroupDefinition][] = [];
  for (const [group, definition] of Object.entries(state.raw.groups ?? {})) {
    const base = ['groups', group];
    if (state.devices.has(group)) {
      state.add(base, `group '${group}' has the same name as a user; names of users and groups must differ`, true);
    }
    definition.members.forEach((member, index) => state.knownUser(member, [...base, 'members', index]));
    if (state.devices.has(definition.admin) && !definition.members.includes(definition.admin)) {
      state.add(
        [...base, 'admin'],
        `the admin '${definition.admin}' must be one of the members (members: ${list(definition.members)})`,
      );
    } else {
      state.knownUser(definition.admin, [...base, 'admin']);
    }
    state.groups.set(group, { admin: definition.admin, members: [...definition.members] });
    out.push([group, { admin: definition.admin, members: [...definition.members] }]);
  }
  return Object.fromEntries(out);
}

/** Where devices get linked and ids get sent, to explain references to the future. */
function prescan(state: ScenarioState): void {
  state.raw.steps.forEach((step, index) => {
    if ('link-device' in step) {
      const address = deviceAddress(step['link-device'].user, step['link-device'].device);
      if (!state.linkedAt.has(address)) state.linkedAt.set(address, index);
    } else if ('send' in step) {
      for (const id of idsOf(step.send, index)) if (!state.sentLater.has(id)) state.sentLater.set(id, index);
    }
  });
}
