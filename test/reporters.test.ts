import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

import type { Report } from '../harness/report/types.ts';
import { escapeHtml, renderHtml } from '../reports/html.ts';
import { escapeXml, renderJunit } from '../reports/junit.ts';
import { renderList } from '../reports/list.ts';
import { mdEscape, renderMarkdown } from '../reports/md.ts';
import { reporters } from '../reports/registry.ts';
import { renderSarif } from '../reports/sarif.ts';
import { renderSummary } from '../reports/summary.ts';
import { ALERT_PAYLOAD, ERROR_TEXT, PROBE_PAYLOAD, cleanReport, reportWithChecks, reportWithLeaks } from './fixtures/report-with-leaks.ts';

const ESCAPED_ALERT = '&lt;img src=x onerror=alert(1)&gt;';
const ESCAPED_PROBE = '&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;';

// ---------------------------------------------------------------- list

test('list: control and bidirectional characters of a (merged) report reach the terminal escaped, long names cut', (t) => {
  const report = reportWithLeaks();
  const run = report.runs[0]!;
  run.target = `signal\u001b]0;pwned\u0007`;
  run.scenario = 'x'.repeat(100_000);
  report.runs.push({ ...run, adversary: 'server', status: 'error', error: 'boom\u001b[2J\n  ✗ forged · line · here: everything is fine \u202Eevil' });
  report.violations.push({ target: 'signal', scenario: 'stolen\u009B2J', adversary: 'network', property: 'confidentiality', detail: 'bad\rline' });
  const out = renderList(report, false);
  t.false(/[\p{Cc}\p{Cf}]/u.test(out.replaceAll('\n', '')), JSON.stringify(out));
  t.true(out.includes('signal\\u001b]0;pwned\\u0007'), out);
  t.true(out.includes('boom\\u001b[2J\\n  ✗ forged · line · here: everything is fine \\u202eevil'), out);
  t.true(out.includes('stolen\\u009b2J') && out.includes('bad\\rline'), out);
  t.false(out.includes('x'.repeat(101)), 'a 100,000-character name is cut');
  t.false(out.split('\n').some((line) => line.startsWith('  ✗ forged')), 'no forged line');
});

// ---------------------------------------------------------------- registry

test('the registry keeps list and json and adds md, html, junit, sarif and github with their files', async (t) => {
  t.truthy(reporters.list);
  t.deepEqual(reporters.json?.files.map((file) => file.name), ['report.json']);
  t.deepEqual(reporters.github?.files, []);
  const expected = { md: ['report.md', 'report-summary.md'], html: ['index.html'], junit: ['junit.xml'], sarif: ['report.sarif'] };
  const outDir = mkdtempSync(join(tmpdir(), 'keyhole-reporters-'));
  try {
    for (const [name, files] of Object.entries(expected)) {
      const entry = reporters[name];
      if (!entry) return t.fail(`reporter ${name} is not registered`);
      t.deepEqual(entry.files.map((file) => file.name), files, name);
      t.true(entry.description.length > 0);
      const written = await entry.create({ outDir, stdout: process.stdout, color: false }).onEnd(reportWithLeaks());
      t.deepEqual(typeof written === 'string' ? [written] : written, files.map((file) => join(outDir, file)));
      for (const file of files) t.true(readFileSync(join(outDir, file), 'utf8').length > 100, `${file} was written`);
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------- md

test('md: title, verdict, matrix, violated claims and failed runs', (t) => {
  const md = renderMarkdown(reportWithLeaks());
  const lines = md.split('\n');
  t.is(lines[0], '# keyhole report');
  t.true(lines.includes('**✗ 2 violated claims, 1 failed run**'));
  const header = lines.indexOf('| target \\ adversary | network | stolen-device |');
  t.true(header > 0, 'matrix header');
  t.is(lines[header + 1], '|---|:---:|:---:|');
  t.is(lines[header + 2], '| **signal** | 0/7 | n/a |');
  t.is(lines[header + 3], '| **escrow** | 0/4 ⚠ 1 error | 3/9 +3 exposed ✗ fs, pcs |');
  t.true(lines.includes('## Violated claims (2)'));
  t.is(lines.filter((l) => l.startsWith('- ✗ **escrow** · stolen-phone · stolen-device · **')).length, 2);
  t.true(lines.includes('## Failed runs (1)'));
  t.true(lines.some((l) => l.startsWith('- ⚠ **escrow** · group-chat · network: target threw')));
});

test('md: a clean report says every design kept its claims', (t) => {
  const md = renderMarkdown(cleanReport());
  t.true(md.includes('**✓ every design kept its claims**'));
  t.false(md.includes('## Violated claims'));
  t.false(md.includes('## Failed runs'));
});

test('md: one collapsible block per run with status, notes, properties and messages', (t) => {
  const report = reportWithLeaks();
  const md = renderMarkdown(report);
  t.is(md.match(/^<details>$/gm)?.length, report.runs.length);
  t.is(md.match(/^<\/details>$/gm)?.length, report.runs.length);
  t.is(md.match(/^<summary>.*<\/summary>$/gm)?.length, report.runs.length);
  t.is(md.match(/^\| id \| from \| to \| step \| class \| delivered \| verified \| leaked \| via \| noticed \|$/gm)?.length, 5, 'one messages table per ok run');
  t.is(md.match(/^\| property \| verdict \| claimed \| detail \| healedAfter \|$/gm)?.length, 5, 'one properties table per ok run');
  t.regex(md, /^\| post-compromise-security \| \*\*✗ violated\*\* \| yes \| .* \| never \|$/m);
  t.regex(md, /^\| post-compromise-security \| holds \| yes \| .* \| 0 \|$/m);
  t.regex(md, /^- status: \*\*error\*\*$/m);
  t.regex(md, /^- strike: step 3$/m);
  t.regex(md, /^- marks: seizure \(step 3\)$/m);
  t.regex(md, /^\| m7 \| alice\.phone \| bob \| 6 \| after \| no \| no \| no \| {2}\| {2}\|$/m);
  t.regex(md, /^\| m6 \| bob\.phone \| alice \| 5 \| after \| yes \| no \| \*\*leaked\*\* \| decrypt \| {2}\|$/m);
});

test('md: report text is escaped for Markdown and HTML', (t) => {
  const md = renderMarkdown(reportWithLeaks());
  t.false(md.includes('<img'), 'no raw markup from the report');
  t.true(md.includes(ESCAPED_ALERT));
  t.true(md.includes('&lt;img src=x onerror=&quot;window.&#95;&#95;xss=1&quot;&gt;'));
  t.false(md.includes('`'), 'no backtick survives: none can open a code span');
  t.true(md.includes('&#96;tick&#96;'));
  t.true(md.includes('pipe&#124;id'));
  // A newline in a detail does not end the table row.
  t.regex(md, /^\| forward-secrecy \| \*\*✗ violated\*\* \| yes \| 1 before message leaked: .* via escrow &#124; see &#96;escrow&#96;<br>second line \|  \|$/m);
  // Every row of every table has as many cell separators as its header.
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('|') || (i > 0 && lines[i - 1]!.startsWith('|'))) continue;
    const width = lines[i]!.split('|').length;
    for (let j = i; j < lines.length && lines[j]!.startsWith('|'); j++) t.is(lines[j]!.split('|').length, width, `table row: ${lines[j]}`);
  }
});

test('mdEscape turns Markdown and HTML syntax into references and newlines into <br>', (t) => {
  t.is(mdEscape('a|b'), 'a&#124;b');
  t.is(mdEscape('<b>&"\''), '&lt;b&gt;&amp;&quot;&#39;');
  t.is(mdEscape('`x` *y* _z_ [l](u) \\'), '&#96;x&#96; &#42;y&#42; &#95;z&#95; &#91;l&#93;(u) &#92;');
  t.is(mdEscape('one\ntwo\r\nthree'), 'one<br>two<br>three');
  t.is(mdEscape('@team #12 $x$ ~~s~~'), '&#64;team &#35;12 &#36;x&#36; &#126;&#126;s&#126;&#126;');
});

test('mdEscape shows no control, bidirectional or invisible character, and forms no link (CVE-2021-42574)', (t) => {
  t.is(mdEscape('a\u001b[2Jb\u009bc\u202ed\u2066e\u200bf\u{e0041}g\ud800h'), 'a &#91;2Jb c d e f g h');
  t.is(mdEscape('see https://evil.example/x, WWW.evil.example, mailto:x at 10:30'), 'see https&#58;//evil.example/x, WWW&#46;evil.example, mailto&#58;x at 10:30');
});

test('md: shard, policy failures and baseline regressions count in the verdict and are listed', (t) => {
  const md = renderMarkdown(reportWithChecks());
  const lines = md.split('\n');
  t.true(lines.includes('**✗ 2 violated claims, 1 failed run, 2 failed policy expectations, 1 regression**'));
  t.regex(md, / · shard 2\/3 of 24 runs · /);
  t.true(lines.includes('## Policy policy.yaml'));
  t.true(lines.includes('- ✗ expect[0] **escrow** · stolen-phone · stolen-device · **forward-secrecy**: expected holds, got violated'));
  t.true(lines.includes('- ✗ expect[1] **escrow** · stolen-phone · stolen-device: expected at most 0 leaked messages, got 5 leaked messages (&lt;img src=x onerror=alert(1)&gt;, pipe&#124;id, ...)'));
  t.true(lines.includes('## Baseline baseline/report.json'));
  t.is(lines.filter((l) => l.startsWith('- ✗ escrow · stolen-phone · stolen-device: message &lt;img')).length, 1);
  t.true(lines.includes('- new message &#96;tick&#96; not in the baseline'));
  t.false(md.includes('<img'));

  const clean = renderMarkdown({ ...cleanReport(), policy: { file: 'p.yaml', failures: [] }, baseline: { file: 'b.json', regressions: [], notes: [] } });
  t.true(clean.includes('**✓ every design kept its claims**'));
  t.true(clean.includes('✓ every expectation holds'));
  t.true(clean.includes('✓ nothing got worse'));
});

// ---------------------------------------------------------------- html

test('html: one self-contained file, nothing loaded from anywhere', (t) => {
  const html = renderHtml(reportWithLeaks());
  t.true(html.startsWith('<!doctype html>'));
  t.notRegex(html, /<script[^>]*\ssrc\s*=/i);
  t.notRegex(html, /<link\b/i);
  t.notRegex(html, /<iframe|<object|<embed/i);
  const tags = html.match(/<[a-z][^>]*>/gi) ?? [];
  t.true(tags.length > 100);
  for (const tag of tags) {
    // Every attribute this reporter writes is double-quoted, with quotes inside escaped.
    for (const [, name, value = ''] of tag.matchAll(/\s([^\s="'>/]+)(?:="([^"]*)")?/g)) {
      t.notRegex(name!, /^on/i, `no event handler: ${tag}`);
      t.false(['src', 'srcset', 'action', 'formaction', 'poster', 'data', 'background'].includes(name!.toLowerCase()), `nothing loaded: ${tag}`);
      if (name!.toLowerCase() === 'href') t.regex(value, /^#/, `links are fragments: ${tag}`);
    }
  }
  t.notRegex(html, /@import|url\(/i, 'no CSS loads anything');
  t.false(html.includes('http://'));
  t.false(html.includes('https://'));
  t.is(html.match(/<script/g)?.length, 1, 'one inline script');
  const script = html.match(/<script>([\s\S]*?)<\/script>/)?.[1];
  if (script === undefined) return t.fail('no inline script');
  t.notRegex(script, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|Function\(/);
  t.false(html.includes('innerHTML'));
  t.regex(html, /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;;/);
});

test('html: report text is escaped everywhere', (t) => {
  const html = renderHtml(reportWithLeaks());
  t.false(html.includes('<img'), 'no raw markup from the report');
  t.false(html.includes('onerror="'), 'no raw attribute from the report');
  t.true(html.includes(ESCAPED_ALERT));
  t.true(html.includes(ESCAPED_PROBE));
  t.true(html.includes(escapeHtml(ERROR_TEXT)));
  // In a title attribute too.
  t.true(html.includes(`title="${escapeHtml(PROBE_PAYLOAD)} · alice.phone → bob · step 4 · after`));
});

test('html: heat map, timelines with strike point and legend are in the page', (t) => {
  const report = reportWithLeaks();
  const html = renderHtml(report);
  t.is(html.match(/<details class="run /g)?.length, report.runs.length);
  t.is(html.match(/<li class="chip /g)?.length, report.runs.reduce((n, r) => n + r.messages.length, 0));
  t.is(html.match(/<li class="strike"/g)?.length, 2);
  t.regex(html, /<td class="cell claim-broken violated"[^>]*><a href="#run-5"><span class="ratio">3\/9<\/span><span class="exposed">\+3 exposed<\/span><span class="broken">✗ fs, pcs<\/span>/);
  t.regex(html, /<td class="na"[^>]*><a href="#run-1">n\/a<\/a><\/td>/);
  t.regex(html, /<section id="legend">/);
  t.true(html.includes('<span class="via">escrow</span>'));
});

test('html: policy failures and baseline regressions are listed and escaped', (t) => {
  const html = renderHtml(reportWithChecks());
  t.regex(html, /<p class="verdict bad" id="verdict">✗ 2 violated claims, 1 failed run, 2 failed policy expectations, 1 regression<\/p>/);
  t.regex(html, /<section id="policy"><h2>Policy policy\.yaml<\/h2>/);
  t.is(html.match(/<span class="badge claim-broken">✗ expect\[\d\]<\/span>/g)?.length, 2);
  t.regex(html, /<section id="baseline">/);
  t.true(html.includes(`message ${ESCAPED_PROBE} was not leaked, now leaked (via decrypt)`));
  t.true(html.includes('shard 2/3 of 24 runs'));
  t.false(html.includes('<img'));
});

test('escapeHtml escapes the five special characters', (t) => {
  t.is(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  t.is(escapeHtml(42), '42');
});

// ---------------------------------------------------------------- junit

const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: true,
  isArray: (name) => ['testsuite', 'testcase', 'failure', 'error', 'skipped', 'property'].includes(name),
});

interface XmlCase {
  '@_classname': string;
  '@_name': string;
  failure?: Array<{ '@_message': string; '#text'?: string }>;
  error?: Array<{ '@_message': string; '#text'?: string }>;
  skipped?: Array<{ '@_message': string }>;
}
interface XmlSuite {
  '@_name': string;
  '@_tests': string;
  '@_failures': string;
  '@_errors': string;
  '@_skipped': string;
  testcase: XmlCase[];
}

function parseJunit(xml: string): { root: Record<string, string>; suites: XmlSuite[] } {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`junit.xml is not well-formed: ${JSON.stringify(valid.err)}`);
  const doc = xmlParser.parse(xml) as { testsuites: Record<string, string> & { testsuite: XmlSuite[] } };
  return { root: doc.testsuites, suites: doc.testsuites.testsuite };
}

test('junit: well-formed, one suite per target, one testcase per claim, counts right', (t) => {
  const { root, suites } = parseJunit(renderJunit(reportWithLeaks()));
  t.like(root, { '@_tests': '12', '@_failures': '2', '@_errors': '1', '@_skipped': '3' });
  t.deepEqual(
    suites.map((s) => [s['@_name'], s['@_tests'], s['@_failures'], s['@_errors'], s['@_skipped']]),
    [
      ['signal', '4', '0', '0', '2'],
      ['escrow', '8', '2', '1', '1'],
    ],
  );
  for (const suite of suites) {
    t.is(String(suite.testcase.length), suite['@_tests']);
    t.is(String(suite.testcase.filter((c) => c.failure).length), suite['@_failures']);
    t.is(String(suite.testcase.filter((c) => c.error).length), suite['@_errors']);
    t.is(String(suite.testcase.filter((c) => c.skipped).length), suite['@_skipped']);
  }
  const cases = suites.flatMap((s) => s.testcase);
  t.deepEqual(
    cases.map((c) => `${c['@_classname']} ${c['@_name']}`),
    [
      'signal.stolen-phone network / confidentiality',
      'signal.stolen-phone stolen-device',
      'signal.group-chat network / confidentiality',
      'signal.group-chat stolen-device',
      'escrow.stolen-phone network / confidentiality',
      'escrow.stolen-phone network / authentication',
      'escrow.stolen-phone stolen-device / confidentiality',
      'escrow.stolen-phone stolen-device / forward-secrecy',
      'escrow.stolen-phone stolen-device / post-compromise-security',
      'escrow.group-chat network',
      'escrow.group-chat stolen-device / forward-secrecy',
      'escrow.group-chat stolen-device / post-compromise-security',
    ],
  );
});

test('junit: failures and errors carry the report text exactly, once parsed', (t) => {
  const report = reportWithLeaks();
  const { suites } = parseJunit(renderJunit(report));
  const cases = suites.flatMap((s) => s.testcase);
  const fs = cases.find((c) => c['@_name'] === 'stolen-device / forward-secrecy' && c['@_classname'] === 'escrow.stolen-phone');
  const detail = report.violations.find((v) => v.property === 'forward-secrecy')!.detail;
  t.true(detail.includes('\n') && detail.includes('<img') && detail.includes('|') && detail.includes('`'));
  t.is(fs?.failure?.[0]?.['@_message'], `forward-secrecy violated: ${detail}`);
  t.true(fs?.failure?.[0]?.['#text']?.includes(`${ALERT_PAYLOAD}: alice.phone -> bob, step 0, before, via escrow`));
  const error = cases.find((c) => c.error);
  t.is(error?.error?.[0]?.['@_message'], ERROR_TEXT);
  t.is(error?.['@_classname'], 'escrow.group-chat');
  const skipped = cases.filter((c) => c.skipped).map((c) => c.skipped![0]!['@_message']);
  t.true(skipped.some((m) => m.startsWith('not applicable: stolen-device needs parameters')));
  t.true(skipped.includes('not-applicable: a passive adversary forges nothing'));
});

test('junit: policy and baseline suites when the report has them', (t) => {
  const { root, suites } = parseJunit(renderJunit(reportWithChecks()));
  t.like(root, { '@_tests': '15', '@_failures': '5', '@_errors': '1', '@_skipped': '3' });
  t.deepEqual(
    suites.map((s) => [s['@_name'], s['@_tests'], s['@_failures']]),
    [
      ['signal', '4', '0'],
      ['escrow', '8', '2'],
      ['policy', '2', '2'],
      ['baseline', '1', '1'],
    ],
  );
  const baseline = suites[3]!.testcase[0]!;
  t.is(baseline['@_name'], `stolen-device / message / ${PROBE_PAYLOAD}`);
  t.is(baseline.failure?.[0]?.['@_message'], `escrow · stolen-phone · stolen-device: message ${PROBE_PAYLOAD} was not leaked, now leaked (via decrypt)`);
  const clean = parseJunit(renderJunit({ ...cleanReport(), policy: { file: 'p.yaml', failures: [] }, baseline: { file: 'b.json', regressions: [], notes: [] } }));
  t.like(clean.root, { '@_tests': '6', '@_failures': '0', '@_errors': '0', '@_skipped': '2' });
});

test('junit: characters XML cannot hold do not break the file', (t) => {
  const report = reportWithLeaks();
  const run = report.runs.find((r) => r.status === 'error')!;
  run.error = 'NUL\u0000 ESC\u001b lone \ud800 surrogate, emoji 🔑 & ]]> <x/>';
  const { suites } = parseJunit(renderJunit(report));
  const error = suites.flatMap((s) => s.testcase).find((c) => c.error);
  t.is(error?.error?.[0]?.['@_message'], 'NUL\uFFFD ESC\uFFFD lone \uFFFD surrogate, emoji 🔑 & ]]> <x/>');
  t.is(escapeXml('a\tb\nc', true), 'a&#9;b&#10;c');
  t.is(escapeXml('a\tb\nc'), 'a\tb\nc');
});

// ---------------------------------------------------------------- sarif

interface SarifLog {
  $schema: string;
  version: string;
  runs: Array<{
    tool: { driver: { name: string; version: string; rules: Array<{ id: string; shortDescription: { text: string }; fullDescription: { text: string }; help: { text: string }; properties: { 'security-severity': string; tags: string[] } }> } };
    invocations: Array<{ executionSuccessful: boolean; toolExecutionNotifications?: Array<{ level: string; message: { text: string } }> }>;
    results: Array<{
      ruleId: string;
      ruleIndex: number;
      level: string;
      message: { text: string };
      locations: Array<{ logicalLocations: Array<{ name: string; fullyQualifiedName: string }> }>;
      partialFingerprints: Record<string, string>;
    }>;
  }>;
}

test('sarif: 2.1.0 with keyhole as the tool and a rule per property carrying security-severity', (t) => {
  const log = JSON.parse(renderSarif(reportWithLeaks())) as SarifLog;
  t.is(log.version, '2.1.0');
  t.is(log.$schema, 'https://json.schemastore.org/sarif-2.1.0.json');
  t.is(log.runs.length, 1);
  const { driver } = log.runs[0]!.tool;
  t.is(driver.name, 'keyhole');
  t.is(driver.version, '0.1.0');
  const severity = Object.fromEntries(driver.rules.map((r) => [r.id, r.properties['security-severity']]));
  t.deepEqual(severity, {
    'keyhole/confidentiality': '9.0',
    'keyhole/forward-secrecy': '7.5',
    'keyhole/post-compromise-security': '7.0',
    'keyhole/authentication': '8.5',
    'keyhole/replay': '6.5',
    'keyhole/membership': '8.0',
    'keyhole/detection': '7.0',
    'keyhole/sender-anonymity': '5.0',
    'keyhole/metadata': '3.0',
  });
  for (const rule of driver.rules) {
    t.true(rule.properties.tags.includes('security'), rule.id);
    t.true(rule.shortDescription.text.length > 0 && rule.fullDescription.text.length > 0 && rule.help.text.length > 0, rule.id);
    t.false(Number.isNaN(Number(rule.properties['security-severity'])), rule.id);
  }
});

test('sarif: one error result per violated claim, located at the scenario', (t) => {
  const report = reportWithLeaks();
  const log = JSON.parse(renderSarif(report)) as SarifLog;
  const run = log.runs[0]!;
  t.is(run.results.length, report.violations.length);
  t.is(run.results.length, 2);
  for (const [i, result] of run.results.entries()) {
    const v = report.violations[i]!;
    t.is(result.ruleId, `keyhole/${v.property}`);
    t.is(run.tool.driver.rules[result.ruleIndex]?.id, result.ruleId);
    t.is(result.level, 'error');
    for (const part of [v.target, v.scenario, v.adversary, v.detail]) t.true(result.message.text.includes(part), part);
    t.is(result.locations[0]?.logicalLocations[0]?.name, v.scenario);
    t.is(result.locations[0]?.logicalLocations[0]?.fullyQualifiedName, `${v.target}/${v.scenario}/${v.adversary}`);
  }
  const notes = run.invocations[0]?.toolExecutionNotifications ?? [];
  t.is(notes.length, 1);
  t.true(notes[0]!.message.text.includes(ERROR_TEXT));
  t.is((JSON.parse(renderSarif(cleanReport())) as SarifLog).runs[0]!.results.length, 0);
});

test('sarif: fingerprints are stable across renders and distinct across findings', (t) => {
  const first = JSON.parse(renderSarif(reportWithLeaks())) as SarifLog;
  const later: Report = { ...reportWithLeaks(), timing: { startedAt: '2025-06-01T12:00:00.000Z', durationMs: 99 } };
  later.runs.forEach((r) => r.properties.forEach((p) => (p.detail = `${p.detail} (reworded)`)));
  const second = JSON.parse(renderSarif(later)) as SarifLog;
  const prints = (log: SarifLog) => log.runs[0]!.results.map((r) => Object.values(r.partialFingerprints));
  t.deepEqual(prints(first), prints(second));
  const all = prints(first).flat();
  t.is(all.length, 2);
  t.is(new Set(all).size, 2);
  for (const print of all) t.regex(print, /^[0-9a-f]{64}$/);
  const expected = createHash('sha256').update('escrow|stolen-phone|stolen-device|forward-secrecy').digest('hex');
  t.is(first.runs[0]!.results[0]!.partialFingerprints['keyholeFinding/v1'], expected);
});

// ---------------------------------------------------------------- entitlement and claim scope

/** The fixture with escrow's claims against stolen-device dropped: its leaks beyond entitlement break no claim. */
function unclaimedBreach(): Report {
  const report = reportWithLeaks();
  for (const run of report.runs) {
    if (run.adversary !== 'stolen-device') continue;
    for (const p of run.properties) p.claimed = false;
  }
  return { ...report, violations: [] };
}

/** Only the entitled messages leaked: a removed member reading what it received while a member. */
function onlyExposedLeaks(): Report {
  const report = reportWithLeaks();
  const run = report.runs.find((r) => r.target === 'escrow' && r.scenario === 'group-chat' && r.adversary === 'stolen-device')!;
  return { ...report, runs: [run], violations: [] };
}

test('matrix cells count breaches beyond entitlement, the exposed apart, and mark what the design claimed', (t) => {
  const cells = (report: Report) => {
    const md = renderMarkdown(report).split('\n');
    const header = md.findIndex((l) => l.startsWith('| target \\ adversary |'));
    return md.slice(header + 2).filter((l) => l.startsWith('| **'));
  };
  t.deepEqual(cells(reportWithLeaks()), ['| **signal** | 0/7 | n/a |', '| **escrow** | 0/4 ⚠ 1 error | 3/9 +3 exposed ✗ fs, pcs |']);
  t.deepEqual(cells(unclaimedBreach()), ['| **signal** | 0/7 | n/a |', '| **escrow** | 0/4 ⚠ 1 error | 3/9 +3 exposed unclaimed |']);
  t.deepEqual(cells(onlyExposedLeaks()), ['| **escrow** | 0/3 +1 exposed |']);

  const list = renderList(unclaimedBreach(), false);
  t.regex(list, /│ escrow +│ 0\/4 1 error +│ 3\/9 \+3 exposed unclaimed +│/);
  t.regex(list, /^\+n exposed: leaked messages the adversary was entitled to/m);
  t.regex(renderList(reportWithLeaks(), false), /│ 3\/9 \+3 exposed ✗ fs,pcs +│/);

  const hue = (html: string, standing: string) => html.match(new RegExp(`<td class="cell ${standing}[^"]*" style="background: hsl\\((\\d+) `))?.[1];
  t.is(hue(renderHtml(reportWithLeaks()), 'claim-broken'), '0', 'a broken claim is red');
  t.is(hue(renderHtml(unclaimedBreach()), 'unclaimed-breach'), '40', 'an unclaimed breach is amber');
  t.is(hue(renderHtml(onlyExposedLeaks()), 'within-entitlement'), '140', 'nothing beyond entitlement is green');
  t.regex(renderHtml(unclaimedBreach()), /<span class="ratio">3\/9<\/span><span class="exposed">\+3 exposed<\/span><span class="unclaimed">unclaimed<\/span>/);
});

test('a violation outside the claim\'s scope reads "violated, not claimed for ..." in every report, and is no claim violation', (t) => {
  const report = reportWithLeaks();
  t.false(report.violations.some((v) => v.property === 'confidentiality'));
  const md = renderMarkdown(report);
  t.regex(md, /^\| confidentiality \| violated, not claimed for unverified messages \| yes \| 3 messages leaked: .* \|  \|$/m);
  const html = renderHtml(report);
  t.true(html.includes('<span class="badge violated unclaimed">violated, not claimed for unverified messages</span>'));
  t.false(html.includes('<span class="badge claim-broken">✗ confidentiality</span>'));
  const { suites } = parseJunit(renderJunit(report));
  const junitCase = suites.flatMap((s) => s.testcase).find((c) => c['@_classname'] === 'escrow.stolen-phone' && c['@_name'] === 'stolen-device / confidentiality');
  t.is(junitCase?.failure, undefined);
  t.regex(String((junitCase as { 'system-out'?: unknown } | undefined)?.['system-out']), /^violated, not claimed for unverified messages: 3 messages leaked/);
  t.false(JSON.parse(renderSarif(report)).runs[0].results.some((r: { ruleId: string }) => r.ruleId === 'keyhole/confidentiality'));
});

test('junit and sarif count the messages obtained beyond entitlement', (t) => {
  const report = reportWithLeaks();
  const { suites } = parseJunit(renderJunit(report));
  const fs = suites.flatMap((s) => s.testcase).find((c) => c['@_classname'] === 'escrow.stolen-phone' && c['@_name'] === 'stolen-device / forward-secrecy');
  t.true(fs?.failure?.[0]?.['#text']?.includes('leaked messages (5 of 6, 3 beyond entitlement):'));
  const result = (JSON.parse(renderSarif(report)) as { runs: Array<{ results: Array<{ properties: Record<string, unknown> }> }> }).runs[0]!.results[0]!;
  t.like(result.properties, { leaked: 5, breached: 3, messages: 6 });
});

// ---------------------------------------------------------------- long runs

test('md and html list a long run by its leaked and undelivered messages, saying how many they leave out', (t) => {
  const report = cleanReport();
  const run = report.runs.find((r) => r.messages.length > 0) ?? report.runs[0]!;
  const template = run.messages[0] ?? { id: 'x', from: 'alice.phone', to: 'bob', step: 0, delivered: true, verified: false, class: 'unrelated' as const, leaked: false, via: null };
  run.messages = Array.from({ length: 1200 }, (_, i) => ({
    ...template,
    id: `long-${i}`,
    step: i,
    leaked: i === 10 || i === 700,
    via: i === 10 || i === 700 ? 'cleartext' : null,
    delivered: i !== 999,
  }));
  run.summary = { messages: 1200, leaked: 2, breached: 2 };
  const md = renderMarkdown(report);
  t.regex(md, /_the 3 leaked, undelivered or unreadable messages are listed, of 1,200; every message is in report.json_/);
  t.deepEqual(md.match(/\| long-\d+ \|/g), ['| long-10 |', '| long-700 |', '| long-999 |']);
  const html = renderHtml(report);
  t.true(html.includes('the 3 leaked, undelivered or unreadable messages are listed, of 1,200; every message is in report.json'));
  t.false(html.includes('long-11'));
  t.true(html.includes('long-700'));
});

test('a run that could not settle a property, claimed or not, shows ? in every matrix and in its headline: its count is a lower bound, never a pass', (t) => {
  // A design without the hook an attack needs (quantum without reconstructDevice) reads nothing
  // and records `inconclusive`; a bare 0/n would read as "holds".
  const report = cleanReport();
  const run = report.runs.find((r) => r.status === 'ok')!;
  run.properties = run.properties.map((p) => (p.property === 'confidentiality' ? { ...p, verdict: 'inconclusive', claimed: false } : p));
  const md = renderMarkdown(report);
  const cell = md.split('\n').find((l) => l.startsWith(`| **${run.target}** |`))!;
  t.regex(cell, /\? conf/, cell);
  t.true(md.includes(`<summary>? <b>${run.target}</b> · ${run.scenario} · ${run.adversary}: ${run.summary.leaked}/${run.summary.messages} leaked; inconclusive: confidentiality</summary>`), md);
  t.regex(md, /\? properties the attack could not settle \(inconclusive\): the count is a lower bound/);
  t.regex(renderList(report, false), /│ \d+\/\d+ \? conf +│/);
  const html = renderHtml(report);
  t.regex(html, /<span class="unsettled">\? conf<\/span>/);
  t.regex(html, /<span class="badge inconclusive">\? confidentiality inconclusive<\/span>/);
  t.regex(renderSummary(report), new RegExp(`\\| \\*\\*${run.target}\\*\\* \\|[^\\n]*\\? conf`));
  t.false(renderMarkdown(cleanReport()).includes('inconclusive: '), 'a settled report shows none');
});
