/**
 * Only what runs is loaded: listing the catalogue, printing help or the version, and auditing
 * the harness's own reference design load neither libsignal's native module nor ts-mls nor any
 * WebAssembly (each target's module is imported when a run needs that design).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { targets, loadTarget } from '../targets/registry.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WATCH = fileURLToPath(new URL('./helpers/load-watch.js', import.meta.url));

/** What the command loaded of the watched libraries, WebAssembly and native modules. */
function loadedBy(args: string[]): { status: number | null; loaded: string[] } {
  const folder = mkdtempSync(join(tmpdir(), 'keyhole-start-up-'));
  const log = join(folder, 'loaded.txt');
  writeFileSync(log, '');
  try {
    const result = spawnSync(process.execPath, ['--import', `${ROOT}register.js`, '--import', WATCH, `${ROOT}app/cli/main.ts`, ...args], {
      cwd: folder,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', KEYHOLE_LOAD_LOG: log },
      timeout: 300_000,
    });
    return { status: result.status, loaded: readFileSync(log, 'utf8').split('\n').filter((line) => line.length > 0) };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

for (const args of [['list'], ['list', '--json'], ['--help'], ['--version']]) {
  test(`keyhole ${args.join(' ')} loads no library target, WebAssembly or native module`, (t) => {
    const { status, loaded } = loadedBy(args);
    t.is(status, 0);
    t.deepEqual(loaded, []);
  });
}

test('an audit of signal loads neither libsignal nor ts-mls nor a native module', (t) => {
  const { status, loaded } = loadedBy(['audit', '-t', 'signal', '-a', 'network', '--quiet', '-r', 'json', '-o', 'out', `${ROOT}attacks/scenarios/stolen-phone.yaml`]);
  t.not(status, null);
  t.deepEqual(loaded.filter((line) => /libsignal|ts-mls|^native/.test(line)), []);
});

test("the registry's descriptions are the designs' own", async (t) => {
  for (const [name, entry] of Object.entries(targets)) {
    const design = await loadTarget(name)!;
    t.is(design.name, name);
    t.is(entry.description, design.description, name);
  }
});
