/**
 * `npm run scale -- [messages] [adversaries] [target]`: a long chat through the real command.
 *
 * Writes a two-user scenario of `messages` sends (default 100,000), each a reply to the one
 * before, to a temporary folder, runs `keyhole audit` on it in this process (json reporter),
 * and prints the time, messages per second and the process's peak memory (resident set),
 * which includes the TypeScript loader's share. Adversaries default to `network,stolen-device`
 * (the stolen phone is seized halfway), the target to `signal`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { dump } from 'js-yaml';

import { main } from '../harness/cli/main.ts';
import { chatScenario } from './audit.ts';
import type { Report } from '../harness/report/types.ts';

/** The chat with a seizure, as a YAML file (one step a line). */
export function longChatYaml(messages: number): string {
  return dump(chatScenario(messages, { seizure: true }), { flowLevel: 3 });
}

async function run(): Promise<number> {
  const [countArg = '100000', adversaries = 'network,stolen-device', target = 'signal'] = process.argv.slice(2);
  const messages = Number(countArg);
  if (!Number.isSafeInteger(messages) || messages < 2) {
    process.stderr.write(`npm run scale: expected a message count of at least 2, got '${countArg}'\n`);
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), 'keyhole-scale-'));
  try {
    const file = join(dir, `chat-${messages}.yaml`);
    writeFileSync(file, longChatYaml(messages));
    const started = performance.now();
    const status = await main(['audit', file, '-t', target, '-a', adversaries, '-r', 'json', '-o', join(dir, 'report'), '--quiet']);
    const seconds = (performance.now() - started) / 1000;
    const report = JSON.parse(readFileSync(join(dir, 'report', 'report.json'), 'utf8')) as Report;
    const judged = report.runs.reduce((sum, r) => sum + r.messages.length, 0);
    const peakMiB = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(
      `${messages.toLocaleString('en-US')} messages, ${target}, ${adversaries}: ${report.runs.map((r) => `${r.adversary} ${r.status}`).join(', ')}\n` +
        `${seconds.toFixed(1)} s in all (${report.timing.durationMs} ms of runs); ${Math.round((judged * 1000) / report.timing.durationMs).toLocaleString('en-US')} messages judged per second; ` +
        `peak memory ${Math.round(peakMiB)} MiB; exit status ${status}\n`,
    );
    return report.runs.every((r) => r.status === 'ok') ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Only as a script (the tests import `longChatYaml`).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = await run();
