/** `keyhole audit [SCENARIO...]`: run the matrix, write the reports, decide the exit status. */
import { cryptoBackend } from '../crypto/index.ts';
import { InputError } from '../errors.ts';
import { runAudit } from '../runner.ts';
import { loadScenarios } from '../scenario/load.ts';
import { reporters, DEFAULT_REPORTERS } from '../../reports/registry.ts';
import { builtInScenarios, loadOptions, pick, pickAdversaries, pickTargets } from './catalogue.ts';
import type { Report } from '../report/types.ts';

export interface AuditFlags {
  targets?: string;
  adversaries?: string;
  seed: string;
  out: string;
  reporter: string;
  crypto: string;
  quiet?: boolean;
}

export const EXIT = { ok: 0, violated: 1, input: 2, harness: 3 } as const;

export async function audit(scenarioPaths: string[], flags: AuditFlags): Promise<number> {
  const seed = parseSeed(flags.seed);
  const targets = pickTargets(flags.targets);
  const adversaries = pickAdversaries(flags.adversaries);
  const reporterEntries = pick(reporters, flags.reporter, '--reporter');
  const crypto = cryptoFlag(flags.crypto);
  const scenarios = scenarioPaths.length > 0 ? loadScenarios(scenarioPaths, loadOptions) : builtInScenarios();

  const color = process.stdout.isTTY === true && !('NO_COLOR' in process.env);
  const active = reporterEntries.map((entry) => entry.create({ outDir: flags.out, stdout: process.stdout, color }));
  const report = await runAudit({
    targets,
    scenarios,
    adversaries,
    seed,
    crypto,
    onRun: (run) => active.forEach((r) => r.onRun?.(run)),
  });
  const written: string[] = [];
  for (const reporter of active) {
    const path = await reporter.onEnd(report);
    if (path) written.push(path);
  }
  if (!flags.quiet && written.length > 0) process.stdout.write(`reports: ${written.join(', ')}\n`);
  return exitStatus(report);
}

export function exitStatus(report: Report): number {
  const failed = report.violations.length > 0 || report.runs.some((r) => r.status === 'error');
  return failed ? EXIT.violated : EXIT.ok;
}

function parseSeed(value: string): number {
  const seed = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(seed)) {
    throw new InputError({ file: '<command line>', path: '--seed', message: `expected a non-negative integer, got '${value}'` });
  }
  return seed;
}

function cryptoFlag(name: string) {
  try {
    return cryptoBackend(name);
  } catch (error) {
    throw new InputError({ file: '<command line>', path: '--crypto', message: (error as Error).message });
  }
}

export { DEFAULT_REPORTERS };
