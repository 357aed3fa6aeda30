/**
 * `junit`: junit.xml for CI test views. One `<testsuite>` per target; one `<testcase>` per
 * (target, scenario, adversary, property) the target claims against that adversary:
 * - the claim holds: a passing testcase;
 * - violated outside the claim's scope (`violated, not claimed for groups`): a passing
 *   testcase whose `<system-out>` says so;
 * - violated: `<failure>` with the detail and the leaked messages;
 * - not-applicable or inconclusive: `<skipped>` with why.
 * A run whose target threw is one testcase with `<error>`; a run that is not applicable as a
 * whole is one `<skipped>` testcase, so that no run disappears from the CI view.
 */
import type { Report, RunReport } from '../harness/report/types.ts';
import { isClaimViolation, verdictWording } from '../harness/report/verdicts.ts';
import { fileReporter } from './file-reporter.ts';

/**
 * Escapes text for XML element content; with `attribute`, for a double- or single-quoted
 * attribute value, where line breaks and tabs become references (a parser would otherwise
 * normalise them to spaces). Characters XML 1.0 cannot hold at all (most C0 controls, lone
 * surrogates, U+FFFE/U+FFFF) become U+FFFD.
 */
export function escapeXml(value: unknown, attribute = false): string {
  return String(value)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\uFFFD')
    .replace(attribute ? /[&<>"'\r\n\t]/g : /[&<>"'\r]/g, (ch) => XML_REFERENCES[ch]!);
}

function attr(value: unknown): string {
  return escapeXml(value, true);
}

const XML_REFERENCES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\r': '&#13;',
  '\n': '&#10;',
  '\t': '&#9;',
};

type Outcome =
  | { kind: 'passed'; output?: string }
  | { kind: 'failure'; message: string; body: string }
  | { kind: 'error'; message: string; body: string }
  | { kind: 'skipped'; message: string };

interface TestCase {
  classname: string;
  name: string;
  outcome: Outcome;
}

/** The testcases of one run, in property order. */
export function testCasesOf(run: RunReport): TestCase[] {
  const classname = `${run.target}.${run.scenario}`;
  if (run.status === 'error') {
    const body = [run.error ?? 'unknown error', ...(run.notes ?? []).map((n) => `note: ${n}`)].join('\n');
    return [{ classname, name: run.adversary, outcome: { kind: 'error', message: run.error ?? 'unknown error', body } }];
  }
  const claimed = run.properties.filter((p) => p.claimed);
  if (run.status === 'not-applicable') {
    const why = (run.notes ?? []).join('; ') || 'not applicable';
    if (claimed.length === 0) return [{ classname, name: run.adversary, outcome: { kind: 'skipped', message: `not applicable: ${why}` } }];
    return claimed.map((p) => ({ classname, name: `${run.adversary} / ${p.property}`, outcome: { kind: 'skipped', message: `not applicable: ${p.detail || why}` } }));
  }
  const leaked = run.messages.filter((m) => m.leaked);
  return claimed.map((p): TestCase => {
    const name = `${run.adversary} / ${p.property}`;
    switch (p.verdict) {
      case 'holds':
        return { classname, name, outcome: { kind: 'passed' } };
      case 'violated': {
        if (!isClaimViolation(p)) return { classname, name, outcome: { kind: 'passed', output: `${verdictWording(p)}: ${p.detail}` } };
        const lines = [p.detail];
        if (p.healedAfter !== undefined) lines.push(`healedAfter: ${p.healedAfter === null ? 'never' : p.healedAfter}`);
        if (leaked.length > 0) {
          lines.push(`leaked messages (${leaked.length} of ${run.messages.length}, ${run.summary.breached} beyond entitlement):`);
          for (const m of leaked) lines.push(`  ${m.id}: ${m.from} -> ${m.to}, step ${m.step}, ${m.class}, via ${m.via ?? 'unknown'}`);
        }
        for (const note of run.notes ?? []) lines.push(`note: ${note}`);
        return { classname, name, outcome: { kind: 'failure', message: `${p.property} violated: ${p.detail}`, body: lines.join('\n') } };
      }
      default:
        return { classname, name, outcome: { kind: 'skipped', message: `${p.verdict}: ${p.detail}` } };
    }
  });
}

/**
 * `--policy` and `--baseline` results, when the report has them: a `policy` suite with one
 * failing testcase per failed expectation, a `baseline` suite with one per regression (one
 * passing testcase when there is none).
 */
function checkSuites(report: Report): Map<string, TestCase[]> {
  const suites = new Map<string, TestCase[]>();
  if (report.policy) {
    const { file, failures } = report.policy;
    suites.set(
      'policy',
      failures.length === 0
        ? [{ classname: 'policy', name: file, outcome: { kind: 'passed' } }]
        : failures.map((f) => {
            const message = `expected ${f.expected}, got ${f.actual}`;
            const name = `expect[${f.entry}] ${f.target} / ${f.scenario} / ${f.adversary}${f.property === null ? '' : ` / ${f.property}`}`;
            return { classname: 'policy', name, outcome: { kind: 'failure', message, body: `${file}: ${name}: ${message}` } };
          }),
    );
  }
  if (report.baseline) {
    const { file, regressions, notes } = report.baseline;
    const noteLines = notes.map((n) => `note: ${n}`);
    suites.set(
      'baseline',
      regressions.length === 0
        ? [{ classname: 'baseline', name: file, outcome: { kind: 'passed' } }]
        : regressions.map((r) => ({
            classname: `baseline.${r.target}.${r.scenario}`,
            name: `${r.adversary} / ${r.kind}${r.subject === null ? '' : ` / ${r.subject}`}`,
            outcome: { kind: 'failure', message: r.description, body: [`${file}: was ${r.was}, now ${r.now}`, r.description, ...noteLines].join('\n') },
          })),
    );
  }
  return suites;
}

interface Counts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

function count(cases: TestCase[]): Counts {
  return {
    tests: cases.length,
    failures: cases.filter((c) => c.outcome.kind === 'failure').length,
    errors: cases.filter((c) => c.outcome.kind === 'error').length,
    skipped: cases.filter((c) => c.outcome.kind === 'skipped').length,
  };
}

function countAttributes(c: Counts): string {
  return `tests="${c.tests}" failures="${c.failures}" errors="${c.errors}" skipped="${c.skipped}"`;
}

function renderCase(c: TestCase): string {
  const open = `    <testcase classname="${attr(c.classname)}" name="${attr(c.name)}" time="0"`;
  const o = c.outcome;
  switch (o.kind) {
    case 'passed':
      return o.output === undefined ? `${open}/>` : `${open}>\n      <system-out>${escapeXml(o.output)}</system-out>\n    </testcase>`;
    case 'skipped':
      return `${open}>\n      <skipped message="${attr(o.message)}"/>\n    </testcase>`;
    case 'failure':
      return `${open}>\n      <failure message="${attr(o.message)}" type="violated">${escapeXml(o.body)}</failure>\n    </testcase>`;
    case 'error':
      return `${open}>\n      <error message="${attr(o.message)}" type="error">${escapeXml(o.body)}</error>\n    </testcase>`;
  }
}

export function renderJunit(report: Report): string {
  const byTarget = new Map<string, TestCase[]>();
  for (const run of report.runs) {
    const cases = byTarget.get(run.target) ?? [];
    cases.push(...testCasesOf(run));
    byTarget.set(run.target, cases);
  }
  const all = [...byTarget.values(), ...checkSuites(report).values()].flat();
  const seconds = (report.timing.durationMs / 1000).toFixed(3);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="keyhole" ${countAttributes(count(all))} time="${seconds}">`,
  ];
  let id = 0;
  for (const [target, cases] of byTarget) {
    lines.push(
      `  <testsuite name="${attr(target)}" id="${id++}" ${countAttributes(count(cases))} timestamp="${attr(report.timing.startedAt)}">`,
      '    <properties>',
      `      <property name="keyhole.version" value="${attr(report.tool.version)}"/>`,
      `      <property name="seed" value="${attr(report.seed)}"/>`,
      '    </properties>',
      ...cases.map(renderCase),
      '  </testsuite>',
    );
  }
  for (const [name, cases] of checkSuites(report)) {
    lines.push(`  <testsuite name="${attr(name)}" id="${id++}" ${countAttributes(count(cases))} timestamp="${attr(report.timing.startedAt)}">`, ...cases.map(renderCase), '  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}

export const junitReporter = fileReporter('junit.xml, one testcase per claim', 'junit.xml', renderJunit, '<testsuites name="keyhole"');
