/**
 * The monotonicity self-check (SPEC §4) over random scenarios and every built-in pair: a
 * composite holds every capability of each part, so it never recovers fewer messages than a
 * part alone with the same seed. `executeRun` checks it on every composite run and throws a
 * `HarnessDefect` where it fails; here every pair runs on scenarios that give every built-in
 * adversary its parameters, so that the check runs for each. The cheap long-term-key design
 * takes several scenarios; the reference (where the image and the oracle meet in the Double
 * Ratchet) one. KEYHOLE_PROPERTY_RUNS raises the number of scenarios.
 */
import test from 'ava';
import fc from 'fast-check';
import { builtInPairs } from '../attacks/registry.ts';
import { cryptoBackend } from '../harness/crypto/index.ts';
import { executeRun } from '../harness/runner.ts';
import { loadAllTargets } from '../targets/registry.ts';
import { randomAttackScenario } from './helpers/random-scenario.ts';

const targets = await loadAllTargets();

const RUNS = Number(process.env['KEYHOLE_PROPERTY_RUNS'] ?? 2);
const PAIRS = builtInPairs();

test('there is a composite for every pair of distinct built-in adversaries', (t) => {
  t.is(PAIRS.length, 55); // 11 adversaries
  t.true(PAIRS.some((p) => p.name === 'stolen-device+quantum'));
  t.true(PAIRS.some((p) => p.name === 'stolen-device+malicious-server'));
});

for (const [target, runs] of [['static-e2ee', RUNS], ['signal', 1]] as const) {
  test(`monotonicity on ${target}: every built-in pair recovers at least what each of its parts recovers alone, on random scenarios (SPEC §4)`, async (t) => {
    const design = targets[target]!;
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(randomAttackScenario, async (scenario) => {
        for (const adversary of PAIRS) {
          // Throws a HarnessDefect, naming the messages missed, where the composite falls short.
          const report = await executeRun({ design, scenario, adversary }, 1, cryptoBackend('node'));
          if (report.status !== 'ok') throw new Error(`${adversary.name}: status ${report.status}: ${report.error ?? report.notes?.join('; ')}`);
          checked++;
        }
      }),
      { numRuns: runs, seed: 42, endOnFailure: true },
    );
    t.is(checked, PAIRS.length * runs);
  });
}
