/** Run the real `keyhole` command line in a child process, as a user would. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  /** Caps the child's JavaScript heap, in MiB: a run that needs more dies (exit 134) instead of passing. */
  maxHeapMiB?: number;
}

export function keyhole(args: string[], options: CliOptions = {}): CliResult {
  const heap = options.maxHeapMiB === undefined ? [] : [`--max-old-space-size=${options.maxHeapMiB}`];
  const result = spawnSync(process.execPath, [...heap, '--import', `${ROOT}register.js`, `${ROOT}harness/cli/main.ts`, ...args], {
    cwd: options.cwd ?? ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 600_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
