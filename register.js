// Loads the TypeScript sources directly through ts-node's ESM loader, transpile only
// (`tsc --noEmit` does the type checking), so keyhole never needs a build step.
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';

process.env.TS_NODE_TRANSPILE_ONLY ??= 'true';
process.env.TS_NODE_PROJECT ??= fileURLToPath(new URL('./tsconfig.json', import.meta.url));
register('ts-node/esm', import.meta.url);
