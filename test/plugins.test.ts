/**
 * Config and plugins (SPEC §9): what a config or a `--plugin` module adds goes wherever the
 * built-in names go (list, reporters, worker threads, scenarios), and every way a module can
 * be wrong is bad input naming the module, exit 2, with no stack trace.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { cryptoBackend } from '../harness/crypto/index.ts';
import { BUILT_IN, loadRegistry } from '../harness/plugins/registry.ts';
import { loadScenarios } from '../harness/scenario/load.ts';
import { executeSpecs } from '../app/workers.ts';
import { PROPERTY_NAMES, type Report } from '../harness/report/types.ts';
import { loadAllTargets } from '../targets/registry.ts';
import { keyhole } from './helpers/cli.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/plugins/', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STOLEN_PHONE = join(ROOT, 'attacks', 'scenarios', 'stolen-phone.yaml');
const fixture = (name: string) => join(FIXTURES, name);

function folder(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyhole-plugins-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Bad input: exit 2, the module named, no stack trace. */
function badInput(t: import('ava').ExecutionContext, result: ReturnType<typeof keyhole>, pattern: RegExp): void {
  t.is(result.status, 2, result.stderr);
  t.regex(result.stderr, /^keyhole: bad input\n/);
  t.regex(result.stderr, pattern);
  t.notRegex(result.stderr, /\n\s+at /);
}

test("every built-in design's claims name known adversaries and properties", async (t) => {
  for (const design of Object.values(await loadAllTargets())) {
    t.deepEqual(BUILT_IN.claimProblems(design.claims), [], design.name);
    for (const claim of design.claims) t.true(PROPERTY_NAMES.includes(claim.property), `${design.name}: ${claim.property}`);
  }
});

test('a plugin adversary and reporter: listed, run on worker threads, printed by the reporter', (t) => {
  const list = keyhole(['list', '--plugin', fixture('extras.mjs')]);
  t.is(list.status, 0, list.stderr);
  t.regex(list.stdout, /stored-bytes +every byte the provider stored/);
  t.regex(list.stdout, /^reporters \(--reporter\)$[^]*^ {2}tally +one line per run: target, scenario, adversary, leaked messages$/m);

  const out = folder();
  const args = ['audit', '--plugin', fixture('extras.mjs'), '-t', 'server-side,static-e2ee', '-a', 'stored-bytes,network+stored-bytes', '-r', 'json,tally', '-o', out, STOLEN_PHONE];
  const result = keyhole([...args, '--workers', '2']);
  t.is(result.status, 0, result.stderr);
  // server-side stores what it carries in clear; static-e2ee stores only ciphertext.
  t.regex(result.stdout, /^tally server-side stolen-phone stored-bytes plan,ack,source,kept,after-1,after-2,after-3,after-4,after-5,after-6$/m);
  t.regex(result.stdout, /^tally static-e2ee stolen-phone stored-bytes $/m);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
  t.deepEqual(report.runs.map((r) => `${r.target} ${r.adversary} ${r.status}`), [
    'server-side stored-bytes ok',
    'server-side network+stored-bytes ok',
    'static-e2ee stored-bytes ok',
    'static-e2ee network+stored-bytes ok',
  ]);
  const tally = (stdout: string) => stdout.split('\n').filter((line) => line.startsWith('tally '));
  t.deepEqual(tally(keyhole([...args, '--workers', '1', '-o', folder()]).stdout), tally(result.stdout));
});

test("a config found in the working folder adds its design; a run in which the design throws is an error run", (t) => {
  const dir = folder({
    'keyhole.config.mjs': `export { default } from ${JSON.stringify(fixture('throws-in-run.mjs'))};\n`,
  });
  const result = keyhole(['audit', '-t', 'brittle,static-e2ee', '-a', 'network', '-r', 'json', '--workers', '2', '--quiet', '-o', 'out', STOLEN_PHONE], { cwd: dir });
  t.is(result.status, 1, result.stderr);
  const report = JSON.parse(readFileSync(join(dir, 'out', 'report.json'), 'utf8')) as Report;
  t.deepEqual(report.runs.map((r) => [r.target, r.status]), [['brittle', 'error'], ['static-e2ee', 'ok']]);
  t.regex(report.runs[0]!.error!, /brittle: no entropy today/);
});

test('a config target that shadows a built-in name is bad input', (t) => {
  badInput(t, keyhole(['list', '--config', fixture('shadows.mjs')]), /shadows\.mjs: targets\.signal: 'signal' is a built-in target; give yours another name/);
});

test('a module that throws while loading is bad input naming it', (t) => {
  badInput(t, keyhole(['audit', '--plugin', fixture('throws-on-load.mjs'), '-t', 'signal']), /throws-on-load\.mjs: failed to load: the plugin could not find its key file/);
  badInput(t, keyhole(['list', '--plugin', './no-such-plugin.mjs']), /no-such-plugin\.mjs: no such file/);
  badInput(t, keyhole(['list', '--plugin', 'no-such-package-anywhere']), /no-such-package-anywhere: cannot find the package/);
  badInput(t, keyhole(['list', '--config', 'no-such-config.mjs']), /no-such-config\.mjs: no such file/);
  badInput(t, keyhole(['list', '--config', 'keyhole.yaml']), /keyhole\.yaml: expected a keyhole config ending in \.ts, \.mts, \.js, \.mjs, \.json/);
});

test('claims naming an unknown adversary or property are bad input when the catalogue loads', (t) => {
  badInput(t, keyhole(['list', '--config', fixture('bad-claims.mjs')]), /targets\.wobbly\.claims\[0\]\.adversaries\[1\]: unknown adversary 'nsa'; expected one of: network, server/);
  badInput(t, keyhole(['list', '--config', fixture('bad-shape.mjs')]), /targets\.shaky\.claims\[0\]\.property: expected one of: confidentiality, .*, got 'secrecy'/);
});

test('a config of the wrong shape is bad input naming each problem', (t) => {
  const result = keyhole(['list', '--config', fixture('bad-shape.mjs')]);
  badInput(t, result, /bad-shape\.mjs: scenario: unknown key 'scenario'/);
  t.regex(result.stderr, /targets\.half\.createClient: expected a function \(createClient\(context\)\)/);
  badInput(t, keyhole(['list'], { cwd: folder({ 'keyhole.config.json': '{ "targets": { "acme": { "command": [], "claims": [] } } }' }) }), /keyhole\.config\.json: targets\.acme\.command: expected the program/);
  badInput(t, keyhole(['list'], { cwd: folder({ 'keyhole.config.mjs': 'export const targets = {};\n' }) }), /keyhole\.config\.mjs: has no default export/);
  badInput(t, keyhole(['list'], { cwd: folder({ 'keyhole.config.mjs': 'export default {};\n', 'keyhole.config.json': '{}' }) }), /more than one keyhole config/);
});

test('a config design served by keyhole client, named as a command target in a JSON config, gives the in-process report', (t) => {
  const acme = fixture('acme.mjs');
  const dir = folder({
    'keyhole.config.json': JSON.stringify({
      targets: {
        'acme-remote': {
          command: [process.execPath, '--import', `${ROOT}register.js`, `${ROOT}app/cli/main.ts`, 'client', 'acme', '--config', acme],
          claims: [{ property: 'confidentiality', adversaries: ['network', 'server'] }],
          startTimeoutMs: 300_000,
        },
      },
    }),
  });
  const audit = ['-a', 'network,stolen-device', '-r', 'json', '--quiet', STOLEN_PHONE];
  const remote = keyhole(['audit', '-t', 'acme-remote', '-o', 'remote', ...audit], { cwd: dir });
  t.is(remote.status, 0, remote.stderr);
  const local = keyhole(['audit', '--config', acme, '-t', 'acme', '-o', join(dir, 'local'), ...audit]);
  t.is(local.status, 0, local.stderr);
  const report = (name: string) => JSON.parse(readFileSync(join(dir, name, 'report.json'), 'utf8')) as Report;
  const { timing: _r, ...remoteReport } = report('remote');
  const { timing: _l, ...localReport } = report('local');
  t.deepEqual(JSON.parse(JSON.stringify(remoteReport).replaceAll('"acme-remote"', '"acme"')), localReport);
  const stolen = localReport.runs.find((run) => run.adversary === 'stolen-device')!;
  t.deepEqual(stolen.messages.filter((m) => m.leaked).map((m) => m.id), ['plan', 'ack', 'source', 'kept', 'after-1', 'after-3', 'after-5']);
});

test("the config's policy is checked when --policy is not given; its paths are the config folder's", (t) => {
  const dir = folder({
    'keyhole.config.mjs': `import config from ${JSON.stringify(fixture('acme.mjs'))};\nexport default { ...config, policy: 'acme-policy.yaml' };\n`,
    'acme-policy.yaml': 'expect:\n  - { target: acme, adversary: stolen-device, property: forward-secrecy, verdict: holds }\n',
    'lenient.yaml': 'expect:\n  - { target: acme, adversary: stolen-device, property: confidentiality, verdict: violated }\n',
  });
  const audit = ['audit', '-t', 'acme', '-a', 'stolen-device', '-r', 'json', '--quiet', '-o', 'out', STOLEN_PHONE];
  const strict = keyhole(audit, { cwd: dir });
  t.is(strict.status, 1, strict.stderr);
  t.regex(strict.stderr, /1 policy expectation\(s\) failed \(.*acme-policy\.yaml\):\n {2}policy: expect\[0\] \(acme · stolen-phone · stolen-device\): forward-secrecy expected holds, got violated/);
  t.is(keyhole([...audit, '--policy', join(dir, 'lenient.yaml')], { cwd: dir }).status, 0);
});

test('worker threads load the same plugins: runs of a plugin design and adversary made only on worker threads are the runs of this thread', async (t) => {
  const registry = await loadRegistry({ cwd: ROOT, config: null, plugins: [fixture('acme.mjs'), fixture('extras.mjs')] });
  const [scenario] = loadScenarios([STOLEN_PHONE], registry.loadOptions);
  const design = await registry.loadTarget('acme')!;
  const specs = ['stored-bytes', 'stolen-device', 'network+stored-bytes'].map((name) => ({ design, scenario: scenario!, adversary: registry.adversaryNamed(name) }));
  const crypto = cryptoBackend('node');
  const threaded = await executeSpecs(specs, { seed: 1, crypto, workers: 2, registry, runInThisThread: false });
  t.deepEqual(threaded, await executeSpecs(specs, { seed: 1, crypto, workers: 1 }));
  t.deepEqual(threaded.map((run) => run.status), ['ok', 'ok', 'ok']);
  t.deepEqual(threaded[1]!.messages.filter((m) => m.leaked).map((m) => m.id), ['plan', 'ack', 'source', 'kept', 'after-1', 'after-3', 'after-5']);
  // Without the registry, the threads refuse names they do not know.
  await t.throwsAsync(executeSpecs(specs, { seed: 1, crypto, workers: 2, runInThisThread: false }), { message: /worker threads run the catalogue's targets and adversaries only, not acme/ });
});

test("a config named through a symbolic link takes its paths from the folder it really is in, as its imports do", (t) => {
  const dir = folder();
  mkdirSync(join(dir, 'real', 'scenarios'), { recursive: true });
  mkdirSync(join(dir, 'link'));
  writeFileSync(join(dir, 'real', 'name.mjs'), "export const NAME = 'lunch';\n");
  writeFileSync(join(dir, 'real', 'keyhole.config.mjs'), "import { NAME } from './name.mjs';\nexport default { scenarios: ['scenarios'], policy: `${NAME}-policy.yaml` };\n");
  writeFileSync(join(dir, 'real', 'lunch-policy.yaml'), 'expect:\n  - { target: server-side, adversary: server, maxLeaked: 0 }\n');
  writeFileSync(join(dir, 'real', 'scenarios', 'lunch.yaml'), 'name: lunch\ndescription: Alice asks Bob to lunch.\nusers:\n  alice: [phone]\n  bob: [phone]\nsteps:\n  - send: { from: alice, to: bob, id: ask }\n');
  symlinkSync(join('..', 'real', 'keyhole.config.mjs'), join(dir, 'link', 'keyhole.config.mjs'));
  const list = keyhole(['list', '--config', join(dir, 'link', 'keyhole.config.mjs')]);
  t.is(list.status, 0, list.stderr);
  t.regex(list.stdout, /lunch +Alice asks Bob to lunch\./);
  // Found in the working folder as a link, the same: its scenario, and its policy failing.
  const audit = keyhole(['audit', '-t', 'server-side', '-a', 'server', '-r', 'json', '--quiet', '-o', 'out', join(dir, 'real', 'scenarios', 'lunch.yaml')], { cwd: join(dir, 'link') });
  t.is(audit.status, 1, audit.stderr);
  t.regex(audit.stderr, /policy: expect\[0\] \(server-side · lunch · server\): .*ask/);
});

test('an ES module config in a .js file of a CommonJS project is bad input saying to name it .mjs', (t) => {
  const dir = folder({ 'package.json': '{ "name": "cjs" }\n', 'keyhole.config.js': "import { join } from 'node:path';\nexport default { scenarios: [join('a', 'b')] };\n" });
  badInput(t, keyhole(['list'], { cwd: dir }), /keyhole\.config\.js: failed to load: .*; a \.js file is CommonJS where the nearest package\.json has no "type": "module": if it is an ES module, name it keyhole\.config\.mjs, or set "type": "module"/);
});
