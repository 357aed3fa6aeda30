/**
 * The `github` reporter: workflow annotations located at the scenario's steps, the summary
 * appended to the job summary, and no workflow command smuggled in by report text.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import test from 'ava';

import type { Report } from '../harness/report/types.ts';
import { escapeData, escapeProperty, githubReporterFor, MAX_ANNOTATIONS, repositoryPath } from '../reports/github.ts';
import { renderSummary } from '../reports/summary.ts';
import type { ScenarioSource } from '../reports/types.ts';
import { keyhole } from './helpers/cli.ts';
import { ALERT_PAYLOAD, PROBE_PAYLOAD, reportWithChecks } from './fixtures/report-with-leaks.ts';

/** Strings that would add a property, end the command's line or start a command of their own if not escaped. */
const INJECT_PROPERTY = 'stolen,file=/etc/passwd,line=1::phone';
const INJECT_LINE = 'first line\n::warning title=injected::second line\r::add-mask::third';
const PRE_ESCAPED = 'already %0A::notice::escaped %3A%2C 100%25';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

interface ParsedCommand {
  command: string;
  properties: Record<string, string>;
  message: string;
}

/** A line of output as the Actions runner reads a workflow command from it (and unescapes it). */
function parseCommand(line: string): ParsedCommand | null {
  const match = /^::([A-Za-z-]+)(?: (.*?))?::(.*)$/s.exec(line);
  if (!match) return null;
  const unescapeProperty = (v: string) => v.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%');
  const unescapeData = (v: string) => v.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
  const properties: Record<string, string> = {};
  for (const pair of (match[2] ?? '').split(',').filter((p) => p !== '')) {
    const eq = pair.indexOf('=');
    properties[pair.slice(0, eq)] = unescapeProperty(pair.slice(eq + 1));
  }
  return { command: match[1]!, properties, message: unescapeData(match[3]!) };
}

/** reportWithChecks with its stolen-phone scenario renamed to `scenario` and `detail` as the forward-secrecy detail. */
function hostileReport(scenario: string, detail: string): Report {
  const report = reportWithChecks();
  const rename = <T extends { scenario: string }>(item: T): T => (item.scenario === 'stolen-phone' ? { ...item, scenario } : item);
  report.runs = report.runs.map(rename);
  report.violations = report.violations.map(rename).map((v) => (v.property === 'forward-secrecy' ? { ...v, detail } : v));
  report.policy!.failures = report.policy!.failures.map(rename);
  report.baseline!.regressions = report.baseline!.regressions.map(rename);
  return report;
}

function workspace(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyhole-github-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function runReporter(report: Report, env: Record<string, string>, cwd: string, sources: Map<string, ScenarioSource>) {
  const stdout = new Capture();
  const stderr = new Capture();
  const reporter = githubReporterFor(() => ({ env, stderr, cwd })).create({ outDir: join(cwd, 'out'), stdout, color: false, scenarioSources: sources });
  const written = await reporter.onEnd(report);
  return { written, stdout: stdout.text, stderr: stderr.text };
}

test('github on Actions: an annotation per violated claim, failed run, policy failure and regression, at the step that sent the message', async (t) => {
  const dir = workspace(t);
  const summaryFile = join(dir, 'step-summary.md');
  writeFileSync(summaryFile, 'an earlier step wrote this\n');
  const report = hostileReport(INJECT_PROPERTY, `${INJECT_LINE} ${PRE_ESCAPED}`);
  // The stolen-phone steps 0..6 are written on lines 10..16 of scenarios/hostile.yaml.
  const sources = new Map([[INJECT_PROPERTY, { file: 'scenarios/hostile.yaml', stepLines: [10, 11, 12, 13, 14, 15, 16] }]]);
  const { written, stdout, stderr } = await runReporter(report, { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summaryFile, GITHUB_WORKSPACE: dir }, dir, sources);

  t.is(written, null);
  t.is(stderr, '');
  const lines = stdout.trimEnd().split('\n');
  // 2 violated claims, 1 failed run, 2 policy failures, 1 regression: one line each, nothing else.
  t.is(lines.length, 6);
  const commands = lines.map(parseCommand);
  for (const [i, command] of commands.entries()) {
    if (!command) return t.fail(`not a workflow command: ${lines[i]}`);
    t.is(command.command, 'error');
    for (const key of Object.keys(command.properties)) t.true(['title', 'file', 'line'].includes(key), `property ${key}`);
  }
  const [fs, pcs, failedRun, policyVerdict, policyLeaks, regression] = commands as ParsedCommand[];

  // forward-secrecy: the before message that leaked (ALERT_PAYLOAD, step 0).
  t.deepEqual(fs!.properties, { title: 'keyhole: escrow violates its forward-secrecy claim against stolen-device', file: 'scenarios/hostile.yaml', line: '10' });
  t.is(fs!.message, `escrow · ${INJECT_PROPERTY} · stolen-device: forward-secrecy violated: ${INJECT_LINE} ${PRE_ESCAPED}`);
  // post-compromise-security: the last after message that leaked (m6, step 5).
  t.is(pcs!.properties.line, '15');
  t.is(pcs!.message, `escrow · ${INJECT_PROPERTY} · stolen-device: post-compromise-security violated: after messages kept leaking: ${PROBE_PAYLOAD}, m6`);
  // The failed run's scenario (group-chat) is not a file: no location.
  t.deepEqual(Object.keys(failedRun!.properties), ['title']);
  t.regex(failedRun!.message, /^escrow · group-chat · network: target threw/);
  t.is(policyVerdict!.properties.line, '10');
  t.is(policyVerdict!.message, `expect[0] (escrow · ${INJECT_PROPERTY} · stolen-device): forward-secrecy expected holds, got violated`);
  // maxLeaked: the first message that leaked (step 0).
  t.is(policyLeaks!.properties.line, '10');
  t.true(policyLeaks!.message.includes(ALERT_PAYLOAD));
  // The regression of message PROBE_PAYLOAD, sent at step 4.
  t.is(regression!.properties.file, 'scenarios/hostile.yaml');
  t.is(regression!.properties.line, '14');

  t.is(readFileSync(summaryFile, 'utf8'), `an earlier step wrote this\n${renderSummary(report)}`);
});

test('github: a hostile scenario name or detail cannot add a property, end the line or start a command', async (t) => {
  const dir = workspace(t);
  const report = hostileReport(`${INJECT_PROPERTY}${INJECT_LINE}`, `${PRE_ESCAPED}\n::error file=x.yaml::forged`);
  const sources = new Map([[`${INJECT_PROPERTY}${INJECT_LINE}`, { file: 'a,b::c.yaml', stepLines: [1, 2, 3, 4, 5, 6, 7] }]]);
  const { stdout } = await runReporter(report, { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: join(dir, 's.md'), GITHUB_WORKSPACE: dir }, dir, sources);
  const lines = stdout.trimEnd().split('\n');
  t.is(lines.length, 6, 'no newline of the report reaches the output');
  t.false(stdout.includes('\r'));
  for (const line of lines) {
    t.true(line.startsWith('::error title='), line);
    const command = parseCommand(line)!;
    t.deepEqual(
      Object.keys(command.properties).filter((key) => key !== 'title' && key !== 'file' && key !== 'line'),
      [],
    );
    if (command.properties.file !== undefined) t.is(command.properties.file, 'a,b::c.yaml');
  }
  const fs = parseCommand(lines[0]!)!;
  t.is(fs.message, `escrow · ${INJECT_PROPERTY}${INJECT_LINE} · stolen-device: forward-secrecy violated: ${PRE_ESCAPED}\n::error file=x.yaml::forged`);
});

test('github: terminal escapes and bidirectional overrides from a report reach the log as visible escapes (CVE-2021-42574)', async (t) => {
  const dir = workspace(t);
  const report = hostileReport('esc\u001b]0;owned\u0007 \u009b2J', 'detail \u202eevil\u202c \u200b');
  const { stdout } = await runReporter(report, { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: join(dir, 's.md'), GITHUB_WORKSPACE: dir }, dir, new Map());
  t.false(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b\u202a-\u202e]/.test(stdout), JSON.stringify(stdout));
  t.true(stdout.includes('esc\\u001b]0;owned\\u0007 \\u009b2J'));
  t.true(stdout.includes('detail \\u202eevil\\u202c \\u200b'));
});

test('workflow command escaping: % CR LF in data, and : , in properties', (t) => {
  t.is(escapeData('100% a\r\nb: c, d'), '100%25 a%0D%0Ab: c, d');
  t.is(escapeProperty('100% a\r\nb: c, d'), '100%25 a%0D%0Ab%3A c%2C d');
  t.is(escapeProperty('%0A'), '%250A');
});

test('github outside Actions says so on stderr and writes nothing', async (t) => {
  const dir = workspace(t);
  const summaryFile = join(dir, 'step-summary.md');
  for (const env of [{}, { GITHUB_ACTIONS: 'false', GITHUB_STEP_SUMMARY: summaryFile }] as Record<string, string>[]) {
    const { written, stdout, stderr } = await runReporter(reportWithChecks(), env, dir, new Map());
    t.is(written, null);
    t.is(stdout, '');
    t.regex(stderr, /only on GitHub Actions/);
  }
  t.false(existsSync(summaryFile));
});

test('github without GITHUB_STEP_SUMMARY still annotates, and says the summary was not written', async (t) => {
  const dir = workspace(t);
  const { stdout, stderr } = await runReporter(reportWithChecks(), { GITHUB_ACTIONS: 'true' }, dir, new Map());
  t.is(stdout.trimEnd().split('\n').length, 6);
  t.regex(stderr, /GITHUB_STEP_SUMMARY is not set/);
});

test('github caps the annotations and says how many it left out', async (t) => {
  const dir = workspace(t);
  const report = reportWithChecks();
  const violation = report.violations[0]!;
  report.violations = Array.from({ length: MAX_ANNOTATIONS + 5 }, () => violation);
  const { stdout } = await runReporter(report, { GITHUB_ACTIONS: 'true' }, dir, new Map());
  const lines = stdout.trimEnd().split('\n');
  t.is(lines.length, MAX_ANNOTATIONS + 1);
  t.is(lines.at(-1), `::warning title=keyhole::${5 + 4} more findings are not annotated; every one is in report.md`);
});

test('only scenario files of the repository are pointed at: not outside it, not in node_modules', (t) => {
  const root = join(tmpdir(), 'repo');
  t.is(repositoryPath('attacks/scenarios/x.yaml', root, root), 'attacks/scenarios/x.yaml');
  t.is(repositoryPath(join(root, 'a', 'b.yaml'), root, '/elsewhere'), 'a/b.yaml');
  t.is(repositoryPath('../b.yaml', root, join(root, 'sub')), 'b.yaml');
  t.is(repositoryPath('../other/x.yaml', root, root), null);
  t.is(repositoryPath('/etc/x.yaml', root, root), null);
  t.is(repositoryPath('node_modules/keyhole/attacks/scenarios/x.yaml', root, root), null);
  t.is(repositoryPath('..x/y.yaml', root, root), '..x/y.yaml');
});

test('keyhole audit -r github on Actions annotates the step of a scenario file with hostile ids, and merge --scenario does too', (t) => {
  const dir = workspace(t);
  mkdirSync(join(dir, 'scenarios'));
  writeFileSync(
    join(dir, 'scenarios', 'hostile.yaml'),
    [
      'name: "hostile,file=/etc/passwd::x"',
      'users: { alice: [phone], bob: [phone] }',
      'steps:',
      '  - mark: start',
      '  - send: { from: alice, to: bob, id: "a,line=1::b %0A c" }',
      '  - send: { from: bob, to: alice }',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'policy.yaml'), 'expect:\n  - { target: server-side, adversary: server, maxLeaked: 0 }\n');
  const summaryFile = join(dir, 'step-summary.md');
  const env = { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summaryFile, GITHUB_WORKSPACE: dir };
  const audit = keyhole(['audit', 'scenarios/hostile.yaml', '-t', 'server-side', '-a', 'server', '--policy', 'policy.yaml', '--shard', '1/1', '-r', 'json,github', '-o', 'shard', '--quiet'], { cwd: dir, env });
  t.is(audit.status, 1, audit.stderr);
  const expected = [
    '::error title=keyhole%3A policy expectation expect[0] failed (policy.yaml),file=scenarios/hostile.yaml,line=5::' +
      'expect[0] (server-side · hostile,file=/etc/passwd::x · server): expected at most 0 leaked messages, got 2 leaked (a,line=1::b %250A c, m3)',
  ];
  t.deepEqual(audit.stdout.trimEnd().split('\n'), expected);
  t.regex(readFileSync(summaryFile, 'utf8'), /^## keyhole summary$/m);

  rmSync(summaryFile);
  const merge = keyhole(['merge', 'shard/report.json', '--policy', 'policy.yaml', '--scenario', 'scenarios', '-r', 'github', '-o', 'merged', '--quiet'], { cwd: dir, env });
  t.is(merge.status, 1, merge.stderr);
  t.deepEqual(merge.stdout.trimEnd().split('\n'), expected);
  t.true(readFileSync(summaryFile, 'utf8').includes('expect[0]'));
});
