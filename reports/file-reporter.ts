/** Reporters that render the whole report to files under `--out` at the end. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Report } from '../harness/report/types.ts';
import type { ReporterEntry } from './types.ts';

export function fileReporter(description: string, file: string, render: (report: Report) => string): ReporterEntry<string> {
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

/** A reporter that writes several files, each from its own render (file name -> render); `file` names the first. */
export function filesReporter(description: string, renders: Record<string, (report: Report) => string>): ReporterEntry<string[]> {
  const files = Object.keys(renders);
  return {
    description,
    file: files[0] ?? null,
    create: ({ outDir }) => ({
      async onEnd(report) {
        await mkdir(outDir, { recursive: true });
        const paths: string[] = [];
        for (const file of files) {
          const path = join(outDir, file);
          await writeFile(path, renders[file]!(report));
          paths.push(path);
        }
        return paths;
      },
    }),
  };
}
