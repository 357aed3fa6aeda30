/**
 * `keyhole bench` loads a design only when a row of it runs: a run of primitive rows alone
 * imports no design module (through targets/registry.ts, nothing else), and none of the
 * libraries under them (libsignal's native module, ts-mls, sql.js, any WebAssembly).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const helper = (name: string) => fileURLToPath(new URL(`./helpers/${name}`, import.meta.url));

/**
 * What of targets/ may load without a design: the registry, the shared encodings the
 * primitive rows use, and the Matrix identifiers an adversary of the catalogue imports.
 */
const NOT_A_DESIGN = /^(registry\.ts|shared\/[^/]+\.ts|matrix\/ids\.ts)$/;

test('keyhole bench --quick on aead rows alone loads no design, no library target, no WebAssembly', (t) => {
  const folder = mkdtempSync(join(tmpdir(), 'keyhole-bench-loading-'));
  const targetLog = join(folder, 'targets.txt');
  const loadLog = join(folder, 'loaded.txt');
  writeFileSync(targetLog, '');
  writeFileSync(loadLog, '');
  try {
    // After register.js, so that the hooks see the imports ts-node resolves for TypeScript files.
    const result = spawnSync(
      process.execPath,
      ['--import', `${ROOT}register.js`, '--import', helper('load-watch.js'), '--import', helper('target-watch.js'), `${ROOT}app/cli/main.ts`, 'bench', '--quick', '--filter', '^chacha20-poly1305 encrypt 64B$', '--json', join(folder, 'bench.json')],
      { cwd: folder, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', KEYHOLE_LOAD_LOG: loadLog, KEYHOLE_TARGET_LOG: targetLog }, timeout: 110_000 },
    );
    t.is(result.status, 0, result.stderr);
    const rows = (JSON.parse(readFileSync(join(folder, 'bench.json'), 'utf8')) as { results: { group: string; task: string }[] }).results;
    t.true(rows.length > 0 && rows.every((r) => r.group === 'aead' && r.task === 'chacha20-poly1305 encrypt 64B'));
    const targets = [...new Set(readFileSync(targetLog, 'utf8').split('\n').filter((line) => line.length > 0))];
    t.true(targets.includes('registry.ts'), 'the watch sees the project modules');
    t.deepEqual(targets.filter((path) => !NOT_A_DESIGN.test(path)), []);
    // libsodium (sodium-native) is the aead rows' own reference, not a target's library.
    const loaded = readFileSync(loadLog, 'utf8').split('\n').filter((line) => line.length > 0 && !/\/sodium-native\//.test(line));
    t.deepEqual(loaded, []);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
