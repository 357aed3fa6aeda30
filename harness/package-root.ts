/**
 * Where keyhole's own files are, whether it runs from its TypeScript sources or from the
 * compiled JavaScript in `dist/` (see `npm run build`): the nearest folder above this module
 * holding package.json. Files that are not code (the built-in scenarios, package.json) are
 * found from here, and code that starts more code (worker threads, the CLI) names the same
 * kind of file it runs from.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/** The package folder (holding package.json, attacks/scenarios, register.js). */
export const PACKAGE_ROOT: string = findRoot(dirname(fileURLToPath(import.meta.url)));

/** True when this code runs compiled (from `dist/`), false when it runs from its sources through ts-node. */
export const COMPILED: boolean = import.meta.url.endsWith('.js');

/** The folder the code runs from: the package folder, or its `dist/` when compiled. */
export const CODE_ROOT: string = COMPILED ? join(PACKAGE_ROOT, 'dist') : PACKAGE_ROOT;

/**
 * A module of keyhole's code named by its source path (`app/worker.ts`), as the file that
 * runs: the source itself, or its compiled `.js` in `dist/`.
 */
export function codeUrl(sourcePath: string): URL {
  return pathToFileURL(join(CODE_ROOT, COMPILED ? sourcePath.replace(/\.ts$/, '.js') : sourcePath));
}

/** The node arguments a new thread or process needs to run keyhole's code: ts-node's loader for the sources, nothing when compiled. */
export const CODE_EXEC_ARGV: readonly string[] = COMPILED ? [] : ['--import', pathToFileURL(join(PACKAGE_ROOT, 'register.js')).href];
