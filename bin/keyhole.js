#!/usr/bin/env node
// The `keyhole` command for projects that install keyhole as a dependency (`npx keyhole`).
// It runs the compiled JavaScript in dist/ (built by `npm run build`, which `prepare` runs on
// install), so that starting it transpiles nothing; without a build, or with sources newer
// than the build (a checkout being edited), it runs the TypeScript sources through ts-node.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = join(root, 'dist', 'BUILT');
const SOURCE_FOLDERS = ['core', 'harness', 'targets', 'attacks', 'reports', 'bench', 'app'];

/** Whether any source file changed after the build finished. */
function sourcesNewerThan(time) {
  const walk = (dir) =>
    readdirSync(dir, { withFileTypes: true }).some((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return walk(path);
      return entry.name.endsWith('.ts') && statSync(path).mtimeMs > time;
    });
  return SOURCE_FOLDERS.some((folder) => existsSync(join(root, folder)) && walk(join(root, folder)));
}

// An installed package (under node_modules) is never edited: its build is used as it is (file
// times there are those of the unpacking, which need not follow the build's).
const installed = root.split(/[\\/]/).includes('node_modules');
const compiled = existsSync(stamp) && (installed || !sourcesNewerThan(statSync(stamp).mtimeMs));
if (!compiled) await import('../register.js');
const { main } = await import(compiled ? '../dist/app/cli/main.js' : '../app/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
