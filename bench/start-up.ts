/**
 * What a user waits for before keyhole does anything, as findings of the bench run: the wall
 * time of `keyhole list` and `keyhole --version` in a fresh process, as the installed command
 * runs them (bin/keyhole.js: the compiled JavaScript when built, the sources otherwise), with
 * node's own start beside them. The median of a few starts: one start is noise.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { PACKAGE_ROOT } from '../harness/package-root.ts';
import type { Finding } from './hot-path.ts';

export const START_UP_FINDINGS = {
  list: 'start-up: keyhole list',
  version: 'start-up: keyhole --version',
  npmStart: 'npm start: the default audit in a fresh process, default --workers',
  memory: 'audit memory: a 100,000-message chat (signal, network)',
} as const;

const GOAL_SECONDS = 0.4;
const BIN = join(PACKAGE_ROOT, 'bin', 'keyhole.js');

async function wallSeconds(args: string[], starts: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < starts; i++) {
    const started = performance.now();
    await promisify(execFile)(process.execPath, args, { cwd: PACKAGE_ROOT, env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 });
    times.push((performance.now() - started) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export async function startUpFigures(filter: RegExp | null, quick: boolean): Promise<Finding[]> {
  const selected = Object.entries(START_UP_FINDINGS).filter(([, name]) => filter === null || filter.test(name));
  if (selected.length === 0) return [];
  const wanted = selected.filter(([key]) => key === 'list' || key === 'version');
  const starts = quick ? 3 : 7;
  const findings: Finding[] = [];
  try {
    const nodeAlone = await wallSeconds(['-e', '0'], starts);
    for (const [key, name] of wanted) {
      const seconds = await wallSeconds([BIN, key === 'list' ? 'list' : '--version'], starts);
      findings.push({
        name,
        value: seconds,
        unit: 's',
        goal: `<= ${GOAL_SECONDS} s`,
        met: seconds <= GOAL_SECONDS,
        detail: `median of ${starts} fresh processes; node alone ${nodeAlone.toFixed(2)} s`,
      });
    }
  } catch (error) {
    for (const [, name] of wanted) findings.push({ name, value: null, goal: `<= ${GOAL_SECONDS} s`, met: null, detail: `not measured: ${(error as Error).message}` });
  }
  if (selected.some(([key]) => key === 'npmStart')) findings.push(await npmStartFigure(quick));
  if (selected.some(([key]) => key === 'memory')) findings.push(await memoryFigure(quick));
  return findings;
}

/** A quick run's chat: long enough to show the growth, short enough for a quick run. */
const QUICK_CHAT = 10_000;
const FULL_CHAT = 100_000;
const MEMORY_GOAL_MIB = 512;

/**
 * The peak resident memory of an audit of a long chat (signal, network) in a fresh process of
 * the installed command, and its time against a chat a tenth as long (npm run scale measures
 * the same). A quick run audits 10,000 messages: its figure is not the goal's, so not judged.
 */
async function memoryFigure(quick: boolean): Promise<Finding> {
  const name = START_UP_FINDINGS.memory;
  const goal = `<= ${MEMORY_GOAL_MIB} MiB, linear time`;
  const messages = quick ? QUICK_CHAT : FULL_CHAT;
  try {
    const { auditChat } = await import('./long-chat.ts');
    const short = await auditChat(messages / 10, 'network', 'signal');
    const long = await auditChat(messages, 'network', 'signal');
    const growth = long.runMs / short.runMs / 10;
    const figures = `${messages.toLocaleString('en-US')} messages: peak ${long.rssMiB} MiB resident (heap ${long.heapMiB} MiB, off the heap ${long.offHeapMiB} MiB), ${Math.round(long.judgedPerSecond).toLocaleString('en-US')} messages/s, ${growth.toFixed(2)} of linear against ${(messages / 10).toLocaleString('en-US')}`;
    if (quick) return { name, value: long.rssMiB, unit: 'MiB', goal, met: null, detail: `quick run, ${figures}; the goal is for 100,000 messages (full runs, npm run scale)` };
    return { name, value: long.rssMiB, unit: 'MiB', goal, met: long.rssMiB <= MEMORY_GOAL_MIB && growth <= 1.25, detail: `${figures} (linear: at most 1.25)` };
  } catch (error) {
    return { name, value: null, unit: 'MiB', goal, met: null, detail: `not measured: ${(error as Error).message}` };
  }
}

async function npmStartFigure(quick: boolean): Promise<Finding> {
  const name = START_UP_FINDINGS.npmStart;
  const goal = '<= 15 s';
  if (quick) return { name, value: null, unit: 's', goal, met: null, detail: 'measured in full runs only (it takes a default audit)' };
  const out = mkdtempSync(join(tmpdir(), 'keyhole-bench-start-'));
  try {
    const seconds = await wallSeconds([BIN, 'audit', '--quiet', '-r', 'json', '-o', out], 1).catch((error: { code?: number }) => {
      if (error.code === 1) return null; // a violated claim: the audit ran
      throw error;
    });
    if (seconds === null) return { name, value: null, unit: 's', goal, met: null, detail: 'the audit exited 1; timed again below' };
    return { name, value: seconds, unit: 's', goal, met: seconds <= 15, detail: 'wall time of bin/keyhole.js audit, one fresh process' };
  } catch (error) {
    return { name, value: null, unit: 's', goal, met: null, detail: `not measured: ${(error as Error).message}` };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
