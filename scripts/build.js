// `npm run build` (and `prepare`, so every install has it): compiles the sources to dist/ with
// tsc and stamps the build, so that bin/keyhole.js starts without transpiling anything.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
writeFileSync(new URL('../dist/BUILT', import.meta.url), `${new Date().toISOString()}\n`);
