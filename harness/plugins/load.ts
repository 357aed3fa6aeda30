/**
 * Finding and importing a keyhole config (`keyhole.config.{ts,mts,js,mjs,json}` in the
 * working folder, or `--config <file>`) and `--plugin` modules (SPEC §9), and checking the
 * shape of what they export. Everything a module exports is input: a module that cannot be
 * found, throws while loading, or exports the wrong shape is bad input naming the module.
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';

import { CAPABILITY_NAMES } from '../../attacks/capabilities.ts';
import type { KeyholeConfig } from '../../core/index.ts';
import { InputError } from '../errors.ts';
import { addZodIssues, parseInput, Problems, readInputFile, type InputKind } from '../input/index.ts';
import { COMPILED, PACKAGE_ROOT } from '../package-root.ts';
import { printable } from '../printable.ts';
import { METADATA_KINDS, PROPERTY_NAMES } from '../report/types.ts';

/** The config file names looked for in the working folder, in this order. */
export const CONFIG_FILE_NAMES = ['keyhole.config.ts', 'keyhole.config.mts', 'keyhole.config.js', 'keyhole.config.mjs', 'keyhole.config.json'] as const;

const CONFIG_EXTENSIONS: readonly string[] = CONFIG_FILE_NAMES.map((name) => extname(name));
const TYPESCRIPT_EXTENSIONS = new Set(['.ts', '.mts', '.cts']);

/** Where the plugins of a command come from: enough for a worker thread to load the same modules. */
export interface PluginSource {
  /** The folder relative names are taken from (the working folder of the command). */
  cwd: string;
  /** `--config`, as given; null: look for `keyhole.config.*` in `cwd`. */
  config: string | null;
  /** `--plugin`, each as given, in order. */
  plugins: readonly string[];
}

/** One loaded module: its checked exports and where relative paths in it start. */
export interface LoadedModule {
  /** How messages name it: the config's path, or the `--plugin` argument. */
  name: string;
  kind: 'config' | 'plugin';
  /** The folder of the module's file (scenario and policy paths are relative to it). */
  folder: string;
  exports: KeyholeConfig;
}

/** The config file to load: `--config`, or the one `keyhole.config.*` in `cwd`, or none. */
export function configFile(source: PluginSource): string | null {
  if (source.config !== null) return resolve(source.cwd, source.config);
  const found = CONFIG_FILE_NAMES.filter((name) => existsSync(join(source.cwd, name)));
  if (found.length > 1) {
    throw new InputError({
      file: join(source.cwd, found[0]!),
      path: '',
      message: `more than one keyhole config in ${source.cwd} (${found.join(', ')}); keep one, or name it with --config`,
    });
  }
  return found.length === 1 ? join(source.cwd, found[0]!) : null;
}

/** The config (if any) and then every plugin, imported and checked. Throws `InputError`. */
export async function loadModules(source: PluginSource): Promise<LoadedModule[]> {
  const modules: LoadedModule[] = [];
  const config = configFile(source);
  if (config !== null) modules.push(await loadConfig(config));
  for (const plugin of source.plugins) modules.push(await loadPlugin(plugin, source.cwd));
  return modules;
}

const CONFIG_INPUT: InputKind = {
  what: 'keyhole config',
  shape: 'a mapping with the keys targets, adversaries, reporters, scenarios, policy',
  maxBytes: 1 << 20,
};

async function loadConfig(file: string): Promise<LoadedModule> {
  const extension = extname(file).toLowerCase();
  if (!CONFIG_EXTENSIONS.includes(extension)) throw new InputError({ file, path: '', message: `expected a keyhole config ending in ${CONFIG_EXTENSIONS.join(', ')}` });
  let exported: unknown;
  if (extension === '.json') {
    const { data } = parseInput(readInputFile(file, CONFIG_INPUT), file, CONFIG_INPUT);
    exported = data;
  } else {
    if (!existsSync(file)) throw new InputError({ file, path: '', message: `no such file; expected a keyhole config (${CONFIG_EXTENSIONS.join(', ')})` });
    if (!statSync(file).isFile()) throw new InputError({ file, path: '', message: 'is not a file; expected a keyhole config' });
    const namespace = await importModule(realpathSync(file), file);
    if (!Object.hasOwn(namespace, 'default')) {
      throw new InputError({ file, path: '', message: 'has no default export; expected `export default defineConfig({ ... })`' });
    }
    exported = namespace['default'];
  }
  // Paths in the config are relative to the folder it really is in, the one its own imports
  // resolve from (Node follows a symbolic link to the file it names).
  return { name: file, kind: 'config', folder: dirname(realpathSync(file)), exports: checkShape(exported, file, 'config') };
}

async function loadPlugin(specifier: string, cwd: string): Promise<LoadedModule> {
  const file = resolvePlugin(specifier, cwd);
  const namespace = await importModule(file, specifier);
  // A default export is the plugin's whole catalogue; without one, its named exports are.
  const exported = Object.hasOwn(namespace, 'default') ? namespace['default'] : { ...namespace };
  return { name: specifier, kind: 'plugin', folder: dirname(file), exports: checkShape(exported, specifier, 'plugin') };
}

/** A `--plugin` argument as a file: a path (relative to `cwd`), or a package installed where `cwd` can import it. */
function resolvePlugin(specifier: string, cwd: string): string {
  const pathLike = specifier.startsWith('.') || isAbsolute(specifier) || /\.(m|c)?[jt]s$/.test(specifier);
  if (pathLike) {
    const file = resolve(cwd, specifier);
    if (!existsSync(file)) throw new InputError({ file: specifier, path: '', message: `no such file (${file}); expected a module path or an installed package name` });
    return realpathSync(file);
  }
  const require = createRequire(join(cwd, 'package.json'));
  try {
    return require.resolve(specifier);
  } catch (error) {
    const code = (error as { code?: string }).code;
    // An ESM-only package exports no `require` condition: its `import` or `default` entry.
    if (code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') {
      const entry = importEntry(specifier, cwd);
      if (entry) return entry;
    }
    throw new InputError({ file: specifier, path: '', message: `cannot find the package from ${cwd}: ${printable((error as Error).message.split('\n')[0] ?? '')}` });
  }
}

/** The `import` (or `default`) entry of `"."` in an installed package's exports map. */
function importEntry(name: string, cwd: string): string | null {
  for (let dir = cwd; ; dir = dirname(dir)) {
    const manifest = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(manifest)) {
      let exports: unknown;
      try {
        ({ exports } = JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: unknown });
      } catch {
        return null;
      }
      let entry: unknown = typeof exports === 'object' && exports !== null && '.' in exports ? (exports as Record<string, unknown>)['.'] : exports;
      while (typeof entry === 'object' && entry !== null) {
        const conditions = entry as Record<string, unknown>;
        entry = conditions['import'] ?? conditions['default'];
      }
      return typeof entry === 'string' ? join(dirname(manifest), entry) : null;
    }
    if (dirname(dir) === dir) return null;
  }
}

/** Imports a module file; what goes wrong while it loads is bad input naming `name`. */
async function importModule(file: string, name: string): Promise<Record<string, unknown>> {
  const extension = extname(file).toLowerCase();
  if (TYPESCRIPT_EXTENSIONS.has(extension)) {
    if (extension === '.ts' && packageType(dirname(file)) !== 'module') {
      throw new InputError({
        file: name,
        path: '',
        message: `a .ts file is CommonJS where the nearest package.json has no "type": "module"; name it ${basename(file, '.ts')}.mts, or set "type": "module"`,
      });
    }
    await typeScriptLoader();
  }
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // Node takes a .js file for CommonJS there, and what it says of an ES module in one varies
    // with its version: say what to change.
    const commonJs = extension === '.js' && packageType(dirname(file)) !== 'module';
    const hint = commonJs ? `; a .js file is CommonJS where the nearest package.json has no "type": "module": if it is an ES module, name it ${basename(file, '.js')}.mjs, or set "type": "module"` : '';
    throw new InputError({ file: name, path: '', message: `failed to load: ${message.split('\n')[0]}${hint}` });
  }
}

/** The `type` of the nearest package.json above `folder` (Node's rule for what a `.js` or `.ts` file is), or null. */
function packageType(folder: string): string | null {
  for (let dir = folder; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        const { type } = JSON.parse(readFileSync(manifest, 'utf8')) as { type?: unknown };
        return typeof type === 'string' ? type : null;
      } catch {
        return null;
      }
    }
    if (dirname(dir) === dir) return null;
  }
}

let loaderReady: Promise<void> | null = null;

/**
 * TypeScript modules load through keyhole's own loader (ts-node, transpile only, as keyhole's
 * sources do), so that a project needs no TypeScript tooling of its own. Running from the
 * sources, it is in place already; running compiled, it is registered on first use.
 */
function typeScriptLoader(): Promise<void> {
  loaderReady ??= COMPILED ? import(pathToFileURL(join(PACKAGE_ROOT, 'register.js')).href).then(() => undefined) : Promise.resolve();
  return loaderReady;
}

/* ------------------------------------------------------------------------------------------ */
/* The shape                                                                                   */
/* ------------------------------------------------------------------------------------------ */

const fn = (what: string) => z.custom<(...args: unknown[]) => unknown>((value) => typeof value === 'function', { error: `expected a function (${what})` });
const nameList = z.array(z.string().min(1), { error: 'expected a list of names' });

const claimSchema = z.strictObject(
  {
    property: z.enum(PROPERTY_NAMES, { error: `expected one of: ${PROPERTY_NAMES.join(', ')}` }),
    adversaries: nameList,
    scope: z.literal('verified', { error: "expected 'verified'" }).optional(),
    conversations: z.enum(['one-to-one', 'groups'], { error: 'expected one-to-one or groups' }).optional(),
    note: z.string().optional(),
  },
  { error: 'expected only: property, adversaries, scope, conversations, note' },
);
const claimsSchema = z.array(claimSchema, { error: 'expected a list of claims ({ property, adversaries })' });

const commandTargetSchema = z.strictObject(
  {
    command: z.array(z.string().min(1), { error: 'expected the program and its arguments, as a list of strings' }).min(1, { error: 'expected the program and its arguments' }),
    claims: claimsSchema,
    description: z.string().optional(),
    cwd: z.string().optional(),
    timeoutMs: z.number().int().positive().optional(),
    startTimeoutMs: z.number().int().positive().optional(),
  },
  { error: 'expected only: command, claims, description, cwd, timeoutMs, startTimeoutMs' },
);

/** A design is an object with these; what else it has is the design's own (checked when it runs). */
const designSchema = z.looseObject({
  name: z.string().min(1),
  description: z.string(),
  claims: claimsSchema,
  createClient: fn('createClient(context)'),
  restoreClient: fn('restoreClient(context, image)'),
});

/** A target is a command target when it has `command`, else a design (checked apart: see `checkShape`). */
const targetSchema = z.custom<object>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), { error: 'expected a design or { command, claims }' });
const isCommandTarget = (value: unknown): boolean => typeof value === 'object' && value !== null && 'command' in value;

const adversarySchema = z.looseObject({
  name: z.string().min(1),
  description: z.string(),
  capabilities: z.array(z.enum(CAPABILITY_NAMES as [string, ...string[]], { error: `expected one of: ${CAPABILITY_NAMES.join(', ')}` })),
  metadata: z.array(z.enum(METADATA_KINDS, { error: `expected one of: ${METADATA_KINDS.join(', ')}` })),
  active: z.boolean(),
  prepare: fn('prepare(setup)'),
  params: z.custom<unknown>((value) => value === undefined || (typeof value === 'object' && value !== null && typeof (value as { safeParse?: unknown }).safeParse === 'function'), { error: 'expected a zod schema' }).optional(),
  paramsOptional: z.boolean().optional(),
});

const reporterSchema = z.looseObject({
  description: z.string(),
  files: z.array(z.strictObject({ name: z.string().min(1), signature: z.string().min(1) }), { error: 'expected a list of { name, signature }' }),
  create: fn('create(options)'),
});

const NAME = /^[a-z0-9][a-z0-9._@-]*$/;
const nameKey = z.string().regex(NAME, { error: 'expected a name of lowercase letters, digits, and . _ @ - (not starting with one of those)' });

const CONFIG_KEYS = 'targets, adversaries, reporters, scenarios, policy';
const configSchema = z.strictObject(
  {
    targets: z.record(nameKey, targetSchema, { error: 'expected a mapping of name -> design or { command, claims }' }).optional(),
    adversaries: z.record(nameKey, adversarySchema, { error: 'expected a mapping of name -> adversary' }).optional(),
    reporters: z.record(nameKey, reporterSchema, { error: 'expected a mapping of name -> reporter' }).optional(),
    scenarios: z.array(z.string().min(1), { error: 'expected a list of scenario files or folders' }).optional(),
    policy: z.string().min(1, { error: 'expected a policy file' }).optional(),
  },
  { error: `expected only: ${CONFIG_KEYS}` },
);

/**
 * Checks a module's exports against the config shape, keeping the objects as they are (a
 * design's methods and classes are the module's own): only the check is zod's.
 */
function checkShape(exported: unknown, name: string, kind: 'config' | 'plugin'): KeyholeConfig {
  if (typeof exported !== 'object' || exported === null || Array.isArray(exported)) {
    throw new InputError({ file: name, path: '', message: `expected ${kind === 'config' ? 'its default export' : 'its exports'} to be a mapping with some of the keys ${CONFIG_KEYS}` });
  }
  const problems = new Problems(name, () => undefined);
  const result = configSchema.safeParse(exported);
  if (!result.success) addZodIssues(problems, result.error.issues, exported, []);
  const config = exported as KeyholeConfig;
  const targets: unknown = config.targets;
  if (typeof targets === 'object' && targets !== null && !Array.isArray(targets)) {
    for (const [key, value] of Object.entries(targets)) {
      const target = (isCommandTarget(value) ? commandTargetSchema : designSchema).safeParse(value);
      if (!target.success) addZodIssues(problems, target.error.issues, value, ['targets', key]);
    }
  }
  if (kind === 'plugin' && config.policy !== undefined) problems.add(['policy'], 'a plugin gives no policy; name it in the config or with --policy', true);
  for (const section of ['targets', 'adversaries'] as const) {
    for (const [key, value] of Object.entries(config[section] ?? {})) {
      const own = typeof value === 'object' && value !== null && 'name' in value ? (value as { name: unknown }).name : undefined;
      if (typeof own === 'string' && own !== key) problems.add([section, key, 'name'], `expected '${key}', the name it is given under (got '${own}')`);
    }
  }
  problems.throwIfAny();
  return config;
}
