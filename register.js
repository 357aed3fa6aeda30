// Loads the TypeScript sources directly through ts-node's ESM loader, transpile only
// (`tsc --noEmit` does the type checking), so keyhole never needs a build step. Where swc is
// installed (a development checkout: it is a dev dependency), ts-node transpiles with it,
// which is many times faster than TypeScript's own transpiler at start-up.
import { createRequire, register } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Whether swc can be loaded from here. */
function hasSwc() {
  try {
    createRequire(import.meta.url).resolve('@swc/core');
    return true;
  } catch {
    return false;
  }
}

process.env.TS_NODE_TRANSPILE_ONLY ??= 'true';
// tsconfig.swc.json is tsconfig.json with ts-node's `swc` option.
process.env.TS_NODE_PROJECT ??= fileURLToPath(new URL(hasSwc() ? './tsconfig.swc.json' : './tsconfig.json', import.meta.url));
register('ts-node/esm', import.meta.url);
