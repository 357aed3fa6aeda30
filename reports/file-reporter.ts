/** A reporter that renders the whole report to one file under `--out` at the end. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Report } from '../harness/report/types.ts';
import type { ReporterEntry } from './types.ts';

export function fileReporter(description: string, file: string, render: (report: Report) => string): ReporterEntry {
  return {
    description,
    file,
    create: ({ outDir }) => ({
      async onEnd(report) {
        await mkdir(outDir, { recursive: true });
        const path = join(outDir, file);
        await writeFile(path, render(report));
        return path;
      },
    }),
  };
}
