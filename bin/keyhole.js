#!/usr/bin/env node
// The `keyhole` command for projects that install keyhole as a dependency (`npx keyhole`).
import '../register.js';

await import('../harness/cli/main.ts');
