/**
 * A reporter that renders the whole report to one file under `--out` at the end, written
 * through a temporary file renamed into place (`out-dir.ts`): never through a link.
 */
import { mkdir } from 'node:fs/promises';
import type { Report } from '../harness/report/types.ts';
import { writeReportFile } from './out-dir.ts';
import type { ReporterEntry } from './types.ts';

/** `signature`: text near the start of every file it renders, by which an earlier run's file is known. */
export function fileReporter(description: string, file: string, render: (report: Report) => string, signature: string): ReporterEntry {
  return {
    description,
    file,
    signature,
    create: ({ outDir }) => ({
      async onEnd(report) {
        await mkdir(outDir, { recursive: true });
        return writeReportFile(outDir, file, render(report));
      },
    }),
  };
}
