/**
 * What an audit costs beyond the cryptography under it, as findings of the bench run:
 *
 * - `audit throughput`: messages run and judged per second on one thread, in a two-user chat
 *   of 2,000 messages on `signal` with the `node` backend, against the `network` adversary.
 *   Every message answers the one before, so each takes a DH ratchet step: the costliest
 *   chat for the reference messenger.
 * - `audit scaling`: what the 2,000-message chat costs against a 200-message one. Linear
 *   cost makes it 10x; the set-up both share makes it less, anything quadratic more.
 * - `audit workers`: the default audit (every built-in target, scenario and adversary) with
 *   `--workers 2` against one thread, each in a fresh `keyhole audit` process, compared on the
 *   duration the report records (the runs, not the process start). Full runs only: it takes
 *   two default audits.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { adversaries } from '../attacks/registry.ts';
import type { CryptoBackend } from '../harness/crypto/backend.ts';
import type { Report } from '../harness/report/types.ts';
import { CODE_EXEC_ARGV, codeUrl } from '../harness/package-root.ts';
import { BUILT_IN } from '../harness/plugins/registry.ts';
import { executeRun } from '../harness/runner.ts';
import { validateScenario } from '../harness/scenario/load.ts';
import type { Scenario } from '../harness/scenario/types.ts';
import { loadTarget } from '../targets/registry.ts';
import type { Finding } from './hot-path.ts';

export const AUDIT_FINDINGS = {
  throughput: 'audit throughput',
  scaling: 'audit scaling',
  workers: 'audit workers',
} as const;

const CHAT_TARGET = 'signal';
const CHAT_ADVERSARY = 'network';
const SHORT_CHAT = 200;
const LONG_CHAT = 2_000;

const CLI = fileURLToPath(codeUrl('app/cli/main.ts'));

/**
 * A scenario, as a file holds it: two users with a phone each and `messages` sends, each a
 * reply to the one before (so each takes a DH ratchet step); with `seizure`, Bob's phone is
 * seized halfway (a mark and the stolen-device parameters).
 */
export function chatScenario(messages: number, { seizure }: { seizure: boolean }): Record<string, unknown> {
  const steps: unknown[] = [];
  for (let i = 0; i < messages; i++) {
    steps.push({ send: i % 2 === 0 ? { from: 'alice', to: 'bob' } : { from: 'bob', to: 'alice' } });
    if (seizure && i === Math.floor(messages / 2)) steps.push({ mark: 'seizure' });
  }
  return {
    name: `chat-${messages}`,
    users: { alice: ['phone'], bob: ['phone'] },
    steps,
    ...(seizure && { adversaries: { 'stolen-device': { device: 'bob.phone', at: 'seizure' } } }),
  };
}

/** Two users, one phone each, `messages` messages each answering the one before. */
export function alternatingChat(messages: number): Scenario {
  return validateScenario(chatScenario(messages, { seizure: false }), `<bench chat of ${messages}>`, BUILT_IN.loadOptions);
}

/** Milliseconds one run of the chat takes on this thread (median of `repeats`). */
async function timeChat(scenario: Scenario, messages: number, crypto: CryptoBackend, repeats: number): Promise<number> {
  const spec = { design: await loadTarget(CHAT_TARGET)!, scenario, adversary: adversaries[CHAT_ADVERSARY]! };
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    const run = await executeRun(spec, 1, crypto);
    times.push(performance.now() - started);
    if (run.status !== 'ok' || run.messages.length !== messages) {
      throw new Error(`the ${scenario.name} run ended ${run.status}${run.error ? `: ${run.error}` : ''}`);
    }
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** The `durationMs` of a default audit in a fresh process. */
async function defaultAuditMs(workers: number): Promise<number> {
  const out = mkdtempSync(join(tmpdir(), 'keyhole-bench-audit-'));
  try {
    await promisify(execFile)(process.execPath, [...CODE_EXEC_ARGV, CLI, 'audit', '--quiet', '-r', 'json', '-o', out, '--workers', String(workers)], {
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: { code?: unknown; message: string }) => {
      // Exit 1 means a claim was violated: still a complete audit, and still its timing.
      if (error.code !== 1) throw new Error(`keyhole audit --workers ${workers} failed: ${error.message}`);
    });
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
    return report.timing.durationMs;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

export interface AuditFigureOptions {
  backends: readonly CryptoBackend[];
  quick: boolean;
  /** Only the findings whose name it matches; null: all. */
  filter: RegExp | null;
  progress?: (line: string) => void;
}

/** The names the filter selects. */
export function selectedAuditFindings(filter: RegExp | null): string[] {
  return Object.values(AUDIT_FINDINGS).filter((name) => filter === null || filter.test(name));
}

export async function auditFigures(options: AuditFigureOptions): Promise<Finding[]> {
  const wanted = new Set(selectedAuditFindings(options.filter));
  const findings: Finding[] = [];
  const node = options.backends.find((b) => b.name === 'node');

  if (wanted.has(AUDIT_FINDINGS.throughput) || wanted.has(AUDIT_FINDINGS.scaling)) {
    const throughputName = `${AUDIT_FINDINGS.throughput}: messages run and judged per second on one thread (${CHAT_TARGET} on node, ${LONG_CHAT.toLocaleString('en-US')}-message chat, ${CHAT_ADVERSARY})`;
    const scalingName = `${AUDIT_FINDINGS.scaling}: a ${LONG_CHAT.toLocaleString('en-US')}-message chat against a ${SHORT_CHAT}-message one (${CHAT_TARGET} on node)`;
    try {
      if (!node) throw new Error('needs the node backend (--crypto)');
      options.progress?.(`audit: ${SHORT_CHAT}- and ${LONG_CHAT}-message chats`);
      const short = alternatingChat(SHORT_CHAT);
      const long = alternatingChat(LONG_CHAT);
      await timeChat(short, SHORT_CHAT, node, 1); // warm-up: the JIT, SQLite's WebAssembly
      const shortMs = await timeChat(short, SHORT_CHAT, node, options.quick ? 3 : 5);
      const longMs = await timeChat(long, LONG_CHAT, node, options.quick ? 1 : 3);
      const perSecond = (LONG_CHAT * 1000) / longMs;
      if (wanted.has(AUDIT_FINDINGS.throughput)) {
        findings.push({
          name: throughputName,
          value: perSecond,
          unit: 'messages/s',
          goal: '>= 3000',
          met: perSecond >= 3000,
          detail: `${LONG_CHAT.toLocaleString('en-US')} messages in ${(longMs / 1000).toFixed(2)} s (every message a DH ratchet step)`,
        });
      }
      if (wanted.has(AUDIT_FINDINGS.scaling)) {
        const ratio = longMs / shortMs;
        findings.push({
          name: scalingName,
          value: ratio,
          goal: '<= 10 (linear)',
          met: ratio <= 10.5,
          detail: `${(longMs / 1000).toFixed(2)} s against ${(shortMs / 1000).toFixed(3)} s`,
        });
      }
    } catch (error) {
      const detail = `not measured: ${(error as Error).message}`;
      if (wanted.has(AUDIT_FINDINGS.throughput)) findings.push({ name: throughputName, value: null, goal: '>= 3000', met: null, detail });
      if (wanted.has(AUDIT_FINDINGS.scaling)) findings.push({ name: scalingName, value: null, goal: '<= 10 (linear)', met: null, detail });
    }
  }

  if (wanted.has(AUDIT_FINDINGS.workers)) {
    const name = `${AUDIT_FINDINGS.workers}: the default audit, --workers 2 against one thread`;
    if (options.quick) {
      findings.push({ name, value: null, goal: '>= 1.6', met: null, detail: 'measured in full runs only (it takes two default audits)' });
    } else {
      try {
        options.progress?.('audit: the default audit on one thread');
        const one = await defaultAuditMs(1);
        options.progress?.('audit: the default audit with --workers 2');
        const two = await defaultAuditMs(2);
        const value = one / two;
        findings.push({ name, value, goal: '>= 1.6', met: value >= 1.6, detail: `${(one / 1000).toFixed(1)} s against ${(two / 1000).toFixed(1)} s, runs only (each in a fresh process)` });
      } catch (error) {
        findings.push({ name, value: null, goal: '>= 1.6', met: null, detail: `not measured: ${(error as Error).message}` });
      }
    }
  }
  return findings;
}
