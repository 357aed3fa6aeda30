/**
 * keyhole as a dependency (SPEC §9): the packed package installed into an empty project,
 * whose own config holds a design written there with the public API (PairwiseClient and the
 * sealed box), audited by `npx keyhole` with every reporter, two worker threads, and shards
 * merged back; a TypeScript config too, loaded through keyhole's own loader and type-checked
 * against the package's declarations. The design seals each message to the recipient device's
 * long-term key, so a seized phone opens every recorded message that was sent to it.
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Report, RunReport } from '../harness/report/types.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx';

/** The design, as a user writes it in JavaScript with nothing but keyhole installed. */
const DESIGN_JS = `import { defineConfig, defineDesign, PairwiseClient, seal, open, pack, unpack, utf8 } from 'keyhole';

const INFO = utf8.encode('acme message v1');
const aad = (from, to) => utf8.encode(\`\${from}>\${to}\`);

class AcmeClient extends PairwiseClient {
  #keys = null;

  async createKeys() {
    const x25519 = this.context.rng.bytes(32);
    this.#keys = { x25519, x25519Public: this.context.crypto.x25519PublicKey(x25519) };
    return { bundle: pack({ box: this.#keys.x25519Public }) };
  }

  async seal(to, plaintext) {
    const { box } = unpack((await this.context.provider.fetchBundle(to)).bundle, 'bundle');
    return seal(this.context.crypto, this.context.rng, { x25519: box }, INFO, plaintext, aad(this.context.address, to));
  }

  async open(envelope) {
    return open(this.context.crypto, this.#keys, INFO, envelope.body, aad(envelope.from, envelope.to));
  }

  exportKeys() {
    return this.#keys;
  }

  importKeys(keys) {
    this.#keys = keys;
  }
}

export default defineConfig({
  targets: {
    acme: defineDesign({
      name: 'acme',
      description: "sealed boxes to each device's long-term key, fetched from the directory",
      claims: [{ property: 'confidentiality', adversaries: ['network', 'server'] }],
      createClient: (context) => new AcmeClient(context),
      restoreClient: (context, image) => new AcmeClient(context).restore(image),
    }),
  },
  scenarios: ['scenarios'],
});
`;

/** The same design in TypeScript, typed by the package's declarations. */
const DESIGN_TS = `import { defineConfig, defineDesign, PairwiseClient, seal, open, pack, unpack, utf8 } from 'keyhole';
import type { BoxPrivateKey, ClientContext, DeviceAddress, Envelope, KeyUpload } from 'keyhole';

const INFO = utf8.encode('acme message v1');
const aad = (from: string, to: string): Uint8Array => utf8.encode(\`\${from}>\${to}\`);

class AcmeClient extends PairwiseClient {
  #keys: BoxPrivateKey | null = null;

  protected async createKeys(): Promise<KeyUpload> {
    const x25519 = this.context.rng.bytes(32);
    this.#keys = { x25519, x25519Public: this.context.crypto.x25519PublicKey(x25519) };
    return { bundle: pack({ box: this.#keys.x25519Public }) };
  }

  protected async seal(to: DeviceAddress, plaintext: Uint8Array): Promise<Uint8Array> {
    const { box } = unpack<{ box: Uint8Array }>((await this.context.provider.fetchBundle(to)).bundle, 'bundle');
    return seal(this.context.crypto, this.context.rng, { x25519: box }, INFO, plaintext, aad(this.context.address, to));
  }

  protected async open(envelope: Envelope): Promise<Uint8Array> {
    if (!this.#keys) throw new Error('not registered');
    return open(this.context.crypto, this.#keys, INFO, envelope.body, aad(envelope.from, envelope.to));
  }

  protected exportKeys(): unknown {
    return this.#keys;
  }

  protected importKeys(keys: unknown): void {
    this.#keys = keys as BoxPrivateKey;
  }
}

export default defineConfig({
  targets: {
    'acme-ts': defineDesign({
      name: 'acme-ts',
      description: 'acme, written in TypeScript',
      claims: [{ property: 'confidentiality', adversaries: ['network', 'server'] }],
      createClient: (context: ClientContext) => new AcmeClient(context),
      restoreClient: (context: ClientContext, image: Uint8Array) => new AcmeClient(context).restore(image),
    }),
  },
});
`;

/** A scenario of the project's own, added by its config. */
const SCENARIO = `name: acme-chat
description: Alice and Bob chat; Bob's phone is seized midway.
users:
  alice: [phone]
  bob: [phone]
steps:
  - send: { from: alice, to: bob, id: hello }
  - send: { from: bob, to: alice, id: reply }
  - mark: seizure
  - send: { from: alice, to: bob, id: later }
adversaries:
  stolen-device: { device: bob.phone, at: seizure }
`;

const ADVERSARIES = 'network,server,stolen-device';

interface Project {
  folder: string;
  npx(args: string[], env?: Record<string, string>): { status: number | null; stdout: string; stderr: string };
}

/** Packs keyhole (from a current build) and installs it into an empty project. */
function installedProject(): Project {
  const temp = mkdtempSync(join(tmpdir(), 'keyhole-consumer-'));
  if (!buildIsCurrent()) execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.js')], { cwd: ROOT, stdio: 'ignore' });
  const packed = JSON.parse(execFileSync(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', temp], { cwd: ROOT, encoding: 'utf8' })) as { filename: string }[];
  const folder = join(temp, 'project');
  mkdirSync(join(folder, 'scenarios'), { recursive: true });
  writeFileSync(join(folder, 'package.json'), `${JSON.stringify({ name: 'acme-messenger', version: '1.0.0', private: true }, null, 2)}\n`);
  execFileSync(NPM, ['install', join(temp, packed[0]!.filename), '--prefer-offline', '--no-audit', '--no-fund'], { cwd: folder, stdio: 'ignore' });
  writeFileSync(join(folder, 'keyhole.config.mjs'), DESIGN_JS);
  writeFileSync(join(folder, 'scenarios', 'acme-chat.yaml'), SCENARIO);
  return {
    folder,
    npx: (args, env = {}) => {
      const result = spawnSync(NPX, ['--no-install', 'keyhole', ...args], { cwd: folder, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', GITHUB_ACTIONS: 'true', ...env }, timeout: 300_000 });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    },
  };
}

/** Whether dist/ was built after every source file changed (as bin/keyhole.js decides). */
function buildIsCurrent(): boolean {
  const stamp = join(ROOT, 'dist', 'BUILT');
  if (!existsSync(stamp)) return false;
  const built = statSync(stamp).mtimeMs;
  const newer = (dir: string): boolean =>
    readdirSync(dir, { withFileTypes: true }).some((entry) => (entry.isDirectory() ? newer(join(dir, entry.name)) : entry.name.endsWith('.ts') && statSync(join(dir, entry.name)).mtimeMs > built));
  return !['core', 'harness', 'targets', 'attacks', 'reports', 'bench', 'app'].some((folder) => newer(join(ROOT, folder)));
}

const readReport = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Report;
const leaked = (run: RunReport | undefined) => run?.messages.filter((m) => m.leaked).map((m) => m.id);
const verdict = (run: RunReport | undefined, property: string) => run?.properties.find((p) => p.property === property)?.verdict;
const find = (report: Report, target: string, scenario: string, adversary: string) => report.runs.find((r) => r.target === target && r.scenario === scenario && r.adversary === adversary);

let project: Project;
test.before(() => {
  project = installedProject();
});
test.after.always(() => {
  if (project) rmSync(join(project.folder, '..'), { recursive: true, force: true });
});

test.serial('a design in the project\'s keyhole.config.mjs is listed and audited with every reporter on two worker threads', (t) => {
  const list = project.npx(['list', '--json']);
  t.is(list.status, 0, list.stderr);
  const catalogue = JSON.parse(list.stdout) as { targets: { name: string }[]; scenarios: { name: string }[] };
  t.true(catalogue.targets.some((entry) => entry.name === 'acme'));
  t.true(catalogue.scenarios.some((entry) => entry.name === 'acme-chat'));

  const summary = join(project.folder, 'summary.md');
  const audit = project.npx(['audit', '-t', 'acme', '-a', ADVERSARIES, '-r', 'list,json,md,html,junit,sarif,github', '--workers', '2', '-o', 'out'], { GITHUB_STEP_SUMMARY: summary });
  t.is(audit.status, 0, audit.stderr);
  t.regex(audit.stdout, /acme/);
  for (const file of ['report.json', 'report.md', 'report-summary.md', 'index.html', 'junit.xml', 'report.sarif']) t.true(existsSync(join(project.folder, 'out', file)), file);
  t.regex(readFileSync(summary, 'utf8'), /acme/);

  const report = readReport(join(project.folder, 'out', 'report.json'));
  // Seven built-in scenarios and the project's own, each against three adversaries.
  t.is(report.runs.length, 8 * 3);
  t.deepEqual(report.runs.filter((r) => r.status === 'error'), []);
  t.deepEqual(report.violations, []);
  // On the wire and at the provider there are only sealed boxes.
  t.deepEqual(leaked(find(report, 'acme', 'stolen-phone', 'network')), []);
  t.is(verdict(find(report, 'acme', 'stolen-phone', 'server'), 'confidentiality'), 'holds');
  // The seized phone's key opens the recorded messages sent to it, deleted or later: no
  // forward secrecy, no healing (not claimed, so no violation).
  const seized = find(report, 'acme', 'stolen-phone', 'stolen-device');
  t.deepEqual(leaked(seized), ['plan', 'ack', 'source', 'kept', 'after-1', 'after-3', 'after-5']);
  t.is(verdict(seized, 'forward-secrecy'), 'violated');
  t.is(verdict(seized, 'post-compromise-security'), 'violated');
  t.deepEqual(leaked(find(report, 'acme', 'acme-chat', 'stolen-device')), ['hello', 'reply', 'later']);
  t.regex(readFileSync(join(project.folder, 'out', 'junit.xml'), 'utf8'), /acme/);
});

test.serial('shards of the audit of a config design merge back into the whole audit (merge knows the config\'s names)', (t) => {
  const whole = project.npx(['audit', '-t', 'acme', '-a', ADVERSARIES, '-r', 'json', '--workers', '1', '--quiet', '-o', 'whole']);
  t.is(whole.status, 0, whole.stderr);
  for (const index of [1, 2]) {
    const shard = project.npx(['audit', '-t', 'acme', '-a', ADVERSARIES, '-r', 'json', '--shard', `${index}/2`, '--quiet', '-o', `shard-${index}`]);
    t.is(shard.status, 0, shard.stderr);
  }
  const merged = project.npx(['merge', 'shard-1/report.json', 'shard-2/report.json', '-r', 'json,md', '--quiet', '-o', 'merged']);
  t.is(merged.status, 0, merged.stderr);
  const { timing: _a, ...expected } = readReport(join(project.folder, 'whole', 'report.json'));
  const { timing: _b, ...got } = readReport(join(project.folder, 'merged', 'report.json'));
  t.deepEqual(got, expected);

  // Without the config, merge does not know acme: bad input, naming the run.
  const elsewhere = join(project.folder, 'scenarios');
  const result = spawnSync(NPX, ['--no-install', 'keyhole', 'merge', '../shard-1/report.json', '../shard-2/report.json', '-o', '../unknown'], { cwd: elsewhere, encoding: 'utf8' });
  t.is(result.status, 2);
  t.regex(result.stderr, /runs\[0\]\.target: unknown target 'acme'/);
});

test.serial('a TypeScript config loads through keyhole\'s own loader and type-checks against the package\'s declarations', (t) => {
  // The project is CommonJS (no "type"), where a .ts file is CommonJS too: keyhole says so.
  writeFileSync(join(project.folder, 'keyhole.config.ts'), DESIGN_TS);
  const commonJs = project.npx(['list', '--config', 'keyhole.config.ts']);
  t.is(commonJs.status, 2);
  t.regex(commonJs.stderr, /keyhole\.config\.ts: a \.ts file is CommonJS where the nearest package\.json has no "type": "module"; name it keyhole\.config\.mts/);
  rmSync(join(project.folder, 'keyhole.config.ts'));

  const folder = join(project.folder, 'typed');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(folder, 'keyhole.config.ts'), DESIGN_TS);
  writeFileSync(join(project.folder, 'keyhole.config.mts'), DESIGN_TS.replace(/acme-ts/g, 'acme-mts'));
  const tsc = join(project.folder, 'node_modules', 'typescript', 'bin', 'tsc');
  const check = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', join(folder, 'keyhole.config.ts')], { cwd: project.folder, encoding: 'utf8' });
  t.is(check.status, 0, check.stdout + check.stderr);

  // On two threads: a worker thread loads the TypeScript config too.
  const audit = project.npx(['audit', '--config', 'typed/keyhole.config.ts', '-t', 'acme-ts', '-a', 'network,stolen-device', '-r', 'json', '--workers', '2', '--quiet', '-o', 'typed-out', 'scenarios/acme-chat.yaml']);
  t.is(audit.status, 0, audit.stderr);
  const report = readReport(join(project.folder, 'typed-out', 'report.json'));
  t.deepEqual(leaked(find(report, 'acme-ts', 'acme-chat', 'network')), []);
  t.deepEqual(leaked(find(report, 'acme-ts', 'acme-chat', 'stolen-device')), ['hello', 'reply', 'later']);

  // A .mts config is an ES module wherever it is.
  const mts = project.npx(['audit', '--config', 'keyhole.config.mts', '-t', 'acme-mts', '-a', 'stolen-device', '-r', 'json', '--quiet', '-o', 'mts-out', 'scenarios/acme-chat.yaml']);
  t.is(mts.status, 0, mts.stderr);
  t.deepEqual(leaked(find(readReport(join(project.folder, 'mts-out', 'report.json')), 'acme-mts', 'acme-chat', 'stolen-device')), ['hello', 'reply', 'later']);
  rmSync(join(project.folder, 'keyhole.config.mts'));
});

test.serial('only the public entry of the package is importable', (t) => {
  const probe = (specifier: string) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(specifier)}); console.log('loaded')`], { cwd: project.folder, encoding: 'utf8' });
  t.is(probe('keyhole').status, 0);
  for (const deep of ['keyhole/harness/runner.ts', 'keyhole/dist/harness/runner.js', 'keyhole/targets/signal.ts']) {
    const result = probe(deep);
    t.not(result.status, 0, deep);
    t.regex(result.stderr, /ERR_PACKAGE_PATH_NOT_EXPORTED/, deep);
  }
});

test.serial('--plugin takes an installed package by name (an ES-module-only one too)', (t) => {
  const plugin = join(project.folder, 'node_modules', '@acme', 'keyhole-plugin');
  mkdirSync(plugin, { recursive: true });
  writeFileSync(join(plugin, 'package.json'), JSON.stringify({ name: '@acme/keyhole-plugin', version: '1.0.0', type: 'module', exports: { '.': { import: './index.js' } } }));
  writeFileSync(
    join(plugin, 'index.js'),
    `import { defineAdversary } from 'keyhole';
export const adversaries = {
  'acme-auditor': defineAdversary({
    name: 'acme-auditor',
    description: "acme's own auditor: what the provider stored",
    metadata: [],
    active: false,
    capabilities: ['read-provider'],
    prepare: () => ({ position: { strikeStep: null, compromisedDevice: null, removedMember: null }, conclude: async (view) => view.providerStored.map((item) => ({ bytes: item.bytes, via: 'stored' })) }),
  }),
};
`,
  );
  const list = project.npx(['list', '--json', '--plugin', '@acme/keyhole-plugin']);
  t.is(list.status, 0, list.stderr);
  t.true((JSON.parse(list.stdout) as { adversaries: { name: string }[] }).adversaries.some((entry) => entry.name === 'acme-auditor'));
});

test.serial('the installed package\'s conform passes against its own client signal', (t) => {
  // Compiled code runs from dist/, which holds no scenarios: conform finds them in the package.
  const conform = project.npx(['conform', '--', NPX, '--no-install', 'keyhole', 'client', 'signal']);
  t.is(conform.status, 0, conform.stdout + conform.stderr);
  t.regex(conform.stdout, /ok\s+determinism/);
  t.notRegex(conform.stdout, /^FAIL/m);
});
