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

import { z } from 'zod';

import { InputError } from '../errors.ts';
import type { InputProblem } from '../errors.ts';
import { MAX_SCENARIO_FILE_BYTES } from '../limits.ts';
import { echo } from '../printable.ts';
import {
  addZodIssues,
  describe,
  describeFsError,
  formatPath,
  hasExtension,
  MAX_NESTING,
  MAX_PROBLEMS_PER_FILE,
  parseInput,
  Problems,
  readInputFile,
  unusableData,
} from '../input-file.ts';
import type { InputKind, LineOf, Locate, Path, Segment } from '../input-file.ts';
import { budgetProblems, deliveriesProblem } from './budget.ts';
import { scenarioFileSchema } from './schema.ts';
import type { Edit, RawScenario, RawStep } from './schema.ts';
import { deviceAddress } from './types.ts';
import type { Addressee, DeviceAddress, GroupDefinition, Scenario, Step } from './types.ts';

export interface AdversaryParamSpec {
  /**
   * Checked against the adversary's parameters, after the generic reference checks. Without
   * one the adversary takes no parameters: any key given to it is refused.
   */
  schema?: z.ZodType;
}

/** The parameters of an adversary that takes none: `{}` only. */
const NO_PARAMS = z.strictObject({});

export interface LoadOptions {
  /** The known adversaries, by name; a scenario may give parameters only to these. */
  adversaryParams: Record<string, AdversaryParamSpec>;
}

export const SCENARIO_EXTENSIONS = ['.yaml', '.yml', '.json'] as const;
export const MAX_FILE_BYTES = MAX_SCENARIO_FILE_BYTES;
// Shared with policy files (`../input-file.ts`); re-exported for the modules that import them from here.
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

function list(items: Iterable<string>, none = 'none'): string {
  const all = [...items];
  if (all.length === 0) return none;
  return all.length > 12 ? `${all.slice(0, 12).join(', ')}, ... (${all.length} in all)` : all.join(', ');
}

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
  const scenario = new Checker(result.data!, file, options, problems).run();
  problems.throwIfAny();
  if (lineOf) scenario.stepLines = result.data!.steps.map((_, index) => lineOf(['steps', index]) ?? null);
  return scenario;
}

interface GroupState {
  admin: string;
  members: string[];
}

interface SentId {
  step: number;
  /** Where the id is written (or, for a default id, the step's send). */
  path: Path;
}

class Checker {
  readonly #raw: RawScenario;
  readonly #file: string;
  readonly #options: LoadOptions;
  readonly #problems: Problems;

  /** user -> current devices, the primary first. */
  readonly #devices = new Map<string, string[]>();
  /** Every device that exists at some point. */
  readonly #everDevices = new Set<string>();
  readonly #linkedAt = new Map<string, number>();
  readonly #unlinkedAt = new Map<string, number>();
  readonly #offlineSince = new Map<string, number>();
  readonly #groups = new Map<string, GroupState>();
  readonly #sent = new Map<string, SentId>();
  /** Message id -> its text as resolved (null: generated), for near-duplicates that edit it. */
  readonly #texts = new Map<string, string | null>();
  /** Every id any send step of the scenario sends, for better messages. */
  readonly #sentLater = new Map<string, number>();
  readonly #marks = new Map<string, number>();
  /** Copies of messages delivered so far: each message times the devices it goes to. */
  #deliveries = 0;

  constructor(raw: RawScenario, file: string, options: LoadOptions, problems: Problems) {
    this.#raw = raw;
    this.#file = file;
    this.#options = options;
    this.#problems = problems;
  }

  run(): Scenario {
    const raw = this.#raw;
    const users: Record<string, string[]> = Object.fromEntries(
      Object.entries(raw.users).map(([user, devices]) => [user, [...devices]]),
    );
    for (const [user, devices] of Object.entries(raw.users)) {
      this.#devices.set(user, [...devices]);
      for (const device of devices) this.#everDevices.add(deviceAddress(user, device));
    }
    const groups = this.#checkGroups();
    this.#prescan();
    const steps: Step[] = [];
    raw.steps.forEach((step, index) => {
      const normalized = this.#step(step, index);
      if (normalized) steps.push(normalized);
    });
    const adversaries = this.#checkAdversaries();
    return {
      name: raw.name,
      description: raw.description ?? '',
      source: this.#file,
      users,
      groups,
      steps,
      marks: Object.fromEntries(this.#marks),
      adversaries,
    };
  }

  #add(path: Path, message: string, atKey = false): void {
    this.#problems.add(path, message, atKey);
  }

  #users(): string {
    return list(this.#devices.keys());
  }

  #groupNames(): string {
    return list(this.#groups.keys());
  }

  #knownUser(user: string, path: Path): boolean {
    if (this.#devices.has(user)) return true;
    this.#add(path, `unknown user '${user}' (users: ${this.#users()})`);
    return false;
  }

  #checkGroups(): Record<string, GroupDefinition> {
    const out: [string, GroupDefinition][] = [];
    for (const [group, definition] of Object.entries(this.#raw.groups ?? {})) {
      const base = ['groups', group];
      if (this.#devices.has(group)) {
        this.#add(base, `group '${group}' has the same name as a user; names of users and groups must differ`, true);
      }
      definition.members.forEach((member, index) => this.#knownUser(member, [...base, 'members', index]));
      if (this.#devices.has(definition.admin) && !definition.members.includes(definition.admin)) {
        this.#add(
          [...base, 'admin'],
          `the admin '${definition.admin}' must be one of the members (members: ${list(definition.members)})`,
        );
      } else {
        this.#knownUser(definition.admin, [...base, 'admin']);
      }
      this.#groups.set(group, { admin: definition.admin, members: [...definition.members] });
      out.push([group, { admin: definition.admin, members: [...definition.members] }]);
    }
    return Object.fromEntries(out);
  }

  /** Where devices get linked and ids get sent, to explain references to the future. */
  #prescan(): void {
    this.#raw.steps.forEach((step, index) => {
      if ('link-device' in step) {
        const address = deviceAddress(step['link-device'].user, step['link-device'].device);
        if (!this.#linkedAt.has(address)) this.#linkedAt.set(address, index);
      } else if ('send' in step) {
        for (const id of idsOf(step.send, index)) if (!this.#sentLater.has(id)) this.#sentLater.set(id, index);
      }
    });
  }

  #has(user: string): string {
    return `${user} has: ${list(this.#devices.get(user) ?? [])}`;
  }

  /** A device that exists at step `index`. */
  #currentDevice(address: string, path: Path, index: number): DeviceAddress | undefined {
    const dot = address.indexOf('.');
    const user = address.slice(0, dot);
    const device = address.slice(dot + 1);
    if (!this.#devices.has(user)) {
      this.#add(path, `unknown user '${user}' in '${address}' (users: ${this.#users()})`);
      return undefined;
    }
    if (this.#devices.get(user)!.includes(device)) return deviceAddress(user, device);
    const unlinked = this.#unlinkedAt.get(address);
    const linked = this.#linkedAt.get(address);
    if (unlinked !== undefined) {
      this.#add(path, `device '${address}' was unlinked at steps[${unlinked}] (${this.#has(user)})`);
    } else if (linked !== undefined && linked > index) {
      this.#add(path, `device '${address}' is not linked yet: it is linked at steps[${linked}] (${this.#has(user)})`);
    } else {
      this.#add(path, `unknown device '${address}' (${this.#has(user)})`);
    }
    return undefined;
  }

  #step(step: RawStep, index: number): Step | undefined {
    const at = (...rest: Segment[]): Path => ['steps', index, ...rest];
    if ('send' in step) return this.#send(step.send, index, at);
    if ('delete' in step) {
      const { device, ids, all } = step.delete;
      const address = this.#currentDevice(device, at('delete', 'device'), index);
      ids?.forEach((id, i) => {
        if (this.#sent.has(id)) return;
        const later = this.#sentLater.get(id);
        this.#add(
          at('delete', 'ids', i),
          later !== undefined
            ? `id '${id}' is not sent yet: it is sent at steps[${later}]; a delete must come after the send`
            : `unknown id '${id}': no earlier step sends it (ids sent so far: ${list(this.#sent.keys())})`,
        );
      });
      return address && { kind: 'delete', device: address, ids: all ? 'all' : [...ids!] };
    }
    if ('mark' in step) {
      const name = step.mark;
      const first = this.#marks.get(name);
      if (first !== undefined) this.#add(at('mark'), `duplicate mark '${name}' (already at steps[${first}])`);
      else this.#marks.set(name, index);
      return { kind: 'mark', name };
    }
    if ('wait' in step) return { kind: 'wait', ms: step.wait };
    if ('offline' in step) {
      const address = this.#currentDevice(step.offline, at('offline'), index);
      if (!address) return undefined;
      const since = this.#offlineSince.get(address);
      if (since !== undefined) this.#add(at('offline'), `device '${address}' is already offline (since steps[${since}])`);
      else this.#offlineSince.set(address, index);
      return { kind: 'offline', device: address };
    }
    if ('online' in step) {
      const address = this.#currentDevice(step.online, at('online'), index);
      if (!address) return undefined;
      if (!this.#offlineSince.has(address)) this.#add(at('online'), `device '${address}' is already online`);
      this.#offlineSince.delete(address);
      return { kind: 'online', device: address };
    }
    if ('verify' in step) {
      step.verify.forEach((user, i) => this.#knownUser(user, at('verify', i)));
      return { kind: 'verify', users: [...step.verify] };
    }
    if ('link-device' in step) {
      const { user, device } = step['link-device'];
      if (!this.#knownUser(user, at('link-device', 'user'))) return undefined;
      const address = deviceAddress(user, device);
      const devices = this.#devices.get(user)!;
      const unlinked = this.#unlinkedAt.get(address);
      if (devices.includes(device)) {
        this.#add(at('link-device', 'device'), `device '${address}' already exists (${this.#has(user)})`);
      } else if (unlinked !== undefined) {
        this.#add(
          at('link-device', 'device'),
          `device '${address}' was unlinked at steps[${unlinked}]; a newly linked device needs a new name`,
        );
      } else {
        devices.push(device);
        this.#everDevices.add(address);
      }
      return { kind: 'link-device', user, device };
    }
    if ('unlink-device' in step) {
      const path = at('unlink-device', 'device');
      const address = this.#currentDevice(step['unlink-device'].device, path, index);
      if (!address) return undefined;
      const dot = address.indexOf('.');
      const user = address.slice(0, dot);
      const devices = this.#devices.get(user)!;
      const position = devices.indexOf(address.slice(dot + 1));
      if (position === 0) {
        this.#add(path, `cannot unlink '${address}': it is ${user}'s primary device`);
      } else {
        devices.splice(position, 1);
        this.#unlinkedAt.set(address, index);
        this.#offlineSince.delete(address);
      }
      return { kind: 'unlink-device', device: address };
    }
    if ('add-member' in step || 'remove-member' in step) {
      const adding = 'add-member' in step;
      const kind = adding ? 'add-member' : 'remove-member';
      const { group, user, by } = adding ? step['add-member'] : step['remove-member'];
      const state = this.#groups.get(group);
      if (!state) {
        this.#add(at(kind, 'group'), `unknown group '${group}' (groups: ${this.#groupNames()})`);
      }
      const userKnown = this.#knownUser(user, at(kind, 'user'));
      const byKnown = this.#knownUser(by, at(kind, 'by'));
      if (!state) return { kind, group, user, by };
      if (byKnown && by !== state.admin) {
        this.#add(
          at(kind, 'by'),
          `only the admin of group '${group}' (${state.admin}) can ${adding ? 'add' : 'remove'} members`,
        );
      }
      if (userKnown) {
        const member = state.members.includes(user);
        if (adding && member) {
          this.#add(at(kind, 'user'), `'${user}' is already a member of group '${group}'`);
        } else if (!adding && !member) {
          this.#add(at(kind, 'user'), `'${user}' is not a member of group '${group}' (members: ${list(state.members)})`);
        } else if (!adding && user === state.admin) {
          this.#add(at(kind, 'user'), `the admin '${user}' cannot remove itself from group '${group}'`);
        } else if (adding) {
          state.members.push(user);
        } else {
          state.members.splice(state.members.indexOf(user), 1);
        }
      }
      return { kind, group, user, by };
    }
    return undefined;
  }

  #send(send: Extract<RawStep, { send: unknown }>['send'], index: number, at: (...rest: Segment[]) => Path): Step | undefined {
    let from: DeviceAddress | undefined;
    let sender: string | undefined;
    if (send.from.includes('.')) {
      from = this.#currentDevice(send.from, at('send', 'from'), index);
      if (from) sender = send.from.slice(0, send.from.indexOf('.'));
    } else if (this.#knownUser(send.from, at('send', 'from'))) {
      sender = send.from;
      from = deviceAddress(sender, this.#devices.get(sender)![0]!);
    }
    if (from) {
      const since = this.#offlineSince.get(from);
      if (since !== undefined) {
        this.#add(at('send', 'from'), `device '${from}' is offline at this step (since steps[${since}]); an offline device cannot send`);
      }
    }

    let to: Addressee | undefined;
    if (this.#devices.has(send.to)) {
      to = { kind: 'user', user: send.to };
      if (send.to === sender) {
        this.#add(at('send', 'to'), `'${sender}' cannot send to itself (its other devices get a copy of every message anyway)`);
      }
    } else if (this.#groups.has(send.to)) {
      to = { kind: 'group', group: send.to };
      const members = this.#groups.get(send.to)!.members;
      if (sender !== undefined && !members.includes(sender)) {
        this.#add(
          at('send', 'to'),
          `'${sender}' is not a member of group '${send.to}' at this step (members: ${list(members)})`,
        );
      }
    } else {
      this.#add(
        at('send', 'to'),
        `unknown user or group '${send.to}' (users: ${this.#users()}; groups: ${this.#groupNames()})`,
      );
    }

    const ids = idsOf(send, index);
    const idPath = send.id === undefined ? at('send') : at('send', 'id');
    for (const id of ids) {
      const previous = this.#sent.get(id);
      if (previous) {
        const which = send.id === undefined ? ` (the default id of this step)` : '';
        this.#add(idPath, `duplicate id '${id}'${which}: already used at ${formatPath(previous.path)}`);
        break; // one report per step, not one per counted message
      }
    }
    for (const id of ids) if (!this.#sent.has(id)) this.#sent.set(id, { step: index, path: idPath });

    const text = this.#textOf(send, at);
    for (const id of ids) if (!this.#texts.has(id)) this.#texts.set(id, text);

    if (!from || !to) return undefined;
    const copies = ids.length * this.#copiesOf(from, to);
    this.#deliveries += copies;
    const overBudget = deliveriesProblem(this.#deliveries, copies);
    if (overBudget) this.#add(at('send'), overBudget);
    const like = send.like;
    return { kind: 'send', from, to, messages: ids.map((id) => ({ id, text, ...(like !== undefined && { like }) })) };
  }

  /** A send's text: as written, or a near-duplicate's (`like` plus `edit`), or null for a generated one. */
  #textOf(send: { text?: string | undefined; like?: string | undefined; edit?: Edit | undefined }, at: (...rest: Segment[]) => Path): string | null {
    if (send.like === undefined) {
      if (send.edit !== undefined) this.#add(at('send', 'edit'), 'an edit needs like: <the id of an earlier message>');
      return send.text ?? null;
    }
    if (send.text !== undefined) {
      this.#add(at('send', 'like'), 'expected either text or like (a near-duplicate of an earlier message), not both');
      return send.text;
    }
    if (!this.#texts.has(send.like)) {
      this.#add(at('send', 'like'), `unknown id ${echo(send.like)}: no earlier step sends it (ids sent so far: ${list(this.#sent.keys())})`);
      return null;
    }
    const base = this.#texts.get(send.like)!;
    if (base === null) {
      this.#add(at('send', 'like'), `message ${echo(send.like)} has a generated text; a near-duplicate needs an earlier message with a text`);
      return null;
    }
    const edit = send.edit ?? {};
    let text = base;
    if (edit.replace) {
      const [phrase, replacement] = edit.replace;
      if (!text.includes(phrase)) {
        this.#add(at('send', 'edit', 'replace'), `${echo(phrase)} does not occur in the text of ${echo(send.like)}`);
      } else {
        text = text.replace(phrase, () => replacement);
      }
    }
    if (edit.prepend !== undefined) text = `${edit.prepend} ${text}`;
    if (edit.append !== undefined) text = `${text} ${edit.append}`;
    return text;
  }

  /** The devices one message from `from` to `to` goes to now: the recipients' and the sender's other devices. */
  #copiesOf(from: DeviceAddress, to: Addressee): number {
    const users = new Set(to.kind === 'user' ? [to.user] : this.#groups.get(to.group)!.members);
    users.add(from.slice(0, from.indexOf('.')));
    let devices = 0;
    for (const user of users) devices += this.#devices.get(user)?.length ?? 0;
    return devices - 1; // not the sending device
  }

  #checkAdversaries(): Record<string, Record<string, unknown>> {
    const out: [string, Record<string, unknown>][] = [];
    const known = this.#options.adversaryParams;
    for (const [name, params] of Object.entries(this.#raw.adversaries ?? {})) {
      const base = ['adversaries', name];
      if (!Object.hasOwn(known, name)) {
        this.#add(base, `unknown adversary ${echo(name)} (known: ${list(Object.keys(known))})`, true);
        continue;
      }
      const before = this.#problems.count;
      const normalized: Record<string, unknown> = { ...params };
      if ('device' in params) {
        const address = this.#anyTimeDevice(params.device, [...base, 'device']);
        if (address) normalized.device = address;
      }
      if ('at' in params && !(typeof params.at === 'string' && this.#marks.has(params.at))) {
        this.#add(
          [...base, 'at'],
          `${typeof params.at === 'string' ? `unknown mark ${echo(params.at)}` : `expected a mark name, got ${describe(params.at)}`} (marks: ${list(this.#marks.keys(), 'none in this scenario')})`,
        );
      }
      if ('group' in params && !(typeof params.group === 'string' && this.#groups.has(params.group))) {
        this.#add(
          [...base, 'group'],
          `${typeof params.group === 'string' ? `unknown group ${echo(params.group)}` : `expected a group name, got ${describe(params.group)}`} (groups: ${this.#groupNames()})`,
        );
      }
      if ('user' in params && !(typeof params.user === 'string' && this.#devices.has(params.user))) {
        this.#add(
          [...base, 'user'],
          `${typeof params.user === 'string' ? `unknown user ${echo(params.user)}` : `expected a user name, got ${describe(params.user)}`} (users: ${this.#users()})`,
        );
      }
      if ('targets' in params && Array.isArray(params.targets)) {
        params.targets.forEach((id: unknown, i: number) => {
          if (typeof id === 'string' && !this.#sent.has(id)) this.#add([...base, 'targets', i], `unknown message id ${echo(id)} (ids: ${list(this.#sent.keys())})`);
        });
      }
      const schema = known[name]!.schema ?? NO_PARAMS;
      if (this.#problems.count === before) {
        const result = schema.safeParse(normalized);
        if (!result.success) this.#paramIssues(result.error.issues, name, schema, normalized);
      }
      out.push([name, normalized]);
    }
    return Object.fromEntries(out);
  }

  /** An adversary's parameter problems; an unknown key says which keys it takes, or that it takes none. */
  #paramIssues(issues: readonly z.core.$ZodIssue[], adversary: string, schema: z.ZodType, params: Record<string, unknown>): void {
    const base = ['adversaries', adversary];
    const taken = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
    const takes = taken.length > 0 ? `${adversary} takes only: ${taken.join(', ')}` : `${adversary} takes no parameters`;
    const unknownKeys = (issue: z.core.$ZodIssue): issue is z.core.$ZodIssueUnrecognizedKeys =>
      issue.code === 'unrecognized_keys' && issue.path.length === 0;
    for (const issue of issues.filter(unknownKeys)) {
      for (const key of issue.keys) this.#add([...base, key], `unknown key ${echo(key)} (${takes})`, true);
    }
    addZodIssues(this.#problems, issues.filter((issue) => !unknownKeys(issue)), params, base);
  }

  /** A device that exists at some point of the scenario; a bare user means its primary. */
  #anyTimeDevice(value: unknown, path: Path): DeviceAddress | undefined {
    if (typeof value !== 'string' || value === '') {
      this.#add(path, `expected a device address user.device or a user (its primary device), got ${describe(value)}`);
      return undefined;
    }
    const dot = value.indexOf('.');
    const user = dot < 0 ? value : value.slice(0, dot);
    if (!this.#devices.has(user)) {
      this.#add(path, `unknown user ${echo(user)}${dot < 0 ? '' : ` in ${echo(value)}`} (users: ${this.#users()})`);
      return undefined;
    }
    if (dot < 0) return deviceAddress(user, this.#raw.users[user]![0]!);
    if (this.#everDevices.has(value)) return value as DeviceAddress;
    const ever = [...this.#everDevices].filter((address) => address.startsWith(`${user}.`)).map((a) => a.slice(user.length + 1));
    this.#add(path, `unknown device ${echo(value)} (${user} has: ${list(ever)})`);
    return undefined;
  }
}

function idsOf(send: { id?: string | undefined; count?: number | undefined }, index: number): string[] {
  const base = send.id ?? `m${index + 1}`;
  if (send.count === undefined) return [base];
  return Array.from({ length: send.count }, (_, i) => `${base}.${i + 1}`);
}
