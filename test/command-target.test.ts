/**
 * Command targets (keyhole-client/1, docs/client-protocol.md): a client that hangs or dies is
 * an error run naming the device and the request; a broken client fails `keyhole conform`;
 * `signal` through `keyhole client signal` gives the same report as in process.
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { adversaryNamed } from '../attacks/registry.ts';
import { cryptoBackend } from '../harness/crypto/index.ts';
import { executeRun } from '../harness/runner.ts';
import { commandDesign } from '../targets/command/design.ts';
import { signal } from '../targets/signal.ts';
import { builtIn } from './helpers/audit.ts';
import { keyhole } from './helpers/cli.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const fixture = (name: string) => [process.execPath, fileURLToPath(new URL(`./fixtures/clients/${name}`, import.meta.url))];
const crypto = cryptoBackend('node');
/** How long a client may take to start and say hello: generous, as a loaded CI machine starts processes slowly. */
const START = 300_000;

test('a hanging client is an error run naming the device and the request, not a hung audit', async (t) => {
  const design = commandDesign({ name: 'hangs', command: fixture('hanging.mjs'), claims: [], timeoutMs: 5000, startTimeoutMs: START });
  const run = await executeRun({ design, scenario: builtIn('first-contact'), adversary: adversaryNamed('network') }, 1, crypto);
  t.is(run.status, 'error');
  t.regex(run.error!, /client process of hangs failed: no answer within 5 s \(device alice\.phone, request #3 register\)/);
});

test('a dying client is an error run naming the device, the request and its stderr', async (t) => {
  const design = commandDesign({ name: 'dies', command: fixture('dying.mjs'), claims: [], startTimeoutMs: START });
  const run = await executeRun({ design, scenario: builtIn('first-contact'), adversary: adversaryNamed('network') }, 1, crypto);
  t.is(run.status, 'error');
  t.regex(run.error!, /exited with status 7 \(stderr: segfault in register\) \(device alice\.phone, request #3 register\)/);
});

test('keyhole conform fails a broken client, naming the check', (t) => {
  const result = keyhole(['conform', '--timeout', '2000', ...fixture('hanging.mjs')]);
  t.is(result.status, 1);
  t.regex(result.stdout, /FAIL {2}bad request: not JSON/);
});

test('keyhole conform fails a client that draws its randomness from elsewhere than the stream, though its reports agree', (t) => {
  // Two runs give the same report.json (a report holds no key or ciphertext), but the bytes
  // the client uploads differ: its keys come from the operating system.
  const result = keyhole(['conform', ...fixture('own-randomness.mjs')]);
  t.is(result.status, 1, result.stdout + result.stderr);
  t.regex(result.stdout, /FAIL {2}determinism: .*\n.*upload different bytes/);
});

test('keyhole conform fails a client whose restored copies open nothing: every seizure of it would look harmless', (t) => {
  const result = keyhole(['conform', ...fixture('mangled.mjs'), 'blind-copies']);
  t.is(result.status, 1, result.stdout + result.stderr);
  t.regex(result.stdout, /FAIL {2}restored image: .*\n.*did not open after-1/);
  t.regex(result.stdout, /ok {4}device image: /, 'the image itself is fine: its history is in it');
});

test('keyhole conform fails a client that answers a refusal as a failure', (t) => {
  const result = keyhole(['conform', ...fixture('mangled.mjs'), 'failed-refusals']);
  t.is(result.status, 1, result.stdout + result.stderr);
  t.regex(result.stdout, /FAIL {2}refusals: /);
});

test('keyhole conform with no command is bad usage', (t) => {
  t.is(keyhole(['conform']).status, 2);
});

const served = commandDesign({
  name: 'signal',
  command: [process.execPath, '--import', `${ROOT}register.js`, `${ROOT}app/cli/main.ts`, 'client', 'signal'],
  claims: signal.claims,
  startTimeoutMs: START,
});

for (const [scenario, adversary] of [
  ['first-contact', 'network'],
  ['first-contact', 'server'],
  ['family-group', 'network'],
  ['family-group', 'server'],
  ['stolen-phone', 'stolen-device'],
] as const) {
  test(`signal through keyhole client signal gives the in-process report: ${scenario} x ${adversary}`, async (t) => {
    const spec = { scenario: builtIn(scenario), adversary: adversaryNamed(adversary) };
    const inProcess = await executeRun({ ...spec, design: signal }, 1, crypto);
    const outOfProcess = await executeRun({ ...spec, design: served }, 1, crypto);
    t.deepEqual(outOfProcess, inProcess);
  });
}

// mls runs a library that makes its own encapsulation randomness; the determinism check
// passes because the suite draws it from the device's stream (targets/mls/suite.ts).
for (const design of ['signal', 'mls']) {
  test(`keyhole conform passes keyhole client ${design}`, (t) => {
    const result = keyhole(['conform', '--', process.execPath, '--import', `${ROOT}register.js`, `${ROOT}app/cli/main.ts`, 'client', design]);
    t.is(result.status, 0, result.stdout);
    t.regex(result.stdout, /^ok {4}determinism: the same random stream and clock give the same run$/m);
    t.regex(result.stdout, /every check passed/);
  });
}
