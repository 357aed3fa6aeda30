/**
 * Reading an input file with bounds: a regular file only (never a named pipe or a device), a
 * known extension, no more bytes than the kind allows whatever the file claims, text only
 * (no NUL byte, valid UTF-8).
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { extname } from 'node:path';

import { InputError } from '../errors.ts';
import { withArticle } from '../wording.ts';
import type { InputKind } from './types.ts';

/**
 * Flags for opening an input file: read only; a named pipe opens at once instead of waiting
 * for a writer (it is then refused), and a terminal does not become the controlling one.
 * Windows has neither flag (and no such files).
 */
const OPEN_FOR_READING = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/**
 * Reads an input file's text after checking what the path is. Throws `InputError`.
 *
 * The path is checked before it is opened (a FIFO or a device is never opened) and the open
 * file again (the path may have changed in between); at most `kind.maxBytes` are read, so
 * a file that grows while it is read is refused as too large rather than read on.
 */
export function readInputFile(path: string, kind: InputKind): string {
  const fail = (message: string): never => {
    throw new InputError({ file: path, path: '', message });
  };
  const tooLarge = (size: string): never => fail(`is too large (${size} bytes; at most ${kind.maxBytes}${kind.maxBytesNote ? `, ${kind.maxBytesNote}` : ''})`);
  const checkStats = (stats: Stats) => {
    if (stats.isDirectory()) fail(`is a folder; expected ${withArticle(kind.what)} file${kind.extensions ? ` (${kind.extensions.join(', ')})` : ''}`);
    if (!stats.isFile()) fail(`is not a regular file (${fileType(stats)}); expected ${withArticle(kind.what)} file`);
    if (stats.size > kind.maxBytes) tooLarge(String(stats.size));
  };
  try {
    checkStats(statSync(path));
  } catch (error) {
    if (error instanceof InputError) throw error;
    return fail(describeFsError(error, kind));
  }
  if (kind.extensions && !hasExtension(path, kind)) fail(`expected ${withArticle(kind.what)} file ending in ${kind.extensions.join(', ')}`);
  let bytes: Buffer;
  let fd: number | undefined;
  try {
    fd = openSync(path, OPEN_FOR_READING);
    const stats = fstatSync(fd);
    checkStats(stats);
    bytes = readAtMost(fd, stats.size, kind.maxBytes);
  } catch (error) {
    if (error instanceof InputError) throw error;
    return fail(describeFsError(error, kind));
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (bytes.length > kind.maxBytes) tooLarge(`more than ${kind.maxBytes}`);
  return decodeText(bytes, path);
}

/** What a file that is not a regular one is, for the message refusing it. */
function fileType(stats: Stats): string {
  if (stats.isFIFO()) return 'a named pipe';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'not a file';
}

/** The bytes of an open file, up to `max + 1` of them (one more than allowed says it is too large). */
function readAtMost(fd: number, expectedSize: number, max: number): Buffer {
  let buffer = Buffer.allocUnsafe(Math.min(expectedSize, max) + 1);
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      if (length > max) break;
      const grown = Buffer.allocUnsafe(Math.min(buffer.length * 2, max + 1));
      buffer.copy(grown, 0, 0, length);
      buffer = grown;
    }
    const read = readSync(fd, buffer, length, buffer.length - length, null);
    if (read === 0) break;
    length += read;
  }
  return buffer.subarray(0, length);
}

/** Whether a file name ends in one of `kind.extensions` (in any case). */
export function hasExtension(path: string, kind: Pick<InputKind, 'extensions'>): boolean {
  return kind.extensions?.includes(extname(path).toLowerCase()) ?? true;
}

/** A file system error (from stat, read or readdir) as the rest of a problem's message. */
export function describeFsError(error: unknown, kind: Pick<InputKind, 'what'>): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'cannot read: no such file or folder';
    case 'EACCES':
    case 'EPERM':
      return 'cannot read: permission denied';
    case 'EISDIR':
      return `is a folder; expected ${withArticle(kind.what)} file`;
    case 'ENOTDIR':
      return 'cannot read: a part of the path is not a folder';
    default:
      return `cannot read: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function decodeText(bytes: Buffer, file: string): string {
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new InputError({ file, path: '', message: `not a text file (a NUL byte at offset ${nul}); expected YAML or JSON text` });
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InputError({ file, path: '', message: 'not a text file (not valid UTF-8); expected YAML or JSON text' });
  }
}
