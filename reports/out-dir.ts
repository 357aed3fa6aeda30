/**
 * The `--out` folder of the report files.
 *
 * - `prepareOutDir(out, chosen, all)`, before the first run: the folder must be one keyhole
 *   may write into (not '', not the root of a file system, not a file, not a link, writable;
 *   created when missing), and no report file's place in it may be taken by a folder. Every
 *   problem is an `InputError` (exit 2) naming the path, before anything runs.
 * - `writeReportFile(dir, name, text)`: writes a temporary file in the folder (created
 *   afresh, never opened through an existing name) and renames it into place, so a link at
 *   the report's name is replaced, never followed, and a reader never sees half a file.
 * - `OutDir.removeStale(written)`, after the reports are written: removes the report files of
 *   an earlier run that this run did not write (fewer reporters, or one that failed), so that no report of another
 *   run stays beside this run's as if it were one of them. Only a regular file that is one of
 *   keyhole's own (its reporter's `signature` near its start) is removed.
 */
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, mkdtempSync, openSync, readlinkSync, readSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, join, parse, resolve } from 'node:path';

import { InputError } from '../harness/errors.ts';
import type { ReporterEntry } from './types.ts';

/** How far into a file its reporter's signature is looked for. */
export const SIGNATURE_PROBE_BYTES = 4096;
/** Temporary names tried for one report file before giving up (leftovers of crashed runs). */
const TEMPORARY_NAME_ATTEMPTS = 100;

/** The `--out` folder of a run that writes report files, once `prepareOutDir` has checked it. */
export interface OutDir {
  /** Checks again, just before the first report is written, that no report's place is taken by a folder. */
  checkPlaces(): void;
  /**
   * Removes the report files of an earlier run that this run did not write (`written`: the
   * paths it did write; when `someFailed`, a chosen reporter's old file that it did not write
   * again goes too). Their paths.
   */
  removeStale(written: readonly string[], someFailed?: boolean): string[];
}

/**
 * Checks (and creates, when missing) the folder the `chosen` reporters write into; null
 * when none of them writes a file (the folder is then left alone). `all`: every reporter,
 * whose files of an earlier run `removeStale` removes. Throws `InputError`.
 */
export function prepareOutDir(out: string, chosen: readonly ReporterEntry[], all: readonly ReporterEntry[]): OutDir | null {
  const files = chosen.flatMap((entry) => entry.files.map((file) => file.name));
  if (files.length === 0) return null;
  checkFolder(out);
  const places = () => checkPlaces(out, chosen);
  places();
  checkWritable(out);
  const known = all.flatMap((entry) => entry.files);
  return {
    checkPlaces: places,
    removeStale: (written, someFailed = false) => {
      const writtenNames = new Set(written.map((path) => basename(path)));
      const stale = known.filter((file) => !writtenNames.has(file.name) && (someFailed || !files.includes(file.name)));
      return stale.flatMap((file) => (removeIfOwn(join(out, file.name), file.signature) ? [join(out, file.name)] : []));
    },
  };
}

function fail(file: string, message: string): never {
  throw new InputError({ file, path: '', message });
}

/** The folder itself: there (or made), a folder, not a link, not a root. */
function checkFolder(out: string): void {
  if (out.trim() === '') {
    throw new InputError({ file: '<command line>', path: '--out', message: `expected a folder for the report files, got '${out}'` });
  }
  const absolute = resolve(out);
  if (parse(absolute).root === absolute) {
    fail(out, 'is the root of a file system; expected a folder of its own for the report files (-o, --out)');
  }
  let stats;
  try {
    stats = lstatSync(out);
  } catch (error) {
    if (code(error) !== 'ENOENT') fail(out, `cannot look at the folder for the report files: ${reason(error)}`);
    try {
      mkdirSync(out, { recursive: true });
    } catch (made) {
      fail(out, `cannot create the folder for the report files: ${reason(made)}`);
    }
    return;
  }
  if (stats.isSymbolicLink()) {
    const target = readlinkQuietly(out);
    let points: string;
    try {
      points = statSync(out).isDirectory() ? 'a folder' : 'something that is not a folder';
    } catch {
      fail(out, `is a link to nothing (${target}); expected a folder for the report files (-o, --out)`);
    }
    fail(out, `is a link (to ${target}, ${points}); expected the folder itself: report files are never written through a link (-o, --out)`);
  }
  if (!stats.isDirectory()) fail(out, 'is a file, not a folder; expected a folder for the report files (-o, --out)');
}

/** No report file's place in the folder is taken by a folder (a file or a link there is replaced). */
function checkPlaces(out: string, chosen: readonly ReporterEntry[]): void {
  for (const file of chosen.flatMap((entry) => entry.files)) {
    const place = join(out, file.name);
    let stats;
    try {
      stats = lstatSync(place);
    } catch (error) {
      if (code(error) === 'ENOENT') continue;
      fail(place, `cannot look at the place of a report file: ${reason(error)}`);
    }
    if (stats.isDirectory()) fail(place, `is a folder where the report file ${file.name} goes; expected a file or nothing there (remove it, or choose another --out)`);
  }
}

/**
 * Makes and removes an entry in the folder (a fresh, uniquely named one): the one test of
 * being able to write there that every file system and user agrees with (root passes any
 * permission check, a read-only mount none).
 */
function checkWritable(out: string): void {
  try {
    rmdirSync(mkdtempSync(join(out, '.keyhole-write-test-')));
  } catch (error) {
    fail(out, `cannot write into the folder: ${reason(error)}; expected a folder for the report files (-o, --out)`);
  }
}

/**
 * Writes `text` as `name` in `dir`: into a temporary file created there (exclusively: an
 * existing file or link of that name is never opened), then renamed over `name`. Returns
 * the report's path. A rename replaces a link at `name` without touching what it points to.
 */
export async function writeReportFile(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, name);
  for (let attempt = 0; attempt < TEMPORARY_NAME_ATTEMPTS; attempt++) {
    const temporary = join(dir, `.${name}.${process.pid}-${attempt}.tmp`);
    let handle;
    try {
      handle = await open(temporary, 'wx');
    } catch (error) {
      if (code(error) === 'EEXIST') continue;
      return fail(path, `cannot write: ${reason(error)}`);
    }
    try {
      try {
        await handle.writeFile(text);
      } finally {
        await handle.close();
      }
      await rename(temporary, path);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      return fail(path, `cannot write: ${reason(error)}`);
    }
    return path;
  }
  return fail(path, `cannot write: ${TEMPORARY_NAME_ATTEMPTS} temporary names beside it are taken (.${name}.${process.pid}-*.tmp)`);
}

/** Removes `path` when it is a regular file holding `signature` near its start; whether it did. */
function removeIfOwn(path: string, signature: string): boolean {
  let fd: number | undefined;
  try {
    if (!lstatSync(path).isFile()) return false;
    // Opened without waiting on a named pipe that took the file's place since.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0));
    if (!fstatSync(fd).isFile()) return false;
    const head = Buffer.alloc(SIGNATURE_PROBE_BYTES);
    const read = readSync(fd, head, 0, head.length, 0);
    if (!head.subarray(0, read).toString('utf8').includes(signature)) return false;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  unlinkSync(path);
  return true;
}

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function readlinkQuietly(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '?';
  }
}

/** Why a file system call on the folder (or a path in it) failed, for the end of a message. */
function reason(error: unknown): string {
  switch (code(error)) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'a read-only file system';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EEXIST':
      return 'a part of the path is a link to nothing';
    case 'ELOOP':
      return 'too many links in the path';
    case 'ENAMETOOLONG':
      return 'the name is too long';
    case 'EISDIR':
      return 'a folder is in the way';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
