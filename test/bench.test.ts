/**
 * `keyhole bench`: cross-validation stops a wrong implementation before anything is timed,
 * the JSON output matches schema keyhole-bench/1, and the real command line writes it.
 * No assertion here depends on how fast anything is.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { caseBlocked, crossValidate, runPlan, type PlanContext, type Timing } from '../bench/core.ts';
import { aeadPlan } from '../bench/aead.ts';
import { alternatingChat } from '../bench/audit.ts';
import { longChatYaml } from '../bench/long-chat.ts';
import { loadOptions } from '../app/cli/catalogue.ts';
import { parseScenario } from '../harness/scenario/load.ts';
import { dhPlan } from '../bench/dh.ts';
import { countingBackend, countRatchetMessage, median, sideBySide } from '../bench/hot-path.ts';
import { PROTOCOL_TASKS, protocolPlan, SCANNING_NOTE } from '../bench/protocol.ts';
import { benchDocument } from '../bench/report.ts';
import { benchDocumentSchema } from '../bench/schema.ts';
import { bench, runBench } from '../app/cli/bench.ts';
import type { CryptoBackend } from '../harness/crypto/backend.ts';
import { cryptoBackends } from '../harness/crypto/index.ts';
import { InputError } from '../harness/errors.ts';

const { node, noble } = cryptoBackends;

/** The shortest timing tinybench accepts: these tests count rows, never speed. */
const TINY: Timing = { time: 1, iterations: 2, warmupTime: 0, warmupIterations: 1 };

/** noble, except that X25519 shared secrets come back with one bit flipped. */
function brokenBackend(): CryptoBackend {
  return {
    ...noble,
    name: 'broken' as CryptoBackend['name'],
    x25519(privateKey, publicKey) {
      const shared = noble.x25519(privateKey, publicKey);
      shared[0]! ^= 1;
      return shared;
    },
    aes256GcmEncrypt(key, nonce, plaintext, aad) {
      const out = noble.aes256GcmEncrypt(key, nonce, plaintext, aad);
      out[out.length - 1]! ^= 1;
      return out;
    },
  };
}

test('cross-validation fails a backend whose X25519 is wrong, and only its shared-secret rows', async (t) => {
  const plan = dhPlan({ backends: [node, noble, brokenBackend()], raw: true, quick: true });
  const verdicts = await crossValidate(plan.checks);
  const blocked = plan.cases.filter((c) => caseBlocked(c, verdicts) !== null).map((c) => `${c.task}/${c.crypto}`);
  t.deepEqual(blocked, ['x25519 shared secret/broken']);
  t.regex(caseBlocked(plan.cases.find((c) => c.crypto === 'broken' && c.task === 'x25519 shared secret')!, verdicts)!, /differs from the other implementations/);
});

test('cross-validation fails a broken AEAD at every size, encrypt and decrypt', async (t) => {
  const plan = aeadPlan({ backends: [node, noble, brokenBackend()], raw: true, quick: true });
  const verdicts = await crossValidate(plan.checks);
  const blocked = plan.cases.filter((c) => caseBlocked(c, verdicts) !== null);
  t.is(blocked.length, 8); // 4 sizes x encrypt/decrypt
  t.true(blocked.every((c) => c.crypto === 'broken' && c.task.startsWith('aes-256-gcm ')));
});

test('two implementations that disagree both fail: nothing says which one is right', async (t) => {
  const plan = dhPlan({ backends: [noble, brokenBackend()], raw: false, quick: true });
  const verdicts = await crossValidate(plan.checks);
  const shared = plan.cases.filter((c) => c.task === 'x25519 shared secret');
  t.deepEqual(
    shared.map((c) => caseBlocked(c, verdicts) !== null),
    [true, true],
  );
});

test('a row whose check failed is never timed and is reported as failed', async (t) => {
  const plan = dhPlan({ backends: [node, noble, brokenBackend()], raw: false, quick: true });
  let brokenCalls = 0;
  const cases = plan.cases.map((c) =>
    c.crypto === 'broken' && c.task === 'x25519 shared secret'
      ? {
          ...c,
          fn: () => {
            brokenCalls++;
          },
        }
      : c,
  );
  const outcome = await runPlan({ ...plan, cases }, { timing: TINY });
  t.is(brokenCalls, 0);
  t.deepEqual(
    outcome.failed.map((f) => [f.task, f.crypto]),
    [['x25519 shared secret', 'broken']],
  );
  t.is(outcome.results.length, cases.length - 1);
});

test('a filtered run gives a document that matches schema keyhole-bench/1', async (t) => {
  const run = await runBench({ backends: [node, noble], quick: true, filter: /^(x25519 keygen|hmac-sha256 32B)$/ });
  const document = benchDocument(run);
  const parsed = benchDocumentSchema.safeParse(JSON.parse(JSON.stringify(document)));
  t.true(parsed.success, parsed.success ? '' : parsed.error.message);
  t.deepEqual(
    document.results.map((r) => `${r.group}/${r.task}/${r.crypto}`),
    [
      'dh/x25519 keygen/node',
      'dh/x25519 keygen/node-raw',
      'dh/x25519 keygen/webcrypto',
      'dh/x25519 keygen/noble',
      'dh/x25519 keygen/noble-raw',
      'dh/x25519 keygen/sodium',
      'kdf/hmac-sha256 32B/node',
      'kdf/hmac-sha256 32B/node-raw',
      'kdf/hmac-sha256 32B/webcrypto',
      'kdf/hmac-sha256 32B/noble',
      'kdf/hmac-sha256 32B/noble-raw',
    ],
  );
  t.deepEqual(document.failed, []);
});

test('protocol rows carry the target and the wire overhead, and match the schema', async (t) => {
  const run = await runBench({
    backends: [node],
    quick: true,
    filter: /one-way/,
    plans: [(context) => protocolPlan(context, ['static-e2ee'])],
  });
  t.deepEqual(run.failed, []);
  const [row] = run.results;
  t.like(row, { group: 'protocol', task: 'messages 1KiB one-way', target: 'static-e2ee', crypto: 'node' });
  t.true(row!.overheadBytes! > 16, 'at least the AEAD tag');
  t.true(benchDocumentSchema.safeParse(JSON.parse(JSON.stringify(benchDocument(run)))).success);
});

test('the scanning designs run every protocol task with the empty match list of an audit, and the note says so', async (t) => {
  const plan = protocolPlan({ backends: [node], raw: false, quick: true }, ['scanning', 'scanning-eu']);
  // Every case on the tiny timing: these rows are counted, not timed.
  const outcome = await runPlan({ ...plan, cases: plan.cases.map((c) => ({ ...c, timing: undefined })) }, { timing: TINY });
  t.deepEqual(outcome.failed, []);
  t.deepEqual(
    outcome.results.map((r) => `${r.task}/${r.target}/${r.crypto}`),
    Object.values(PROTOCOL_TASKS).flatMap((task) => [`${task}/scanning/node`, `${task}/scanning-eu/node`]),
  );
  t.true(outcome.results.every((r) => r.overheadBytes! > 16), 'at least the AEAD tag');
  t.deepEqual(plan.notes.filter((note) => note.endsWith(SCANNING_NOTE)), [`scanning, scanning-eu: ${SCANNING_NOTE}`]);
});

test('audit findings: the throughput of a long chat is measured, the workers figure waits for a full run', async (t) => {
  const run = await runBench({ backends: [node], quick: true, filter: /^audit (throughput|workers)/ });
  t.deepEqual(run.results, []);
  t.deepEqual(
    run.findings.map((f) => f.name.slice(0, f.name.indexOf(':'))),
    ['audit throughput', 'audit workers'],
  );
  const [throughput, workers] = run.findings;
  t.true(Number.isFinite(throughput!.value) && throughput!.value! > 0, throughput!.detail);
  t.is(typeof throughput!.met, 'boolean');
  t.regex(throughput!.detail, /^2,000 messages in [\d.]+ s/);
  t.like(workers, { value: null, met: null });
  t.regex(workers!.detail, /full runs only/);
  t.true(benchDocumentSchema.safeParse(JSON.parse(JSON.stringify(benchDocument(run)))).success);
});

test('the long chats of the scale figures are valid scenarios: alternating senders, a seizure halfway', (t) => {
  const scenario = parseScenario(longChatYaml(10), 'chat-10.yaml', loadOptions);
  const sends = scenario.steps.filter((s) => s.kind === 'send');
  t.is(sends.length, 10);
  t.deepEqual(sends.slice(0, 2).map((s) => (s.kind === 'send' ? s.from : '')), ['alice.phone', 'bob.phone']);
  t.is(scenario.marks['seizure'], 6);
  t.deepEqual(scenario.adversaries['stolen-device'], { device: 'bob.phone', at: 'seizure' });
  t.is(alternatingChat(20).steps.length, 20);
});

test('audit findings need the node backend', async (t) => {
  const run = await runBench({ backends: [noble], quick: true, filter: /^audit scaling/ });
  t.is(run.findings.length, 1);
  t.like(run.findings[0], { value: null, met: null });
  t.regex(run.findings[0]!.detail, /not measured: needs the node backend/);
});

test('the schema rejects rows that break keyhole-bench/1', (t) => {
  const row = { group: 'dh', task: 'x25519 keygen', crypto: 'node', opsPerSec: 1, bytesPerSec: null, p50Ns: 1, samples: 1 };
  const doc = (results: unknown[]) => ({ schema: 'keyhole-bench/1', machine: { cpu: 'x', cores: 2, node: 'v20.0.0' }, results, failed: [], findings: [] });
  t.true(benchDocumentSchema.safeParse(doc([row])).success);
  t.false(benchDocumentSchema.safeParse(doc([{ ...row, group: 'protocol' }])).success, 'a protocol row needs its target');
  t.false(benchDocumentSchema.safeParse(doc([{ ...row, target: 'signal' }])).success, 'only protocol rows carry a target');
  t.false(benchDocumentSchema.safeParse(doc([{ ...row, extra: 1 }])).success, 'no unknown fields');
  t.false(benchDocumentSchema.safeParse(doc([{ ...row, opsPerSec: 0 }])).success);
  t.false(benchDocumentSchema.safeParse({ ...doc([row]), schema: 'keyhole-bench/2' }).success);
});

test('the counting proxy sees the DH ratchet step of every alternating ratchet message', async (t) => {
  const { calls, messages } = await countRatchetMessage(node);
  const count = (method: string) => calls.filter((c) => c.method === method).length / messages;
  t.is(count('x25519PublicKey'), 1);
  t.is(count('x25519'), 2);
  t.true(count('hmacSha256') >= 3);
  const counting = countingBackend(noble);
  counting.backend.hmacSha256(new Uint8Array(32), new Uint8Array(100));
  t.deepEqual(counting.calls, [{ method: 'hmacSha256', size: 100 }]);
});

test('side by side: the two loops take turns, the order flips every round, each rate is messages over its time', async (t) => {
  // A clock that moves only when a message is sent: 1 ms per message of the first loop, 2 ms of the second.
  let clock = 0;
  const order: string[] = [];
  const first = async () => {
    clock += 1;
    order.push('a');
  };
  const second = async () => {
    clock += 2;
    order.push('b');
  };
  const measured = await sideBySide(first, second, { rounds: 3, messages: 2, warmup: 1 }, () => clock);
  t.deepEqual(order.join(''), 'ab' + 'aabb' + 'bbaa' + 'aabb');
  t.deepEqual(measured.rates, [
    [1000, 1000, 1000],
    [500, 500, 500],
  ]);
  t.deepEqual(measured.ratios, [2, 2, 2]);
  t.is(median([3, 1, 2]), 2);
  t.is(median([4, 1, 2, 3]), 2.5);
});

test('the signal / libsignal finding times both side by side, when both alternating rows ran', async (t) => {
  const tiny = { rounds: 3, messages: 2, warmup: 2 };
  const alternatingOf = (...names: string[]) => (context: PlanContext) => protocolPlan(context, names);
  const run = await runBench({ backends: [node], quick: true, filter: /alternating/, plans: [alternatingOf('signal', 'libsignal')], sideBySide: tiny });
  const finding = run.findings.find((f) => f.name.startsWith('signal (node) / libsignal'))!;
  t.true(typeof finding.value === 'number' && finding.value > 0);
  t.is(finding.met, finding.value! >= 2.0);
  t.regex(finding.detail, /^median of 3 rounds of 2 messages each, the two timed in turn \(round ratios [\d.]+x\.\.[\d.]+x\); \d+ vs \d+ messages\/s .*the table rows, timed apart: [\d.]+x$/);

  const alone = await runBench({ backends: [node], quick: true, filter: /alternating/, plans: [alternatingOf('signal')], sideBySide: tiny });
  t.like(alone.findings.find((f) => f.name.startsWith('signal (node) / libsignal')), { value: null, met: null, detail: 'not measured: libsignal was not measured (filter, or its check failed)' });
});

/** The real command line, in a child process that does not block the other tests. */
function keyholeAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, ['--import', fileURLToPath(new URL('../register.js', import.meta.url)), CLI, ...args], { env: { ...process.env, NO_COLOR: '1' }, timeout: 110_000 }, (error, stdout, stderr) =>
      resolvePromise({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

const CLI = fileURLToPath(new URL('../app/cli/main.ts', import.meta.url));

test('keyhole bench --quick --filter x25519 writes JSON that matches the schema, replacing a link at --json rather than writing through it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'keyhole-bench-'));
  const file = join(dir, 'bench.json');
  const md = join(dir, 'bench.md');
  const victim = join(dir, 'victim.txt');
  writeFileSync(victim, 'not for keyhole\n');
  symlinkSync(victim, file);
  const result = await keyholeAsync(['bench', '--quick', '--filter', 'x25519', '--crypto', 'node,noble', '--json', file, '--md', md]);
  t.is(result.status, 0, result.stderr);
  t.regex(result.stdout, /x25519 shared secret/);
  const parsed = benchDocumentSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  t.true(parsed.success, parsed.success ? '' : parsed.error.message);
  t.true(parsed.data!.results.length > 0);
  t.true(parsed.data!.results.every((r) => r.group === 'dh' && /x25519/.test(r.task)));
  t.regex(readFileSync(md, 'utf8'), /\| task \| crypto \| ops\/s \|/);
  t.is(readFileSync(victim, 'utf8'), 'not for keyhole\n');
  t.false(lstatSync(file).isSymbolicLink());
});

test('bad bench flags are bad usage: exit 2, naming the flag', async (t) => {
  const crypto = await keyholeAsync(['bench', '--quick', '--crypto', 'openssl']);
  t.is(crypto.status, 2);
  t.regex(crypto.stderr, /--crypto: unknown name 'openssl'; expected a comma list of: node, noble/);
  t.notRegex(crypto.stderr, /\n\s+at /);
  // The rest in process: the same function the command calls, without a process start each.
  const usage = async (flags: Parameters<typeof bench>[0], pattern: RegExp) => {
    const error = await t.throwsAsync(bench(flags), { instanceOf: InputError });
    t.regex(error!.message, pattern);
  };
  await usage({ quick: true, filter: '(' }, /--filter: not a regular expression/);
  await usage({ quick: true, filter: 'no-such-task' }, /--filter: no benchmark task matches/);
  await usage({ quick: true, crypto: ' , ' }, /--crypto: expected a comma list of: node, noble/);
  await usage({ quick: true, json: join(tmpdir(), 'no', 'such', 'dir', 'b.json') }, /--json: cannot write/);
  await usage({ quick: true, md: tmpdir() }, /--md: cannot write .*: it is a directory/);
});
