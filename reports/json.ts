/** `json`: report.json, exactly the report tree (schema `keyhole-report/1`, SPEC §7). */
import type { Report } from '../harness/report/types.ts';
import { fileReporter } from './file-reporter.ts';

export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

export const jsonReporter = fileReporter('report.json (schema keyhole-report/1)', 'report.json', renderJson, '"schema": "keyhole-report/1"');
