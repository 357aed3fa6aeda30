/**
 * The built-in reporters. Keys are the names `--reporter` accepts; adding one is one new
 * file and one line here.
 */
import { githubReporter } from './github.ts';
import { htmlReporter } from './html.ts';
import { jsonReporter } from './json.ts';
import { junitReporter } from './junit.ts';
import { listReporter } from './list.ts';
import { mdReporter } from './md.ts';
import { sarifReporter } from './sarif.ts';
import type { ReporterEntry } from './types.ts';

export const reporters: Record<string, ReporterEntry> = {
  list: listReporter,
  json: jsonReporter,
  md: mdReporter,
  html: htmlReporter,
  junit: junitReporter,
  sarif: sarifReporter,
  github: githubReporter,
};

export { DEFAULT_REPORTERS } from './defaults.ts';

/** The name `entry` is registered under in `catalogue` (the built-ins unless given); its description for a reporter registered nowhere there. */
export function reporterName(entry: ReporterEntry, catalogue: Readonly<Record<string, ReporterEntry>> = reporters): string {
  return Object.keys(catalogue).find((name) => catalogue[name] === entry) ?? entry.description;
}
