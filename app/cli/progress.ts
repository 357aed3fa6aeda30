/**
 * The live progress line of `keyhole audit`: `run 12/36: signal · stolen-phone · stolen-device`
 * on stderr, rewritten in place and cleared at the end. Only for a person at a terminal:
 * nothing when stdout or stderr is not a TTY, or with `--quiet`.
 */
import { printable } from '../../harness/printable.ts';
import type { RunReport } from '../../harness/report/types.ts';

export interface Progress {
  /** A run finished; `done` of `total` runs are finished now. */
  update(done: number, total: number, run: Pick<RunReport, 'target' | 'scenario' | 'adversary'>): void;
  /** Clears the line. */
  end(): void;
}

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const CLEAR_LINE = '\r\u001b[2K';

export function progressWanted(quiet: boolean | undefined, stdout: { isTTY?: boolean }, stderr: { isTTY?: boolean }): boolean {
  return quiet !== true && stdout.isTTY === true && stderr.isTTY === true;
}

export function createProgress(enabled: boolean, stream: ProgressStream): Progress {
  if (!enabled) return { update() {}, end() {} };
  let shown = false;
  return {
    update(done, total, run) {
      // Names from input files (a merged report's, a plugin's) are escaped: the line holds no control character but ours.
      let line = printable(`run ${done}/${total}: ${run.target} · ${run.scenario} · ${run.adversary}`);
      // A line wider than the terminal wraps, and the carriage return would rewrite only its end.
      const width = (stream.columns ?? 80) - 1;
      if (width > 1 && line.length > width) line = `${line.slice(0, width - 1)}…`;
      stream.write(`${CLEAR_LINE}${line}`);
      shown = true;
    },
    end() {
      if (shown) stream.write(CLEAR_LINE);
      shown = false;
    },
  };
}
