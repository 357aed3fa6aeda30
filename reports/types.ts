/**
 * A reporter renders the report tree. File reporters write one file under `--out` at the
 * end; terminal reporters print. Hooks are optional, as in test runners' reporters.
 */
import type { Report, RunReport } from '../harness/report/types.ts';

export interface ReporterOptions {
  /** The `--out` folder. */
  outDir: string;
  /** Where terminal reporters print. */
  stdout: NodeJS.WritableStream;
  color: boolean;
}

export interface Reporter {
  onRun?(run: RunReport): void;
  /** Render the finished report; returns the path of a written file, if any. */
  onEnd(report: Report): Promise<string | null>;
}

export interface ReporterEntry {
  description: string;
  /** The file it writes under `--out`, if it writes one. */
  file: string | null;
  /**
   * Text every file it writes holds in its first `SIGNATURE_PROBE_BYTES` bytes: a file of
   * that name holding it is a report of an earlier run (removed when this run does not write it).
   */
  signature?: string;
  create(options: ReporterOptions): Reporter;
}
