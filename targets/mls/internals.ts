/**
 * ts-mls functions the package exports only through its `./*.js` subpath pattern, which
 * ts-node's resolver does not understand: loaded from the package's own folder by file URL.
 *
 * - `unprotectPrivateMessage`: to open an application message and learn its authenticated
 *   sender leaf (ts-mls's `processPrivateMessage` returns the plaintext without the sender).
 * - `makeKeyPackageRef`: to find which KeyPackage a Welcome is for.
 * - its error classes (`MlsError` and subclasses): to tell what the library refuses from a crash.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

type MessageProtection = typeof import('ts-mls/messageProtection.js');
type KeyPackageModule = typeof import('ts-mls/keyPackage.js');
type ErrorModule = typeof import('ts-mls/mlsError.js');

const root = dirname(createRequire(import.meta.url).resolve('ts-mls'));

async function load<T>(file: string): Promise<T> {
  return (await import(pathToFileURL(join(root, file)).href)) as T;
}

let protection: Promise<MessageProtection> | null = null;
let keyPackage: Promise<KeyPackageModule> | null = null;
let errors: Promise<ErrorModule> | null = null;

export async function unprotectPrivateMessage(...args: Parameters<MessageProtection['unprotectPrivateMessage']>): ReturnType<MessageProtection['unprotectPrivateMessage']> {
  protection ??= load<MessageProtection>('messageProtection.js');
  return (await protection).unprotectPrivateMessage(...args);
}

export async function makeKeyPackageRef(...args: Parameters<KeyPackageModule['makeKeyPackageRef']>): ReturnType<KeyPackageModule['makeKeyPackageRef']> {
  keyPackage ??= load<KeyPackageModule>('keyPackage.js');
  return (await keyPackage).makeKeyPackageRef(...args);
}

export async function libraryErrors(): Promise<ErrorModule> {
  errors ??= load<ErrorModule>('mlsError.js');
  return errors;
}
