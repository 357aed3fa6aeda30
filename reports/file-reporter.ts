/**
 * Reporters that render the whole report to files under `--out` at the end, each written
 * through a temporary file renamed into place (`out-dir.ts`): never through a link.
 */
import { mkdir } from 'node:fs/promises';
import type { Report } from '../harness/report/types.ts';
import { writeReportFile } from './out-dir.ts';
import type { ReporterEntry } from './types.ts';

/** One rendered file: its name, its render, and the text near its start by which an earlier run's copy is known. */
export interface RenderedFile {
  name: string;
  render: (report: Report) => string;
  signature: string;
}

/** A reporter that writes one file. */
export function fileReporter(description: string, file: string, render: (report: Report) => string, signature: string): ReporterEntry<string> {
  const written = filesReporter(description, [{ name: file, render, signature }]);
  return {
    ...written,
    create: (options) => {
      const reporter = written.create(options);
      return { onEnd: async (report) => (await reporter.onEnd(report))[0]! };
    },
  };
}

/** A reporter that writes several files, each from its own render, in order. */
export function filesReporter(description: string, files: readonly RenderedFile[]): ReporterEntry<string[]> {
  return {
    description,
    files: files.map(({ name, signature }) => ({ name, signature })),
    create: ({ outDir }) => ({
      async onEnd(report) {
        await mkdir(outDir, { recursive: true });
        const paths: string[] = [];
        for (const file of files) paths.push(await writeReportFile(outDir, file.name, file.render(report)));
        return paths;
      },
    }),
  };
}
