/**
 * Pinned verdicts: the default audit must give, run by run, the status, verdicts, claims and
 * leaked message ids of test/golden/verdicts.txt. A change to any of them fails here, naming
 * each fact that moved, until the file is regenerated (`npm run golden`) in the same commit.
 * The one run of the default audit in the suite also checks what `npm start` shows a user.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

import test from 'ava';

import { reportWithLeaks } from './fixtures/report-with-leaks.ts';
import { GOLDEN_FILE, goldenDiff, goldenLines, HOW_TO_UPDATE, renderGolden, runDefaultAudit, UPDATE_VARIABLE, type DefaultAudit } from './helpers/golden.ts';

// The default audit runs once for the tests of this file (the costliest run of the suite).
let audit: DefaultAudit | undefined;
const defaultAudit = (): DefaultAudit => (audit ??= runDefaultAudit());

test('the default audit exits 0, prints the matrix and writes report.json', (t) => {
  const { cli, report } = defaultAudit();
  t.is(cli.status, 0, cli.stderr);
  t.regex(cli.stdout, /target \\ adversary/);
  t.regex(cli.stdout, /static-e2ee/);
  t.is(report.schema, 'keyhole-report/1');
  t.true(report.runs.length > 0);
  t.deepEqual(report.violations, []);
});

test('the default audit gives the pinned verdicts and leaked messages of test/golden/verdicts.txt', (t) => {
  const { cli, report } = defaultAudit();
  const current = renderGolden(report);
  if (process.env[UPDATE_VARIABLE] === '1') {
    writeFileSync(GOLDEN_FILE, current);
    t.log(`wrote ${GOLDEN_FILE.pathname}; the matrix of the default audit:\n${cli.stdout}`);
  }
  if (!existsSync(GOLDEN_FILE)) return t.fail(`${GOLDEN_FILE.pathname} is missing. ${HOW_TO_UPDATE}`);
  const changes = goldenDiff(readFileSync(GOLDEN_FILE, 'utf8'), current);
  t.deepEqual(changes, [], `the default audit no longer gives the pinned verdicts. ${HOW_TO_UPDATE}`);
});

test('a moved verdict, a new leak and a run that is gone are each named, with its run', (t) => {
  const pinned = renderGolden(reportWithLeaks());
  const moved = reportWithLeaks();
  const run = moved.runs.find((r) => r.target === 'escrow' && r.scenario === 'group-chat' && r.adversary === 'stolen-device')!;
  run.properties.find((p) => p.property === 'post-compromise-security')!.verdict = 'violated';
  const g2 = run.messages.find((m) => m.id === 'g2')!;
  g2.leaked = true;
  g2.via = 'decrypt';
  moved.runs = moved.runs.filter((r) => !(r.target === 'signal' && r.scenario === 'group-chat' && r.adversary === 'network'));
  t.deepEqual(goldenDiff(pinned, renderGolden(moved)), [
    'changed: escrow · group-chat · stolen-device | post-compromise-security: holds (claimed) -> violated (claimed)',
    'changed: escrow · group-chat · stolen-device | leaked: g1 -> g1, g2',
    'changed: escrow · group-chat · stolen-device | breached: none -> g2',
    'gone:    signal · group-chat · network | status: ok',
    ...goldenLines(reportWithLeaks().runs[2]!)
      .slice(1)
      .map((line) => `gone:    ${line}`),
  ]);
  t.deepEqual(goldenDiff(pinned, pinned), []);
});

test('a golden line says the claim and its scope: claimed, unclaimed, or claimed but not for what lies outside it', (t) => {
  const run = reportWithLeaks().runs.find((r) => r.target === 'escrow' && r.scenario === 'stolen-phone' && r.adversary === 'stolen-device')!;
  const lines = goldenLines(run);
  t.true(lines.includes('escrow · stolen-phone · stolen-device | confidentiality: violated (claimed, not for unverified messages)'));
  t.true(lines.includes('escrow · stolen-phone · stolen-device | forward-secrecy: violated (claimed)'));
  t.true(lines.includes('escrow · stolen-phone · stolen-device | replay: holds (unclaimed)'));
  t.is(lines.at(-2), `escrow · stolen-phone · stolen-device | leaked: <img src=x onerror="window.__xss=1">, <img src=x onerror=alert(1)>, \`tick\`, m6, pipe|id`);
  t.is(lines.at(-1), 'escrow · stolen-phone · stolen-device | breached: <img src=x onerror="window.__xss=1">, <img src=x onerror=alert(1)>, m6');
  const notApplicable = reportWithLeaks().runs.find((r) => r.status === 'not-applicable')!;
  t.deepEqual(goldenLines(notApplicable), [`${notApplicable.target} · ${notApplicable.scenario} · ${notApplicable.adversary} | status: not-applicable`]);
});
