/**
 * `signal` on `node` against `libsignal` on `messages 1KiB alternating`, timed side by side:
 * rounds in which each target sends a batch in turn (`sideBySide`), the finding the median of
 * the rounds' ratios.
 */
import type { CryptoBackend } from '../harness/crypto/backend.ts';
import { loadTarget, targetNames } from '../targets/registry.ts';
import { collectGarbage, filled, type BenchResult } from './core.ts';
import { establishedPair, MESSAGE_BYTES, warmUpSharedCode } from './protocol.ts';
import { fmt, us, type Finding } from './finding.ts';

export interface SideBySidePlan {
  rounds: number;
  /** Messages each target sends per round. */
  messages: number;
  /** Messages each target sends untimed first (the JIT optimises the client code). */
  warmup: number;
}

export const SIDE_BY_SIDE: Record<'quick' | 'full', SideBySidePlan> = {
  // Single rounds scatter (by a fifth either way on a shared 2-core machine): enough rounds
  // that the median moves far less.
  quick: { rounds: 15, messages: 300, warmup: 300 },
  full: { rounds: 21, messages: 600, warmup: 1_000 },
};

export interface SideBySide {
  /** Per round: messages per second of the first target over the second's. */
  ratios: number[];
  /** Per target, per round: messages per second. */
  rates: [number[], number[]];
}

/**
 * Times two message loops in turn, round after round, so that whatever slows the machine for
 * a while (another process, frequency scaling) falls on both alike; the order flips every
 * round. Each batch starts from a collected heap, so neither pays for the other's garbage. A
 * rate is a batch's messages over its whole time, the collections and database flushes that
 * happen during it included, as a user would wait for them.
 */
export async function sideBySide(
  first: () => Promise<void>,
  second: () => Promise<void>,
  plan: SideBySidePlan,
  now: () => number = () => performance.now(),
): Promise<SideBySide> {
  const batch = async (send: () => Promise<void>, count: number): Promise<number> => {
    collectGarbage();
    const start = now();
    for (let i = 0; i < count; i++) await send();
    return (count * 1000) / (now() - start);
  };
  await batch(first, plan.warmup);
  await batch(second, plan.warmup);
  const result: SideBySide = { ratios: [], rates: [[], []] };
  for (let round = 0; round < plan.rounds; round++) {
    let a: number;
    let b: number;
    if (round % 2 === 0) {
      a = await batch(first, plan.messages);
      b = await batch(second, plan.messages);
    } else {
      b = await batch(second, plan.messages);
      a = await batch(first, plan.messages);
    }
    result.rates[0].push(a);
    result.rates[1].push(b);
    result.ratios.push(a / b);
  }
  return result;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * The ratio of `signal` on node to `libsignal`, timed side by side when both rows were
 * measured (`signalNode`, `libsignal`: their `messages 1KiB alternating` rows).
 */
export async function signalAgainstLibsignal(
  signalNode: BenchResult | undefined,
  libsignal: BenchResult | undefined,
  options: { backends: readonly CryptoBackend[]; sideBySide: SideBySidePlan; quick: boolean },
): Promise<Finding> {
  const node = options.backends.find((b) => b.name === 'node');
  const ratioName = 'signal (node) / libsignal, messages 1KiB alternating';
  if (signalNode && libsignal && node) {
    try {
      await warmUpSharedCode(node, options.quick); // done already by the rows, unless a test calls this alone
      const signalNet = await establishedPair(await loadTarget('signal')!, node, 'side-by-side');
      const libsignalNet = await establishedPair(await loadTarget('libsignal')!, node, 'side-by-side');
      const plan = options.sideBySide;
      const body = filled(MESSAGE_BYTES, 3);
      const measured = await sideBySide(() => signalNet.reply(body), () => libsignalNet.reply(body), plan);
      const value = median(measured.ratios);
      const [low, high] = [Math.min(...measured.ratios), Math.max(...measured.ratios)];
      const [signalRate, libsignalRate] = measured.rates.map(median) as [number, number];
      return {
        name: ratioName,
        value,
        goal: '>= 2.0',
        met: value >= 2.0,
        detail:
          `median of ${plan.rounds} rounds of ${plan.messages} messages each, the two timed in turn (round ratios ${fmt(low)}x..${fmt(high)}x); ` +
          `${Math.round(signalRate)} vs ${Math.round(libsignalRate)} messages/s (${us(1e9 / signalRate)} vs ${us(1e9 / libsignalRate)} per message); ` +
          `the table rows, timed apart: ${fmt(signalNode.opsPerSec / libsignal.opsPerSec)}x`,
      };
    } catch (error) {
      return { name: ratioName, value: null, goal: '>= 2.0', met: null, detail: `not measured: ${(error as Error).message}` };
    }
  } else {
    const why = !targetNames().includes('libsignal')
      ? 'libsignal is not registered in targets/registry.ts'
      : !signalNode
        ? 'signal on node was not measured (filter or --crypto)'
        : 'libsignal was not measured (filter, or its check failed)';
    return { name: ratioName, value: null, goal: '>= 2.0', met: null, detail: `not measured: ${why}` };
  }
}
