/**
 * Pinned verdicts (test/golden/verdicts.txt): for every run of the default audit, its status,
 * each property's verdict and claim, and the sorted ids of the messages that leaked and of
 * those that leaked beyond entitlement. One fact a line, each line naming its run, so that a
 * diff says exactly which verdict or message moved.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Report, RunReport } from '../../harness/report/types.ts';
import { keyhole, type CliResult } from './cli.ts';

export const GOLDEN_FILE = new URL('../golden/verdicts.txt', import.meta.url);
/** Set to 1 to write the golden file from the current code instead of checking against it. */
export const UPDATE_VARIABLE = 'KEYHOLE_UPDATE_GOLDEN';
export const HOW_TO_UPDATE =
  'If the change is intended, regenerate the file with `npm run golden` ' +
  `(${UPDATE_VARIABLE}=1 npx ava test/golden-verdicts.test.ts) and commit it with the change, ` +
  'saying in the commit message which section of which specification says why each verdict moved.';

/** Threads for the audit: the default audit runs in about a minute on two. */
const MAX_GOLDEN_WORKERS = 4;

export interface DefaultAudit {
  /** The command's exit status, its matrix (stdout) and stderr. */
  cli: CliResult;
  report: Report;
}

/**
 * The default audit (`npm start`: every built-in target x scenario x adversary, seed 1), run
 * through the command line on worker threads, with its matrix and report.json.
 */
export function runDefaultAudit(): DefaultAudit {
  const out = mkdtempSync(join(tmpdir(), 'keyhole-golden-'));
  try {
    const workers = Math.max(1, Math.min(MAX_GOLDEN_WORKERS, availableParallelism()));
    const cli = keyhole(['audit', '-o', out, '-r', 'list,json', '--quiet', '--workers', String(workers)]);
    if (cli.status !== 0 && cli.status !== 1) throw new Error(`the default audit exited ${cli.status}: ${cli.stderr}`);
    return { cli, report: JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const HEADER = [
  '# Pinned verdicts of the default audit (every built-in target x scenario x adversary, seed 1).',
  '# One fact a line: <target> · <scenario> · <adversary> | <fact>: <value>. Checked by',
  '# test/golden-verdicts.test.ts; regenerate with `npm run golden` when a change is intended,',
  '# and say in the commit message why each verdict moved.',
];

export function renderGolden(report: Pick<Report, 'runs'>): string {
  return `${[...HEADER, ...report.runs.flatMap(goldenLines)].join('\n')}\n`;
}

/** The facts of one run. A run that was not judged (not applicable, failed) has only its status. */
export function goldenLines(run: RunReport): string[] {
  const name = `${run.target} · ${run.scenario} · ${run.adversary}`;
  const fact = (what: string, value: string) => `${name} | ${what}: ${value}`;
  if (run.status !== 'ok') return [fact('status', run.status)];
  const ids = (pick: (m: RunReport['messages'][number]) => boolean) => {
    const chosen = run.messages.filter(pick).map((m) => m.id).sort(byCodeUnits);
    return chosen.length > 0 ? chosen.join(', ') : 'none';
  };
  return [
    fact('status', run.status),
    ...run.properties.map((p) => {
      const claim = p.claimed ? (p.notClaimedFor === undefined ? 'claimed' : `claimed, not for ${p.notClaimedFor}`) : 'unclaimed';
      return fact(p.property, `${p.verdict} (${claim})`);
    }),
    fact('leaked', ids((m) => m.leaked)),
    fact('breached', ids((m) => m.leaked && m.class !== 'exposed')),
  ];
}

/** Every fact that differs between the pinned file and the current one, one readable line each. */
export function goldenDiff(pinned: string, current: string): string[] {
  const was = facts(pinned);
  const now = facts(current);
  const changes: string[] = [];
  for (const [key, value] of now) {
    const before = was.get(key);
    if (before === undefined) changes.push(`new:     ${key}: ${value}`);
    else if (before !== value) changes.push(`changed: ${key}: ${before} -> ${value}`);
  }
  for (const [key, value] of was) if (!now.has(key)) changes.push(`gone:    ${key}: ${value}`);
  return changes;
}

/** `run | fact` -> value, from the lines of a golden file (comments and blank lines skipped). */
function facts(text: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const bar = line.indexOf(' | ');
    const colon = bar < 0 ? -1 : line.indexOf(': ', bar);
    if (colon < 0) result.set(line, '(unreadable line)');
    else result.set(line.slice(0, colon), line.slice(colon + 2));
  }
  return result;
}

/** Sorted the same whatever the locale. */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
