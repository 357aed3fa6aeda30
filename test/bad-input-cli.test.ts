/**
 * The whole bad-input corpus through the real command line (in process): every file exits 2
 * with a message naming the file, the place inside it and what is wrong, never a stack trace
 * and never a raw control character. Then the attacks too large to keep as files, through a
 * child process whose heap is capped at 1 GiB.
 */
import test, { type ExecutionContext } from 'ava';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../app/cli/main.ts';
import { keyhole } from './helpers/cli.ts';

const CORPUS = fileURLToPath(new URL('./bad-input/', import.meta.url));
const OUT = mkdtempSync(join(tmpdir(), 'keyhole-bad-input-'));

/** Run `keyhole args`, capturing what it writes to stderr. */
async function keyholeInProcess(args: string[]): Promise<{ status: number; stderr: string }> {
  const chunks: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    const status = await main(args);
    return { status, stderr: chunks.join('') };
  } finally {
    process.stderr.write = write;
  }
}

const corpora = [
  { folder: 'scenarios', args: (file: string) => ['audit', file] },
  { folder: 'policies', args: (file: string) => ['audit', '--policy', file] },
];

for (const { folder, args } of corpora) {
  const expected = JSON.parse(readFileSync(join(CORPUS, folder, 'expected.json'), 'utf8')) as Record<string, { path: string; message: string; line?: string }>;
  const files = readdirSync(join(CORPUS, folder)).filter((f) => f !== 'expected.json');

  test.serial(`every bad file in ${folder}/ exits 2 with a located message (${files.length} files)`, async (t) => {
    t.true(files.length > 10);
    for (const name of files) {
      const file = join(CORPUS, folder, name);
      const result = await keyholeInProcess([...args(file), '-t', 'static-e2ee', '-a', 'network', '-r', 'json', '-o', OUT, '--quiet']);
      t.is(result.status, 2, `${name}: ${result.stderr}`);
      t.true(result.stderr.includes(file), `${name} names the file: ${result.stderr}`);
      const path = expected[name]?.path;
      if (path) t.true(result.stderr.includes(`: ${path}:`), `${name} names ${path}: ${result.stderr}`);
      const message = expected[name]?.message;
      t.truthy(message, `${name} has an expected message in expected.json`);
      if (message) t.true(result.stderr.includes(message), `${name} says ${message}: ${result.stderr}`);
      const line = expected[name]?.line;
      if (line) t.true(result.stderr.includes(`line ${line})`), `${name} points at line ${line}: ${result.stderr}`);
      t.false(/\n\s+at .+:\d+:\d+/.test(result.stderr), `${name}: no stack trace`);
      t.false(/[\p{Cc}\p{Cf}]/u.test(result.stderr.replaceAll('\n', '')), `${name}: no control character but line ends: ${JSON.stringify(result.stderr)}`);
    }
  });
}

/* Attacks on the loader's budget: each refused before any run, in a heap capped at 1 GiB. */

/** Runs an audit of `file` as a child process with a 1 GiB heap; asserts exit 2, no report and no stack trace. */
function refusedInOneGiB(t: ExecutionContext, file: string): string {
  const out = mkdtempSync(join(tmpdir(), 'keyhole-attack-'));
  const result = keyhole(['audit', file, '-t', 'static-e2ee', '-a', 'network', '-r', 'json', '-o', out, '--quiet'], { maxHeapMiB: 1024 });
  t.is(result.status, 2, result.stderr.slice(0, 2000));
  t.false(existsSync(join(out, 'report.json')), 'refused before any run: no report');
  t.false(/\n\s+at .+:\d+:\d+/.test(result.stderr), 'no stack trace');
  return result.stderr;
}

function attackFile(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'keyhole-attack-')), name);
  writeFileSync(file, text);
  return file;
}

const TWO_USERS = 'users: { alice: [phone], bob: [phone] }\n';

test('200 steps of count 100000 (20,000,000 messages in a 10 KB file) are refused at the step over the message budget', (t) => {
  const file = join(CORPUS, 'scenarios', 'twenty-million-messages.yaml');
  t.true(statSync(file).size < 11_000);
  t.is(
    refusedInOneGiB(t, file),
    `keyhole: bad input\n  ${file}: steps[10].send.count: the scenario sends 1100000 messages by this step (each count included); at most 1000000 messages in a scenario (line 15:42)\n`,
  );
});

test('count 1000 with a 5 MB text (5 GB of message text) is refused at that step', (t) => {
  const text = 'x'.repeat(5 * 1024 * 1024);
  const file = attackFile('huge-text.yaml', `name: huge-text\n${TWO_USERS}steps:\n  - send: { from: alice, to: bob, count: 1000, text: "${text}" }\n`);
  t.is(
    refusedInOneGiB(t, file),
    `keyhole: bad input\n  ${file}: steps[0].send.text: the scenario sends 5242880000 bytes of message text by this step (each text in UTF-8 times its count); at most 67108864 bytes of text in a scenario (line 4:54)\n`,
  );
});

test('a 9 MB string anchored once and aliased 900 times is refused at the first alias, by its expanded size', (t) => {
  const big = 'y'.repeat(9_000_000);
  const sends = '  - send: { from: alice, to: bob, text: *big }\n'.repeat(900);
  const file = attackFile('aliased-text.yaml', `name: aliased-text\n${TWO_USERS}description: &big "${big}"\nsteps:\n${sends}`);
  t.is(
    refusedInOneGiB(t, file),
    `keyhole: bad input\n  ${file}: steps[0].send.text: YAML: with its aliases expanded, the document holds more than 16777216 characters by this node (each alias counts the size of what it refers to); at most 16777216 characters in a document (line 5:41)\n`,
  );
});

/* Values echoed from input: cut to a readable length, escaped. */

test.serial('a 100,000-character name is echoed cut to a readable length, not in full (twice)', async (t) => {
  const long = 'a'.repeat(100_000);
  const file = attackFile('long-names.yaml', `name: long-names\nusers: { alice: [phone], ${long}: [phone] }\nsteps:\n  - mark: x\n${long}: 1\n`);
  const result = await keyholeInProcess(['audit', file, '-t', 'static-e2ee', '-a', 'network', '-r', 'json', '-o', OUT, '--quiet']);
  t.is(result.status, 2, result.stderr.slice(0, 2000));
  const lines = result.stderr.trimEnd().split('\n');
  t.is(lines.length, 3, result.stderr.slice(0, 2000));
  const cut = `${'a'.repeat(100)}…`;
  t.true(lines[1]!.startsWith(`  ${file}: users.${cut}: invalid name '${cut}' (100000 characters): expected a user name`), lines[1]);
  t.true(lines[2]!.startsWith(`  ${file}: ${cut}: unknown key '${cut}' (100000 characters) (expected only: name,`), lines[2]);
  t.true(result.stderr.length < 1200, `${result.stderr.length} characters`);
});

test.serial('a 100,000-character adversary name is echoed cut', async (t) => {
  const long = 'b'.repeat(100_000);
  const file = attackFile('long-adversary.yaml', `name: long-adversary\nusers: { alice: [phone] }\nsteps:\n  - mark: x\nadversaries:\n  ${long}: {}\n`);
  const result = await keyholeInProcess(['audit', file, '-t', 'static-e2ee', '-a', 'network', '-r', 'json', '-o', OUT, '--quiet']);
  t.is(result.status, 2, result.stderr.slice(0, 2000));
  const cut = `${'b'.repeat(100)}…`;
  t.true(result.stderr.includes(`  ${file}: adversaries.${cut}: unknown adversary '${cut}' (100000 characters) (known: network,`), result.stderr.slice(0, 2000));
  t.true(result.stderr.length < 800, `${result.stderr.length} characters`);
});

/* Smaller holes, each as a user meets it. */

async function badInputLines(file: string, args: string[] = ['audit', file]): Promise<string[]> {
  const result = await keyholeInProcess([...args, '-t', 'static-e2ee', '-a', 'network', '-r', 'json', '-o', OUT, '--quiet']);
  if (result.status !== 2) throw new Error(`exit ${result.status}: ${result.stderr}`);
  return result.stderr.trimEnd().split('\n');
}

const scenarioFile = (name: string) => join(CORPUS, 'scenarios', name);

test.serial('user keys 1 and "1", which become one name, are bad input naming both', async (t) => {
  const file = scenarioFile('user-keys-collapse.yaml');
  t.deepEqual(await badInputLines(file), [
    'keyhole: bad input',
    `  ${file}: users.1: the keys '1' (line 3:9) and '"1"' both become the name '1'; expected different names (line 3:21)`,
  ]);
});

test.serial('user keys 0x1F and "31", which become one name, are bad input naming both', async (t) => {
  const file = scenarioFile('user-keys-collapse-hex.yaml');
  t.deepEqual(await badInputLines(file), [
    'keyhole: bad input',
    `  ${file}: users.31: the keys '0x1F' (line 5:3) and '"31"' both become the name '31'; expected different names (line 6:3)`,
  ]);
});

test.serial('parameters given to network, which takes none, are bad input with their path', async (t) => {
  const file = scenarioFile('params-for-network.yaml');
  t.deepEqual(await badInputLines(file), [
    'keyhole: bad input',
    `  ${file}: adversaries.network.foo: unknown key 'foo' (network takes no parameters) (line 7:14)`,
  ]);
});

test.serial('a parameter stolen-device does not take is bad input naming the ones it takes', async (t) => {
  const file = scenarioFile('unknown-param-key.yaml');
  t.deepEqual(await badInputLines(file), [
    'keyhole: bad input',
    `  ${file}: adversaries.stolen-device.when: unknown key 'when' (stolen-device takes only: device, at) (line 7:52)`,
  ]);
});

test.serial('escape sequences in a YAML key (retitle and clear the terminal) are printed escaped', async (t) => {
  const file = scenarioFile('terminal-escapes.yaml');
  t.deepEqual(await badInputLines(file), [
    'keyhole: bad input',
    `  ${file}: users["\\u001b]0;pwned\\u0007\\u001b[2J"]: invalid name '\\u001b]0;pwned\\u0007\\u001b[2J': expected a user name (non-empty, at most 64 characters, no dots, blanks or control characters) (line 4:3)`,
  ]);
});

test.serial('a line break in a YAML value cannot forge another problem line', async (t) => {
  const file = scenarioFile('forged-problem-line.yaml');
  const lines = await badInputLines(file);
  t.is(lines.length, 2, lines.join('\n'));
  t.true(lines[1]!.startsWith(`  ${file}: steps[0].send.to: expected a user or a group name`), lines[1]);
  t.true(lines[1]!.endsWith(", got 'bob\\n  forged.yaml: steps[9]: everything ...' (line 5:30)"), lines[1]);
});

test.serial('a policy with a wrong adversary says "expected an adversary name"', async (t) => {
  const file = join(CORPUS, 'policies', 'bad-adversary-type.yaml');
  t.deepEqual(await badInputLines(file, ['audit', '--policy', file]), [
    'keyhole: bad input',
    `  ${file}: expect[0].adversary: expected an adversary name, "*" for any, or a non-empty list of adversary names, got 3 (line 2:18)`,
  ]);
});

test('a list or mapping as a YAML key is bad input, and no library warning reaches stderr', (t) => {
  const cases = [
    ['users:\n  alice: [phone]\n  ? [bob, carol]\n  : [phone]\n', 'a list cannot be a key; expected a name (line 4:5)'],
    ['users: { alice: &devices [phone], [bob, carol]: *devices }\n', 'a list cannot be a key; expected a name (line 2:35)'],
    ['users:\n  alice: &devices [phone]\n  ? { bob: 1 }\n  : *devices\n', 'a mapping cannot be a key; expected a name (line 4:5)'],
  ];
  for (const [text, message] of cases) {
    const file = attackFile('list-as-key.yaml', `name: list-as-key\n${text}steps:\n  - mark: x\n`);
    const result = keyhole(['audit', file, '-t', 'static-e2ee', '-a', 'network', '-r', 'json', '-o', OUT, '--quiet']);
    t.is(result.status, 2);
    t.is(result.stderr, `keyhole: bad input\n  ${file}: users: ${message}\n`);
  }
});
