/**
 * `keyhole init [SCENARIO...]`: runs the current audit (the flags of `audit` that choose
 * it: targets, adversaries, scenarios, seed) and writes, in the working folder, a starter
 * `keyhole-policy.yaml` from its results and `.github/workflows/keyhole.yml` for the
 * shard-and-merge recipe. It never overwrites a file: if either exists (even as a symbolic
 * link), it names it, writes nothing and exits 2, before anything runs.
 */
import { lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError } from '../../harness/errors.ts';
import { assembleReport, runMatrix } from '../../harness/runner.ts';
import { loadScenarios } from '../../harness/scenario/load.ts';
import { POLICY_FILE, starterPolicy } from '../starter/policy.ts';
import { starterWorkflow, WORKFLOW_FILE } from '../starter/workflow.ts';
import { executeSpecs } from '../workers.ts';
import { defaultWorkers, discardPrestarted, threadsFor } from '../worker-pool.ts';
import { cryptoFlag, parseSeed, parseWorkers } from './audit.ts';
import { builtInScenarios, pickAdversaries, pickTargets, registryFor, type PluginFlags } from './catalogue.ts';
import { EXIT } from './exit.ts';
import { createProgress, progressWanted } from './progress.ts';

export interface InitFlags extends PluginFlags {
  targets?: string;
  adversaries?: string;
  seed: string;
  workers?: string;
  crypto: string;
  quiet?: boolean;
}

export async function init(scenarioPaths: string[], flags: InitFlags, folder = process.cwd()): Promise<number> {
  const files = [POLICY_FILE, WORKFLOW_FILE];
  refuseExisting(files, folder);
  const seed = parseSeed(flags.seed);
  const registry = await registryFor(flags, folder);
  const targets = await pickTargets(flags.targets, registry);
  const adversaries = pickAdversaries(flags.adversaries, registry);
  const crypto = cryptoFlag(flags.crypto);
  const workers = flags.workers === undefined ? defaultWorkers() : parseWorkers(flags.workers);
  const scenarios = scenarioPaths.length > 0 ? loadScenarios(scenarioPaths, registry.loadOptions) : builtInScenarios(registry);

  const specs = runMatrix({ targets, scenarios, adversaries });
  const threads = threadsFor(workers, specs.length);
  discardPrestarted(threads - 1);
  const progress = createProgress(progressWanted(flags.quiet, process.stdout, process.stderr), process.stderr);
  const startedAt = new Date();
  let runs;
  try {
    runs = await executeSpecs(specs, { seed, crypto, workers: threads, registry, onRun: (run, done, total) => progress.update(done, total, run) });
  } finally {
    progress.end();
  }
  const report = assembleReport(runs, seed, startedAt, Date.now() - startedAt.getTime());

  const policy = starterPolicy(report, auditCommand(scenarioPaths, flags));
  const workflow = starterWorkflow({
    action: isKeyholeItself(folder) ? './' : './node_modules/keyhole',
    targets: flags.targets,
    adversaries: flags.adversaries,
    scenarios: scenarioPaths,
    seed,
    ...(flags.config !== undefined && { config: flags.config }),
    ...(flags.plugin && { plugins: flags.plugin }),
  });
  writeNew(folder, [
    [POLICY_FILE, policy.text],
    [WORKFLOW_FILE, workflow],
  ]);
  if (!flags.quiet) {
    process.stdout.write(
      `wrote ${POLICY_FILE} (${policy.expectations} expectation${policy.expectations === 1 ? '' : 's'} pinned, ` +
        `${policy.undecided} violated propert${policy.undecided === 1 ? 'y' : 'ies'} to decide on) and ${WORKFLOW_FILE}\n`,
    );
  }
  return EXIT.ok;
}

/** An `InputError` naming every file of `files` that exists in `folder` (a dangling symbolic link too). */
function refuseExisting(files: readonly string[], folder: string): void {
  const existing = files.filter((file) => {
    try {
      lstatSync(join(folder, file));
      return true;
    } catch {
      return false;
    }
  });
  if (existing.length > 0) {
    throw new InputError(existing.map((file) => ({ file, path: '', message: 'already exists; keyhole init never overwrites a file (move it away to write a new one)' })));
  }
}

/**
 * Writes each file only if it does not exist (`wx`: never through a symbolic link, never over
 * a file that appeared since the check); if one cannot be written, what was written for the
 * others (files, and folders made for them) is removed.
 */
function writeNew(folder: string, files: readonly [string, string][]): void {
  /** Files and folders this call created, to remove should a later file fail. */
  const created: string[] = [];
  for (const [file, text] of files) {
    const path = join(folder, file);
    try {
      const firstFolder = mkdirSync(dirname(path), { recursive: true });
      if (firstFolder !== undefined) created.push(firstFolder);
      writeFileSync(path, text, { flag: 'wx' });
    } catch (error) {
      for (const done of created.reverse()) rmSync(done, { recursive: true, force: true });
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'EEXIST' ? 'already exists; keyhole init never overwrites a file' : `cannot write: ${(error as Error).message}`;
      throw new InputError({ file, path: '', message: why });
    }
    created.push(path);
  }
}

/** Whether `folder` is keyhole's own checkout (its package.json names keyhole), where the action is `./`. */
function isKeyholeItself(folder: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { name?: unknown }).name === 'keyhole';
  } catch {
    return false;
  }
}

/** The audit `init` ran, as the command that runs it again. */
function auditCommand(scenarioPaths: readonly string[], flags: InitFlags): string {
  const args = ['keyhole', 'audit'];
  if (flags.targets !== undefined) args.push('-t', flags.targets);
  if (flags.adversaries !== undefined) args.push('-a', flags.adversaries);
  if (flags.config !== undefined) args.push('--config', flags.config);
  for (const plugin of flags.plugin ?? []) args.push('--plugin', plugin);
  args.push('--seed', flags.seed, ...scenarioPaths);
  return args.join(' ');
}
