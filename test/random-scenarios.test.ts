/**
 * Property tests over random valid scenarios, for every built-in target: no harness error,
 * every message reaches every intended device, no client rejects an envelope (in a valid
 * scenario every envelope is genuine, so a rejection is a design's bug, a crash in its
 * decoding above all), nothing leaks to the network from a design that claims otherwise, and
 * the same seed gives the same report.
 * KEYHOLE_PROPERTY_RUNS raises the number of scenarios per target (default 4). The seed
 * changes from run to run and is printed; KEYHOLE_PROPERTY_SEED=<n> replays a run.
 */
import { randomInt } from 'node:crypto';
import test from 'ava';
import fc from 'fast-check';
import { loadAllTargets } from '../targets/registry.ts';
import { run } from './helpers/audit.ts';
import { randomScenario } from './helpers/random-scenario.ts';

const targets = await loadAllTargets();

const RUNS = Number(process.env['KEYHOLE_PROPERTY_RUNS'] ?? 4);
const SEED = Number(process.env['KEYHOLE_PROPERTY_SEED'] ?? randomInt(2 ** 31));

for (const [name, design] of Object.entries(targets)) {
  const claimsNetwork = design.claims.some((c) => c.property === 'confidentiality' && c.adversaries.includes('network'));

  test(`${name}: random scenarios run cleanly, deliver everything, reject no envelope${claimsNetwork ? ' and leak nothing to the network' : ''}`, async (t) => {
    t.log(`KEYHOLE_PROPERTY_SEED=${SEED}`);
    await fc.assert(
      fc.asyncProperty(randomScenario, async (scenario) => {
        const report = await run(name, scenario, 'network');
        if (report.status !== 'ok') throw new Error(`status ${report.status}: ${report.error ?? report.notes?.join('; ')}`);
        const undelivered = report.messages.filter((m) => !m.delivered).map((m) => m.id);
        if (undelivered.length > 0) throw new Error(`not delivered everywhere: ${undelivered.join(', ')}`);
        const rejections = (report.notes ?? []).filter((note) => note.startsWith('clients rejected'));
        if (rejections.length > 0) throw new Error(rejections.join('; '));
        if (claimsNetwork && report.summary.leaked > 0) throw new Error(`${report.summary.leaked} message(s) leaked to the network`);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    t.pass();
  });

  test(`${name}: the same seed gives the same report for a random scenario`, async (t) => {
    const [scenario] = fc.sample(randomScenario, { numRuns: 1, seed: SEED });
    const first = await run(name, scenario!, 'network', { seed: 3 });
    const second = await run(name, scenario!, 'network', { seed: 3 });
    t.is(first.status, 'ok');
    t.true(first.messages.length > 0);
    t.deepEqual(second, first);
  });
}
