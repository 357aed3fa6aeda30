#!/usr/bin/env node
// The `keyhole` command for projects that install keyhole as a dependency (`npx keyhole`).
import '../register.js';

const { main } = await import('../harness/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
