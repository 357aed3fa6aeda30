/**
 * The `--out` folder as an attacker (or a mistake) may prepare it: keyhole checks it before
 * the first run (exit 2 with the path), never writes a report through a link, writes
 * nothing when a report's place is taken, and leaves no report of another run beside its own.
 */
import test from 'ava';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import type { Report } from '../harness/report/types.ts';
import { keyhole, type CliOptions, type CliResult } from './helpers/cli.ts';

const AUDIT = ['audit', '-t', 'static-e2ee', '-a', 'network', 'attacks/scenarios/stolen-phone.yaml'];
const ALL_FILES = ['index.html', 'junit.xml', 'report-summary.md', 'report.json', 'report.md', 'report.sarif'];
/** A refusal must come at once (a hang is killed). */
const PROMPT = { timeoutMs: 60_000 };
/** The user the unwritable-folder case runs as when the tests run as root (root may write anywhere). */
const NOBODY = { uid: 65534, gid: 65534 };

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'keyhole-out-'));
}

function audit(out: string, flags: string[] = ['-r', 'json'], options: CliOptions = {}): CliResult {
  return keyhole([...AUDIT, '-o', out, ...flags], options);
}

/** Exit 2 with the path and what is wrong, no stack trace, and no run reported (`-r list` prints after the runs). */
function assertRefusedBeforeRuns(t: import('ava').ExecutionContext, result: CliResult, line: string): void {
  t.is(result.status, 2, result.stderr);
  t.true(result.stderr.includes(line), result.stderr);
  t.notRegex(result.stderr, /\n\s+at .+:\d+:\d+|internal error/);
  t.is(result.stdout, '', 'nothing ran');
}

test('a symlinked report.json is not followed', (t) => {
  const dir = tempDir();
  const out = join(dir, 'out');
  mkdirSync(out);
  const target = join(dir, 'precious.txt');
  writeFileSync(target, 'not a report\n');
  symlinkSync(target, join(out, 'report.json'));
  const result = audit(out, ['-r', 'json,md', '--quiet']);
  t.is(result.status, 0, result.stderr);
  t.is(readFileSync(target, 'utf8'), 'not a report\n', 'the link target is untouched');
  t.false(lstatSync(join(out, 'report.json')).isSymbolicLink(), 'the link is replaced by the report');
  t.is((JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report).schema, 'keyhole-report/1');
  t.deepEqual(readdirSync(out).sort(), ['report-summary.md', 'report.json', 'report.md'], 'no temporary file is left');
});

test('-o naming an existing file is refused before any run', (t) => {
  const file = join(tempDir(), 'notes.txt');
  writeFileSync(file, 'mine\n');
  assertRefusedBeforeRuns(t, audit(file, ['-r', 'list,json'], PROMPT), `${file}: is a file, not a folder; expected a folder for the report files (-o, --out)`);
  t.is(readFileSync(file, 'utf8'), 'mine\n');
});

test("-o '' is refused before any run", (t) => {
  assertRefusedBeforeRuns(t, audit('', ['-r', 'list,json'], PROMPT), "<command line>: --out: expected a folder for the report files, got ''");
});

test('-o naming a dangling link is refused before any run', (t) => {
  const link = join(tempDir(), 'out');
  symlinkSync('/nonexistent/keyhole-out', link);
  assertRefusedBeforeRuns(t, audit(link, ['-r', 'list,json'], PROMPT), `${link}: is a link to nothing (/nonexistent/keyhole-out); expected a folder`);
});

test('-o naming a link to a folder is refused: reports are not written through it', (t) => {
  const dir = tempDir();
  const elsewhere = join(dir, 'elsewhere');
  mkdirSync(elsewhere);
  writeFileSync(join(elsewhere, 'index.html'), '<h1>a site</h1>\n');
  const link = join(dir, 'keyhole-report');
  symlinkSync(elsewhere, link);
  assertRefusedBeforeRuns(t, audit(link, ['-r', 'list,html'], PROMPT), `${link}: is a link (to ${elsewhere}, a folder); expected the folder itself: report files are never written through a link`);
  t.deepEqual(readdirSync(elsewhere), ['index.html']);
  t.is(readFileSync(join(elsewhere, 'index.html'), 'utf8'), '<h1>a site</h1>\n');
});

test('-o / is refused before any run', (t) => {
  assertRefusedBeforeRuns(t, audit('/', ['-r', 'list,json'], PROMPT), '/: is the root of a file system; expected a folder of its own for the report files');
  t.throws(() => lstatSync('/report.json'), undefined, 'nothing written at the root');
});

test('-o naming a folder this user cannot write is refused before any run', (t) => {
  const dir = tempDir();
  const out = join(dir, 'read-only');
  mkdirSync(out);
  chmodSync(out, 0o555);
  // Root writes anywhere: as root, the command runs as an ordinary user.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chmodSync(dir, 0o755);
  // The ordinary user must reach keyhole's own files: let it through any folder above them
  // that only their owner may enter (a checkout in a private temporary folder), then restore.
  const opened = asRoot ? openAncestorsToOthers(fileURLToPath(new URL('..', import.meta.url))) : [];
  let result;
  try {
    result = audit(out, ['-r', 'list,json'], { ...PROMPT, ...(asRoot ? { user: NOBODY } : {}) });
  } finally {
    for (const [path, mode] of opened) chmodSync(path, mode);
  }
  assertRefusedBeforeRuns(t, result, `${out}: cannot write into the folder: permission denied; expected a folder for the report files`);
  t.deepEqual(readdirSync(out), []);
});

test('a folder where index.html goes: nothing is written, not half the reports', (t) => {
  const out = tempDir();
  t.is(audit(out, ['-r', 'json', '--seed', '2', '--quiet']).status, 0);
  const before = readFileSync(join(out, 'report.json'), 'utf8');
  mkdirSync(join(out, 'index.html'));
  const result = audit(out, ['-r', 'list,json,md,html', '--seed', '3'], PROMPT);
  assertRefusedBeforeRuns(t, result, `${join(out, 'index.html')}: is a folder where the report file index.html goes`);
  t.is(readFileSync(join(out, 'report.json'), 'utf8'), before, 'report.json of the earlier run is not rewritten');
  t.deepEqual(readdirSync(out).sort(), ['index.html', 'report.json']);
});

test('reports of an earlier run that this run does not write are removed', (t) => {
  const out = tempDir();
  t.is(audit(out, ['-r', 'json,md,html,junit,sarif', '--seed', '2', '--quiet']).status, 0);
  t.deepEqual(readdirSync(out).sort(), ALL_FILES);
  writeFileSync(join(out, 'notes.md'), 'my notes\n');
  const result = audit(out, ['-r', 'json', '--seed', '3']);
  t.is(result.status, 0, result.stderr);
  t.deepEqual(readdirSync(out).sort(), ['notes.md', 'report.json'], 'only this run’s report, and what is not a report');
  t.is((JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report).seed, 3);
  t.regex(result.stdout, /removed the reports of an earlier run that this run does not write: .*report\.md.*report-summary\.md.*index\.html.*junit\.xml.*report\.sarif/);
});

test('a file with a report’s name that keyhole did not write is never removed', (t) => {
  const out = tempDir();
  writeFileSync(join(out, 'index.html'), '<h1>my project</h1>\n');
  writeFileSync(join(out, 'report.md'), '# my report\n');
  t.is(audit(out, ['-r', 'json', '--quiet']).status, 0);
  t.is(readFileSync(join(out, 'index.html'), 'utf8'), '<h1>my project</h1>\n');
  t.is(readFileSync(join(out, 'report.md'), 'utf8'), '# my report\n');
});

test('merge checks -o as audit does, before writing anything', (t) => {
  const dir = tempDir();
  const shard = join(dir, 'shard');
  t.true([0, 1].includes(audit(shard, ['-r', 'json', '--shard', '1/1', '--quiet']).status!));
  const file = join(dir, 'taken');
  writeFileSync(file, 'mine\n');
  const result = keyhole(['merge', join(shard, 'report.json'), '-o', file, '-r', 'list,json'], PROMPT);
  assertRefusedBeforeRuns(t, result, `${file}: is a file, not a folder`);
});

/** Adds search permission for others to every folder from `path` up that lacks it; returns what to restore. */
function openAncestorsToOthers(path: string): [string, number][] {
  const changed: [string, number][] = [];
  for (let dir = path; ; dir = dirname(dir)) {
    const mode = statSync(dir).mode & 0o7777;
    if ((mode & 0o005) !== 0o005) {
      chmodSync(dir, mode | 0o005);
      changed.push([dir, mode]);
    }
    if (dirname(dir) === dir) return changed;
  }
}
