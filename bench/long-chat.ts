/**
 * `npm run scale -- [messages] [adversaries] [target]`: a long chat through the real command.
 *
 * Writes a two-user scenario of `messages` sends (default 100,000), each a reply to the one
 * before, and one a tenth as long, to a temporary folder, and runs `keyhole audit` on each
 * (json reporter) in a fresh process of the installed command (bin/keyhole.js: the compiled
 * build when there is one), as a user would. Prints, for each, the wall time, messages judged
 * per second and the process's peak memory: resident set, and the heap and off-heap memory
 * (ArrayBuffers, WebAssembly) sampled as it runs; then how the long chat's time compares
 * with ten times the short one's (linear cost: about 1). Adversaries default to
 * `network,stolen-device` (the stolen phone is seized halfway), the target to `signal`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

import { dump } from 'js-yaml';

import { chatScenario } from './audit.ts';
import { PACKAGE_ROOT } from '../harness/package-root.ts';
import type { Report } from '../harness/report/types.ts';

/** The chat with a seizure, as a YAML file (one step a line). */
export function longChatYaml(messages: number): string {
  return dump(chatScenario(messages, { seizure: true }), { flowLevel: 3 });
}

/** Loaded into the audit's process: samples its memory and prints the peaks as it exits. */
const MEMORY_PROBE = `data:text/javascript,${encodeURIComponent(`
const peak = { heapUsed: 0, external: 0 };
const sample = () => { const u = process.memoryUsage(); peak.heapUsed = Math.max(peak.heapUsed, u.heapUsed); peak.external = Math.max(peak.external, u.external); };
setInterval(sample, 50).unref();
process.on('exit', () => { sample(); process.stderr.write('\\nkeyhole-memory ' + JSON.stringify({ rss: process.resourceUsage().maxRSS * 1024, ...peak }) + '\\n'); });
`)}`;

export interface ChatFigures {
  messages: number;
  seconds: number;
  runMs: number;
  judgedPerSecond: number;
  rssMiB: number;
  heapMiB: number;
  offHeapMiB: number;
  statuses: string;
  exitStatus: number;
}

const mib = (bytes: number): number => Math.round(bytes / 2 ** 20);

export async function auditChat(messages: number, adversaries: string, target: string): Promise<ChatFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'keyhole-scale-'));
  try {
    const file = join(dir, `chat-${messages}.yaml`);
    writeFileSync(file, longChatYaml(messages));
    const args = ['--import', MEMORY_PROBE, join(PACKAGE_ROOT, 'bin', 'keyhole.js'), 'audit', file, '-t', target, '-a', adversaries, '-r', 'json', '-o', join(dir, 'report'), '--quiet'];
    const started = performance.now();
    const { stderr, exitStatus } = await promisify(execFile)(process.execPath, args, { cwd: PACKAGE_ROOT, maxBuffer: 1 << 26 }).then(
      ({ stderr }) => ({ stderr, exitStatus: 0 }),
      (error: { stderr?: string; code?: number }) => {
        if (typeof error.code !== 'number' || error.code >= 2) throw error;
        return { stderr: error.stderr ?? '', exitStatus: error.code };
      },
    );
    const seconds = (performance.now() - started) / 1000;
    const line = stderr.split('\n').find((l) => l.startsWith('keyhole-memory '));
    const memory = line ? (JSON.parse(line.slice('keyhole-memory '.length)) as { rss: number; heapUsed: number; external: number }) : { rss: 0, heapUsed: 0, external: 0 };
    const report = JSON.parse(readFileSync(join(dir, 'report', 'report.json'), 'utf8')) as Report;
    const judged = report.runs.reduce((sum, r) => sum + r.messages.length, 0);
    return {
      messages,
      seconds,
      runMs: report.timing.durationMs,
      judgedPerSecond: (judged * 1000) / report.timing.durationMs,
      rssMiB: mib(memory.rss),
      heapMiB: mib(memory.heapUsed),
      offHeapMiB: mib(memory.external),
      statuses: report.runs.map((r) => `${r.adversary} ${r.status}`).join(', '),
      exitStatus,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function describe(f: ChatFigures): string {
  return (
    `${f.messages.toLocaleString('en-US')} messages: ${f.statuses}; ${f.seconds.toFixed(1)} s in all (${(f.runMs / 1000).toFixed(1)} s of runs), ` +
    `${Math.round(f.judgedPerSecond).toLocaleString('en-US')} messages judged per second; peak memory ${f.rssMiB} MiB resident ` +
    `(heap ${f.heapMiB} MiB, off the heap ${f.offHeapMiB} MiB); exit status ${f.exitStatus}\n`
  );
}

async function run(): Promise<number> {
  const [countArg = '100000', adversaries = 'network,stolen-device', target = 'signal'] = process.argv.slice(2);
  const messages = Number(countArg);
  if (!Number.isSafeInteger(messages) || messages < 20) {
    process.stderr.write(`npm run scale: expected a message count of at least 20, got '${countArg}'\n`);
    return 2;
  }
  process.stdout.write(`keyhole audit of a two-user chat, ${target}, ${adversaries}, in a fresh process each:\n`);
  const short = await auditChat(Math.round(messages / 10), adversaries, target);
  process.stdout.write(describe(short));
  const long = await auditChat(messages, adversaries, target);
  process.stdout.write(describe(long));
  const growth = long.runMs / short.runMs / (long.messages / short.messages);
  process.stdout.write(`${long.messages.toLocaleString('en-US')} against ${short.messages.toLocaleString('en-US')} messages: the runs took ${(long.runMs / short.runMs).toFixed(1)}x as long for ${long.messages / short.messages}x the messages (${growth.toFixed(2)} of linear)\n`);
  return [short, long].every((f) => f.statuses.split(', ').every((s) => s.endsWith(' ok'))) ? 0 : 1;
}

// Only as a script (the tests import `longChatYaml`).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await run();
