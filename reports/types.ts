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
  /** Where the audit's scenarios were read from, by scenario name (those read from files). */
  scenarioSources?: ReadonlyMap<string, ScenarioSource>;
}

/** Where a scenario is written, for reporters that point at its steps (`github`). */
export interface ScenarioSource {
  /** The scenario file, as the audit was given it. */
  file: string;
  /** The 1-based line of each step in it, by step index; null where not known. */
  stepLines: readonly (number | null)[];
}

/** What `onEnd` returns: the path of the written file, of each written file, or null. */
export type Written = string | readonly string[] | null;

export interface Reporter<W extends Written = Written> {
  onRun?(run: RunReport): void;
  /** Render the finished report; returns the path of each written file, if any. */
  onEnd(report: Report): Promise<W>;
}

/** A file a reporter writes under `--out`. */
export interface ReportFile {
  name: string;
  /**
   * Text every copy of the file holds in its first `SIGNATURE_PROBE_BYTES` bytes: a file of
   * that name holding it is a report of an earlier run (removed when this run does not write it).
   */
  signature: string;
}

export interface ReporterEntry<W extends Written = Written> {
  description: string;
  /** The files it writes under `--out`, in order (none for a terminal reporter). */
  files: readonly ReportFile[];
  create(options: ReporterOptions): Reporter<W>;
}
