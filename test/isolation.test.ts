/** A target that throws is recorded as an error run; the other runs go on; the exit status is 1. */
import test from 'ava';
import { adversaries } from '../attacks/registry.ts';
import { exitStatus } from '../app/cli/audit.ts';
import { cryptoBackend } from '../harness/crypto/index.ts';
import { runAudit } from '../harness/runner.ts';
import { staticE2ee } from '../targets/static-e2ee.ts';
import type { Design } from '../targets/types.ts';
import { builtIn } from './helpers/audit.ts';

/** static-e2ee, except that every send throws. */
const broken: Design = {
  ...staticE2ee,
  name: 'broken',
  createClient(context) {
    const client = staticE2ee.createClient(context);
    client.send = async () => {
      throw new Error('deliberately broken send');
    };
    return client;
  },
};

test('a throwing target is recorded as an error while the rest of the audit completes', async (t) => {
  const report = await runAudit({
    targets: [broken, staticE2ee],
    scenarios: [builtIn('stolen-phone')],
    adversaries: [adversaries['network']!, adversaries['stolen-device']!],
    seed: 1,
    crypto: cryptoBackend('node'),
  });
  t.deepEqual(
    report.runs.map((r) => `${r.target}/${r.adversary}:${r.status}`),
    ['broken/network:error', 'broken/stolen-device:error', 'static-e2ee/network:ok', 'static-e2ee/stolen-device:ok'],
  );
  t.is(report.runs[0]!.error, 'deliberately broken send');
  t.is(report.runs[2]!.summary.messages, 10);
  t.is(exitStatus(report), 1);
});

test('an audit with no violation and no error exits 0; one violated claim exits 1', async (t) => {
  const report = await runAudit({
    targets: [staticE2ee],
    scenarios: [builtIn('stolen-phone')],
    adversaries: [adversaries['server']!],
    seed: 1,
    crypto: cryptoBackend('node'),
  });
  t.is(exitStatus(report), 0);
  // The same design claiming forward secrecy against a seized phone breaks that claim.
  const overclaiming: Design = { ...staticE2ee, claims: [{ property: 'forward-secrecy', adversaries: ['stolen-device'] }] };
  const violated = await runAudit({
    targets: [overclaiming],
    scenarios: [builtIn('stolen-phone')],
    adversaries: [adversaries['stolen-device']!],
    seed: 1,
    crypto: cryptoBackend('node'),
  });
  t.deepEqual(violated.violations.map((v) => v.property), ['forward-secrecy']);
  t.is(exitStatus(violated), 1);
});

test('a target that hangs is recorded as an error once its run exceeds the time limit', async (t) => {
  const { executeRun } = await import('../harness/runner.ts');
  const hanging: Design = {
    ...staticE2ee,
    name: 'hanging',
    createClient(context) {
      const client = staticE2ee.createClient(context);
      client.send = () => new Promise(() => {});
      return client;
    },
  };
  const run = await executeRun({ design: hanging, scenario: builtIn('stolen-phone'), adversary: adversaries['network']! }, 1, cryptoBackend('node'), 300);
  t.is(run.status, 'error');
  t.regex(run.error ?? '', /time limit of 0\.3 s/);
});
