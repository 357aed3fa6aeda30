/** `keyhole init`: a starter policy that holds today, a CI workflow, and never a file overwritten. */
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import test from 'ava';
import { parse as parseYaml } from 'yaml';

import { init } from '../app/cli/init.ts';
import { InputError } from '../harness/errors.ts';
import { evaluatePolicy, parsePolicy } from '../harness/policy.ts';
import type { Report } from '../harness/report/types.ts';
import { POLICY_FILE, starterPolicy } from '../app/starter/policy.ts';
import { WORKFLOW_FILE } from '../app/starter/workflow.ts';
import { keyhole } from './helpers/cli.ts';
import { reportWithLeaks } from './fixtures/report-with-leaks.ts';

const STOLEN_PHONE = fileURLToPath(new URL('../attacks/scenarios/stolen-phone.yaml', import.meta.url));

function emptyFolder(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyhole-init-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('keyhole init in an empty folder writes a policy that holds and the workflow; run again, it refuses and changes nothing', (t) => {
  const dir = emptyFolder(t);
  const selection = ['-t', 'server-side,static-e2ee', '-a', 'network,server,stolen-device', STOLEN_PHONE];
  const first = keyhole(['init', ...selection], { cwd: dir });
  t.is(first.status, 0, first.stderr);
  t.regex(first.stdout, /^wrote keyhole-policy\.yaml \(\d+ expectations pinned, \d+ violated properties to decide on\) and \.github\/workflows\/keyhole\.yml$/m);

  const policyText = readFileSync(join(dir, POLICY_FILE), 'utf8');
  const policy = parsePolicy(policyText, POLICY_FILE);
  // Claimed today and holding: confidentiality of both designs against network, of static-e2ee against server.
  t.deepEqual(
    policy.entries.map((e) => [e.target?.join(), e.adversary?.join(), e.property, e.verdict]),
    [
      ['server-side', 'network', 'confidentiality', 'holds'],
      ['static-e2ee', 'network', 'confidentiality', 'holds'],
      ['static-e2ee', 'server', 'confidentiality', 'holds'],
    ],
  );
  t.regex(policyText, /^# server-side · server · confidentiality \(not claimed\): violated in stolen-phone$/m);
  t.regex(policyText, /^# {2}- \{ target: server-side, scenario: stolen-phone, adversary: server, property: confidentiality, verdict: holds \}$/m);

  const workflow = parseYaml(readFileSync(join(dir, WORKFLOW_FILE), 'utf8'));
  t.deepEqual(workflow.jobs.audit.strategy.matrix.shard, [1, 2, 3, 4]);
  t.deepEqual(workflow.jobs.audit.steps.at(-1), {
    uses: './node_modules/keyhole',
    with: { shard: '${{ matrix.shard }}/4', targets: 'server-side,static-e2ee', adversaries: 'network,server,stolen-device', scenarios: STOLEN_PHONE, seed: 1 },
  });
  t.is(workflow.jobs.report.needs, 'audit');
  t.is(workflow.jobs.report.if, 'always()');
  t.deepEqual(workflow.jobs.report.steps.at(-1), { uses: './node_modules/keyhole', with: { merge: true, policy: POLICY_FILE, scenarios: STOLEN_PHONE } });

  // The starter policy holds for the audit it was made from.
  const audit = keyhole(['audit', ...selection, '--policy', POLICY_FILE, '-r', 'json', '-o', 'report'], { cwd: dir });
  t.is(audit.status, 0, audit.stderr);
  t.regex(audit.stderr, /policy keyhole-policy\.yaml: every expectation holds/);

  const workflowText = readFileSync(join(dir, WORKFLOW_FILE), 'utf8');
  const again = keyhole(['init', ...selection], { cwd: dir });
  t.is(again.status, 2);
  t.regex(again.stderr, /keyhole-policy\.yaml: already exists; keyhole init never overwrites a file/);
  t.regex(again.stderr, /\.github\/workflows\/keyhole\.yml: already exists/);
  t.is(readFileSync(join(dir, POLICY_FILE), 'utf8'), policyText);
  t.is(readFileSync(join(dir, WORKFLOW_FILE), 'utf8'), workflowText);
});

test('keyhole init refuses when only one of its files exists, and writes neither', async (t) => {
  const dir = emptyFolder(t);
  writeFileSync(join(dir, POLICY_FILE), 'mine\n');
  const error = await t.throwsAsync(init([], { seed: '1', crypto: 'node', quiet: true }, dir), { instanceOf: InputError });
  t.deepEqual(error?.problems.map((p) => p.file), [POLICY_FILE]);
  t.is(readFileSync(join(dir, POLICY_FILE), 'utf8'), 'mine\n');
  t.false(existsSync(join(dir, '.github')));
});

test('keyhole init does not write through a symbolic link, even a dangling one', async (t) => {
  const dir = emptyFolder(t);
  const elsewhere = join(dir, 'elsewhere.yaml');
  symlinkSync(elsewhere, join(dir, POLICY_FILE));
  const error = await t.throwsAsync(init([], { seed: '1', crypto: 'node', quiet: true }, dir), { instanceOf: InputError });
  t.deepEqual(error?.problems.map((p) => p.file), [POLICY_FILE]);
  t.false(existsSync(elsewhere));
});

test('the starter policy pins every claim that holds, per scenario where needed, and holds for its report', (t) => {
  const report = reportWithLeaks();
  const { text, expectations, undecided } = starterPolicy(report, 'keyhole audit');
  const policy = parsePolicy(text, POLICY_FILE);
  t.deepEqual(
    policy.entries.map((e) => [e.target?.join(), e.scenario?.join() ?? '*', e.adversary?.join(), e.property, e.verdict]),
    [
      // Holds in both scenarios, every run of signal x network.
      ['signal', '*', 'network', 'confidentiality', 'holds'],
      // escrow x network failed in group-chat: pinned where it held.
      ['escrow', 'stolen-phone', 'network', 'confidentiality', 'holds'],
      // Violated in stolen-phone, held in group-chat.
      ['escrow', 'group-chat', 'stolen-device', 'forward-secrecy', 'holds'],
      ['escrow', 'group-chat', 'stolen-device', 'post-compromise-security', 'holds'],
    ],
  );
  t.is(expectations, 4);
  t.deepEqual(evaluatePolicy(policy, report.runs), []);
  // Violated: confidentiality (not claimed), forward-secrecy and post-compromise-security (claimed), claimed first.
  t.is(undecided, 3);
  const decide = text.split('\n').filter((line) => /^# escrow · stolen-device · /.test(line));
  t.deepEqual(decide, [
    '# escrow · stolen-device · forward-secrecy (claimed): violated in stolen-phone',
    '# escrow · stolen-device · post-compromise-security (claimed): violated in stolen-phone',
    '# escrow · stolen-device · confidentiality (not claimed): violated in stolen-phone',
  ]);
  t.regex(text, /^# Failed today \(1\): no claim of these runs is pinned\.$/m);
});

test('a hostile scenario name or detail cannot add an entry to the starter policy', (t) => {
  const hostile = 'x"\n  - { target: "*", maxLeaked: 0 }\u2028  - { target: "*", maxLeaked: 1 } # ';
  const report: Report = reportWithLeaks();
  report.runs = report.runs.map((run) =>
    run.scenario === 'group-chat'
      ? { ...run, scenario: hostile, error: run.error === null ? null : `${run.error}\n  - { maxLeaked: 0 }`, properties: run.properties.map((p) => ({ ...p, detail: `${p.detail}\r\n  - { maxLeaked: 0 }` })) }
      : run,
  );
  const { text } = starterPolicy(report, `keyhole audit ${hostile}`);
  const policy = parsePolicy(text, POLICY_FILE);
  t.is(policy.entries.length, 4);
  t.true(policy.entries.every((e) => e.maxLeaked === undefined));
  t.deepEqual(policy.entries.filter((e) => e.scenario !== null).map((e) => e.scenario), [['stolen-phone'], [hostile], [hostile]]);
  t.deepEqual(evaluatePolicy(policy, report.runs), []);
});

test('keyhole init with a plugin: the policy pins its target, and both CI jobs load the plugin (merge needs its claims)', (t) => {
  const dir = emptyFolder(t);
  const plugin = fileURLToPath(new URL('./fixtures/plugins/extras.mjs', import.meta.url));
  const result = keyhole(['init', '--plugin', plugin, '-t', 'server-side', '-a', 'network,stored-bytes', STOLEN_PHONE], { cwd: dir });
  t.is(result.status, 0, result.stderr);
  const policyText = readFileSync(join(dir, POLICY_FILE), 'utf8');
  t.true(policyText.includes(`--plugin ${plugin}`), policyText.slice(0, 400));
  const workflow = parseYaml(readFileSync(join(dir, WORKFLOW_FILE), 'utf8'));
  t.is(workflow.jobs.audit.steps.at(-1).with.plugins, plugin);
  t.is(workflow.jobs.report.steps.at(-1).with.plugins, plugin);
  // The command the policy names runs again, plugin and all, and the policy holds for it.
  const audit = keyhole(['audit', '--plugin', plugin, '-t', 'server-side', '-a', 'network,stored-bytes', '--policy', POLICY_FILE, '-r', 'json', '-o', 'report', STOLEN_PHONE], { cwd: dir });
  t.is(audit.status, 0, audit.stderr);
});
