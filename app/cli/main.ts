/**
 * The `keyhole` command line (SPEC §1). Exit status: 0 every claim holds, 1 a claim is
 * violated or a run failed, 2 bad usage or bad input, 3 the harness itself failed.
 */
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { formatProblem, InputError } from '../../harness/errors.ts';
import { printable } from '../../harness/printable.ts';
import { TOOL_VERSION } from '../../harness/version.ts';
import { DEFAULT_REPORTERS } from '../../reports/defaults.ts';
import { MAX_WORKERS, prestartWorkers, threadsFor, workersRequested } from '../worker-pool.ts';
import { EXIT } from './exit.ts';

// Each command's module is loaded when the command runs: an audit with --workers starts its
// worker threads first, so that they load the sources while this thread loads its own.

function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('keyhole')
    .description('Runs messenger designs through scripted conversations against scripted adversaries and reports which plaintexts each adversary recovered.')
    .version(TOOL_VERSION)
    .showHelpAfterError()
    // Options of `keyhole` itself come before the command, so that `conform` can hand every
    // word after its own options, flags included, to the client command it checks.
    .enablePositionalOptions()
    .exitOverride();

  program
    .command('audit', { isDefault: false })
    .alias('run')
    .description('run every target x scenario x adversary and report what leaked')
    .argument('[scenario...]', 'scenario files (.yaml, .yml, .json) or folders of them; none: the built-in scenarios')
    .option('-t, --targets <names>', 'comma list of target names (default: every target, built-in and from the config and plugins)')
    .option('-a, --adversaries <names>', 'comma list of adversary names (default: every adversary, built-in and from the config and plugins)')
    .option('--seed <n>', 'seed for every random choice (keys, markers, nonces)', '1')
    .option('-o, --out <dir>', 'where report files go', 'keyhole-report')
    .option('-r, --reporter <names>', 'comma list of: list, json, md, html, junit, sarif, github', DEFAULT_REPORTERS.join(','))
    .option('--policy <file>', 'extra expectations (a policy file, YAML or JSON)')
    .option('--baseline <report.json>', 'fail if any message or property got worse than in that report')
    .option('--shard <i/n>', 'run only the i-th of n equal slices of the run matrix (1-based; default: the whole matrix)')
    .option('--workers <n>', 'threads running the matrix: this one and n-1 worker threads (default: the cores available, capped by the runs)')
    .addOption(new Option('--crypto <name>', 'cryptography backend for the harness designs').default('node'))
    .option('--quiet', 'no progress output')
    .option(...CONFIG_OPTION)
    .option(...PLUGIN_OPTION)
    .action(async (scenarios: string[], flags) => {
      const { audit } = await import('./audit.ts');
      setExit(await audit(scenarios, flags));
    });

  program
    .command('merge')
    .description('merge shard reports (--shard i/n) into one report and its other formats')
    .argument('<report.json...>', 'the report.json of every shard')
    .option('-o, --out <dir>', 'where report files go', 'keyhole-report')
    .option('-r, --reporter <names>', 'comma list of: list, json, md, html, junit, sarif, github', DEFAULT_REPORTERS.join(','))
    .option('--policy <file>', 'extra expectations (a policy file, YAML or JSON), checked on the merged report')
    .option('--baseline <report.json>', 'fail if any message or property got worse than in that report')
    .option('--scenario <path>', 'a scenario file or folder the audit ran, so that annotations (github) point at its steps (repeatable)', collect, [])
    .option('--quiet', 'no summary output')
    .option(...CONFIG_OPTION)
    .option(...PLUGIN_OPTION)
    .action(async (files: string[], flags) => {
      const { merge } = await import('./merge.ts');
      setExit(await merge(files, flags));
    });

  program
    .command('init')
    .description('run the audit and write a starter keyhole-policy.yaml from its results and a CI workflow (.github/workflows/keyhole.yml); never overwrites a file')
    .argument('[scenario...]', 'scenario files (.yaml, .yml, .json) or folders of them; none: the built-in scenarios')
    .option('-t, --targets <names>', 'comma list of target names (default: every target, built-in and from the config and plugins)')
    .option('-a, --adversaries <names>', 'comma list of adversary names (default: every adversary, built-in and from the config and plugins)')
    .option('--seed <n>', 'seed for every random choice (keys, markers, nonces)', '1')
    .option('--workers <n>', 'threads running the matrix: this one and n-1 worker threads (default: the cores available, capped by the runs)')
    .addOption(new Option('--crypto <name>', 'cryptography backend for the harness designs').default('node'))
    .option('--quiet', 'no progress output')
    .option(...CONFIG_OPTION)
    .option(...PLUGIN_OPTION)
    .action(async (scenarios: string[], flags) => {
      const { init } = await import('./init.ts');
      setExit(await init(scenarios, flags));
    });

  program
    .command('list')
    .description('print every target, adversary, scenario and reporter: the built-in ones, and those of the config and plugins')
    .option('--json', 'print as JSON')
    .option(...CONFIG_OPTION)
    .option(...PLUGIN_OPTION)
    .action(async (flags: { json?: boolean; config?: string; plugin?: string[] }) => {
      const [{ catalogue, renderCatalogue }, { registryFor }] = await Promise.all([import('./list.ts'), import('./catalogue.ts')]);
      const list = catalogue(await registryFor(flags));
      process.stdout.write(flags.json ? `${JSON.stringify(list, null, 2)}\n` : renderCatalogue(list, process.stdout.isTTY === true));
      setExit(EXIT.ok);
    });

  program.command('client').description('serve a design over keyhole-client/1 on stdin/stdout (the reference adapter, docs/client-protocol.md)').argument('<design>').addOption(new Option('--crypto <name>', 'cryptography backend').default('node')).option(...CONFIG_OPTION).option(...PLUGIN_OPTION).action(async (name: string, flags) => setExit(await (await import('./client.ts')).client(name, flags)));
  program.command('conform').description('check that a client command speaks keyhole-client/1 (docs/client-protocol.md); exit 1 on any failure').argument('<command...>', 'the client command and its arguments (flags included; `--` before it is optional)').option('--timeout <ms>', 'how long to wait for each answer', '30000').passThroughOptions().action(async (command: string[], flags) => setExit(await (await import('./conform.ts')).conform(command, flags)));

  program
    .command('bench')
    .description('benchmark the primitives and whole protocols, cross-validated before timing (schema keyhole-bench/1)')
    .option('--quick', 'short run for CI (under 2 minutes)')
    .option('--json <file>', 'write the results as JSON (schema keyhole-bench/1)')
    .option('--md <file>', 'write the results as Markdown tables')
    .option('--filter <regex>', 'only tasks whose name matches')
    .option('--crypto <names>', 'comma list of backends: node, noble (default: all)')
    .option('--quiet', 'no progress output')
    .action(async (flags) => {
      const { bench } = await import('./bench.ts');
      setExit(await bench(flags));
    });

  return program;
}

/** `--config` and `--plugin` (SPEC §9), on every command that looks names up. */
const CONFIG_OPTION = ['--config <file>', 'a keyhole config (default: keyhole.config.{ts,mts,js,mjs,json} in the working folder, if any)'] as const;
const PLUGIN_OPTION = ['--plugin <module>', "add a module's targets, adversaries, reporters and scenarios (repeatable)", (value: string, previous: string[] | undefined) => [...(previous ?? []), value]] as const;

/** A repeatable option's values, in order. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const workers = workersRequested(argv);
  // No more than the cores: the runs are not known yet (see `threadsFor`).
  if (workers !== null && workers > 1 && workers <= MAX_WORKERS) prestartWorkers(threadsFor(workers) - 1);
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; every other usage error is bad usage.
      return error.exitCode === 0 ? EXIT.ok : EXIT.input;
    }
    if (error instanceof InputError) {
      process.stderr.write(`keyhole: bad input\n${error.problems.map((p) => `  ${formatProblem(p)}`).join('\n')}\n`);
      return EXIT.input;
    }
    // The message may quote input (a target's error, a file name): printed escaped (a debug stack line by line).
    const message =
      error instanceof Error && process.env.KEYHOLE_DEBUG
        ? (error.stack ?? error.message).split('\n').map((line) => printable(line)).join('\n')
        : printable(error instanceof Error ? error.message : String(error));
    process.stderr.write(`keyhole: internal error: ${message}\n`);
    return EXIT.harness;
  }
}

// Run when started as a program (`node app/cli/main.ts`); `bin/keyhole.js` and tests call `main`.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
