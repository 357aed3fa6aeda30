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
import { main } from '../harness/cli/main.ts';
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
