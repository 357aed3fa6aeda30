/**
 * The chosen reporters as one, each isolated from the others, as in Playwright's reporter
 * multiplexer: a reporter whose hook throws (or whose `onEnd` rejects) is recorded as failed
 * and gets no further calls (what it would still write could not be trusted), and every other
 * reporter still gets its calls and writes. The command says which reporter failed and ends
 * with the harness-failure status (SPEC §1, exit 3).
 */
import type { Report, RunReport } from '../harness/report/types.ts';
import { printable } from '../harness/printable.ts';
import type { Reporter } from './types.ts';

export interface NamedReporter {
  /** The name `--reporter` knows it by. */
  name: string;
  /** Makes the reporter (`ReporterEntry.create` with the command's options). */
  create(): Reporter;
}

export interface ReporterFailure {
  reporter: string;
  hook: 'create' | 'onRun' | 'onEnd';
  /** The error's message. */
  message: string;
}

export interface ReporterMultiplexer {
  /** Every working reporter's `onRun`, in order. */
  onRun(run: RunReport): void;
  /** Every working reporter's `onEnd`, one after the other; the paths the reporters wrote. */
  onEnd(report: Report): Promise<string[]>;
  /** The reporters that failed so far, in the order they failed. */
  readonly failures: readonly ReporterFailure[];
}

/** Makes every reporter at once; one whose `create` throws is a failure like any other. */
export function multiplexReporters(named: readonly NamedReporter[]): ReporterMultiplexer {
  const failures: ReporterFailure[] = [];
  let reporters: { name: string; reporter: Reporter }[] = [];
  const fail = (name: string, hook: ReporterFailure['hook'], error: unknown) => {
    failures.push({ reporter: name, hook, message: error instanceof Error ? error.message : String(error) });
  };
  for (const { name, create } of named) {
    try {
      reporters.push({ name, reporter: create() });
    } catch (error) {
      fail(name, 'create', error);
    }
  }
  const drop = (reporter: Reporter) => {
    reporters = reporters.filter((one) => one.reporter !== reporter);
  };
  return {
    failures,
    onRun(run) {
      for (const { name, reporter } of reporters) {
        try {
          reporter.onRun?.(run);
        } catch (error) {
          fail(name, 'onRun', error);
          drop(reporter);
        }
      }
    },
    async onEnd(report) {
      const written: string[] = [];
      for (const { name, reporter } of reporters) {
        try {
          const paths = await reporter.onEnd(report);
          if (paths) written.push(...(typeof paths === 'string' ? [paths] : paths));
        } catch (error) {
          fail(name, 'onEnd', error);
          drop(reporter);
        }
      }
      return written;
    },
  };
}

/** `reporter 'html' failed (onEnd): <message>`, printable on a terminal. */
export function describeReporterFailure(failure: ReporterFailure): string {
  return printable(`reporter '${failure.reporter}' failed (${failure.hook}): ${failure.message}`);
}
