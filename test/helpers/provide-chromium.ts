/**
 * `npm test` runs this before the tests: finds the browser the html browser test needs, or
 * installs Debian's chromium when the user may (see `chromium.ts`); otherwise one line on
 * stderr saying how to get one, and exit status 1.
 */
import { ChromiumMissingError, provideChromium } from './chromium.ts';

try {
  provideChromium();
} catch (error) {
  if (!(error instanceof ChromiumMissingError)) throw error;
  process.stderr.write(`keyhole tests: ${error.message}\n`);
  process.exitCode = 1;
}
