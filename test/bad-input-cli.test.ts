/**
 * The whole bad-input corpus through the real command line (in process): every file exits 2
 * with a message naming the file and the place inside it, and never a stack trace.
 */
import test from 'ava';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../harness/cli/main.ts';

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
  const expected = JSON.parse(readFileSync(join(CORPUS, folder, 'expected.json'), 'utf8')) as Record<string, { path: string }>;
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
      t.false(/\n\s+at .+:\d+:\d+/.test(result.stderr), `${name}: no stack trace`);
    }
  });
}
