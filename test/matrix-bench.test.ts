/**
 * `protocol` bench rows for the `matrix` targets: matrix-sdk-crypto brings its own
 * cryptography (vodozemac), so each installed release is measured once, as crypto `own`,
 * whichever backends the run measures, beside the harness's designs.
 */
import test from 'ava';
import { runBench } from '../app/cli/bench.ts';
import { cryptoBackends } from '../harness/crypto/index.ts';
import { protocolPlan, protocolRuns } from '../bench/protocol.ts';
import { benchDocument } from '../bench/report.ts';
import { benchDocumentSchema } from '../bench/schema.ts';

const backends = Object.values(cryptoBackends);
const names = ['matrix', 'matrix@14.2.0', 'matrix-invisible', 'matrix-invisible@14.2.0', 'signal'];

test('every matrix target runs once, on its own cryptography; a harness design on every backend', (t) => {
  const runs = protocolRuns({ backends, raw: false, quick: true }, names);
  t.deepEqual(
    runs.map((r) => `${r.target}/${r.cryptoLabel}`),
    ['matrix/own', 'matrix@14.2.0/own', 'matrix-invisible/own', 'matrix-invisible@14.2.0/own', ...backends.map((b) => `signal/${b.name}`)],
  );
});

test('matrix and matrix@14.2.0: a 1 KiB message one way, with the Megolm event\'s wire overhead', async (t) => {
  const run = await runBench({
    backends: [backends[0]!],
    quick: true,
    filter: /one-way/,
    plans: [(context) => protocolPlan(context, ['matrix', 'matrix@14.2.0'])],
  });
  t.deepEqual(run.failed, []);
  t.deepEqual(run.results.map((r) => `${r.target}/${r.crypto}`), ['matrix/own', 'matrix@14.2.0/own']);
  for (const row of run.results) t.true(row.overheadBytes! > 16, `${row.target}: at least the Megolm MAC and signature`);
  t.true(benchDocumentSchema.safeParse(JSON.parse(JSON.stringify(benchDocument(run)))).success);
});
