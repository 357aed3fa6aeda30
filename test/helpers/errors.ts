/** Assert that `fn` throws keyhole's InputError (bad input, exit 2), and return it. */
import type { ExecutionContext } from 'ava';
import { InputError } from '../../harness/errors.ts';

export function expectInputError(t: ExecutionContext, fn: () => unknown): InputError {
  const error = t.throws(fn);
  if (!(error instanceof InputError)) {
    t.fail(`expected an InputError, got ${String(error)}`);
    throw error;
  }
  return error;
}
