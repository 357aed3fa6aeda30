/** Run the real `keyhole` command line in a child process, as a user would. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `env`: variables to set (or, as undefined, to remove) on top of this process's. */
export function keyhole(args: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}): CliResult {
  const result = spawnSync(process.execPath, ['--import', `${ROOT}register.js`, `${ROOT}harness/cli/main.ts`, ...args], {
    cwd: options.cwd ?? ROOT,
    encoding: 'utf8',
    env: withoutUndefined({ ...process.env, NO_COLOR: '1', ...options.env }),
    timeout: 600_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function withoutUndefined(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
