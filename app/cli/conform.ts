/**
 * `keyhole conform <command...>` (SPEC §1): drives a client command through the checks of
 * `app/conform/checks.ts`, prints each failure, exit 1 if any, 0 if none.
 */
import { conformanceChecks } from '../conform/checks.ts';
import { InputError } from '../../harness/errors.ts';
import { printable } from '../../harness/printable.ts';
import { EXIT } from './exit.ts';

export async function conform(command: string[], flags: { timeout?: string }): Promise<number> {
  const timeoutMs = Number(flags.timeout ?? '30000');
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000) {
    throw new InputError({ file: '<command line>', path: '--timeout', message: `expected milliseconds, 1 to 600000, got ${flags.timeout}` });
  }
  // One argument with spaces is a command line of its own ("keyhole client signal").
  const argv = command.length === 1 ? command[0]!.split(/\s+/).filter(Boolean) : command;
  if (argv.length === 0) throw new InputError({ file: '<command line>', path: 'command', message: 'expected a command' });
  let failed = 0;
  await conformanceChecks(argv, {
    timeoutMs,
    onCheck: (result) => {
      if (result.failures.length === 0) {
        process.stdout.write(`ok    ${result.name}\n`);
        return;
      }
      failed++;
      process.stdout.write(`FAIL  ${result.name}\n${result.failures.map((f) => `      ${printable(f)}\n`).join('')}`);
    },
  });
  process.stdout.write(failed === 0 ? 'keyhole-client/1: every check passed\n' : `keyhole-client/1: ${failed} check(s) failed\n`);
  return failed === 0 ? EXIT.ok : EXIT.violated;
}
