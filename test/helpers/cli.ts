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
  /** Variables to set (or, as undefined, to remove) on top of this process's. */
  env?: Record<string, string | undefined>;
  /** Run as this user and group (the caller must be root). */
  user?: { uid: number; gid: number };
  /** The most the child's JavaScript heap may take, in MiB: input that would take more crashes it (exit 134). */
  maxHeapMiB?: number;
  /** A child that hangs is killed after this long (status null). */
  timeoutMs?: number;
}

export function keyhole(args: string[], options: CliOptions = {}): CliResult {
  const heap = options.maxHeapMiB === undefined ? [] : [`--max-old-space-size=${options.maxHeapMiB}`];
  const result = spawnSync(process.execPath, [...heap, '--import', `${ROOT}register.js`, `${ROOT}app/cli/main.ts`, ...args], {
    cwd: options.cwd ?? ROOT,
    encoding: 'utf8',
    env: withoutUndefined({ ...process.env, NO_COLOR: '1', ...options.env }),
    timeout: options.timeoutMs ?? 600_000,
    ...(options.user ?? {}),
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function withoutUndefined(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
