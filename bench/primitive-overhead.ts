/**
 * What a message costs beyond the primitive calls it makes: the protocol's own overhead
 * (encoding, copying, state handling). For the bare ratchet (./ratchet-message.ts, imported
 * only when measured) the message and a replay of its calls are timed at the same moment; a
 * whole `signal` client message (history database, envelope, payload encoding, provider) is
 * priced by the run's primitive rows, for information.
 */
import type { CryptoBackend } from '../harness/crypto/backend.ts';
import { Rng } from '../harness/rng.ts';
import { loadTarget } from '../targets/registry.ts';
import { Bench } from 'tinybench';
import { collectGarbage, filled, typicalMs, type BenchResult, type Timing } from './core.ts';
import { establishedPair, MESSAGE_BYTES } from './protocol.ts';
import { countingBackend, recordingBackend, replayCalls, summariseCalls, type PrimitiveCall } from './primitive-calls.ts';
import { pricer } from './call-pricing.ts';
import { median } from './side-by-side.ts';
import { fmt, us, type Finding } from './finding.ts';

/** ns per call of `fn`, timed as the benchmark rows are (tinybench, median). */
async function time(fn: () => unknown, timing: Timing): Promise<number> {
  const bench = new Bench({ ...timing, throws: true });
  bench.add('hot path', fn);
  collectGarbage();
  const [task] = await bench.run();
  const result = task!.result;
  if (result.state !== 'completed') throw new Error(`timing ended in state "${result.state}"`);
  return typicalMs(result.latency) * 1e6;
}

/** Messages per batch of the same-moment pricing. */
const RATCHET_BATCH = 50;
const RATCHET_ROUNDS: Record<'quick' | 'full', number> = { quick: 15, full: 41 };

/**
 * The ratchet message against its primitive calls, priced at the same moment: a batch of
 * alternating messages is recorded (every call and its arguments) on one ratchet pair, then,
 * round after round, a batch of messages on another pair and a replay of the recorded calls
 * are timed in turn (the order flipping every round), each from a collected heap. Whatever
 * slows the machine for a while falls on both alike. The ratio is the median of the rounds'.
 */
export async function pricedTogether(
  crypto: CryptoBackend,
  quick: boolean,
): Promise<{ ratio: number; low: number; high: number; rounds: number; messageNs: number; primitiveNs: number }> {
  const { alternatingRatchet } = await import('./ratchet-message.ts');
  const recording = recordingBackend(crypto);
  const recorded = alternatingRatchet(recording.backend, Rng.fromSeed(1, 'bench', 'ratchet-record'));
  recorded();
  recorded(); // both chains established
  recording.calls.length = 0;
  for (let i = 0; i < RATCHET_BATCH; i++) recorded();
  const replay = replayCalls(crypto, [...recording.calls]);
  const message = alternatingRatchet(crypto, Rng.fromSeed(1, 'bench', 'ratchet'));
  const batch = (run: () => void, times: number): number => {
    collectGarbage();
    const start = performance.now();
    for (let i = 0; i < times; i++) run();
    return ((performance.now() - start) * 1e6) / RATCHET_BATCH;
  };
  // Warm-up: the JIT optimises both first.
  for (let i = 0; i < (quick ? 3 : 10); i++) {
    batch(message, RATCHET_BATCH);
    batch(replay, 1);
  }
  const rounds = RATCHET_ROUNDS[quick ? 'quick' : 'full'];
  const ratios: number[] = [];
  const messages: number[] = [];
  const primitives: number[] = [];
  for (let round = 0; round < rounds; round++) {
    let m: number;
    let p: number;
    if (round % 2 === 0) {
      m = batch(message, RATCHET_BATCH);
      p = batch(replay, 1);
    } else {
      p = batch(replay, 1);
      m = batch(message, RATCHET_BATCH);
    }
    messages.push(m);
    primitives.push(p);
    ratios.push(m / p);
    // Let timers and the background compiler in between rounds.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { ratio: median(ratios), low: Math.min(...ratios), high: Math.max(...ratios), rounds, messageNs: median(messages), primitiveNs: median(primitives) };
}

/** The calls of one ratchet message (alternating, so each takes a DH ratchet step). */
export async function countRatchetMessage(crypto: CryptoBackend): Promise<{ calls: PrimitiveCall[]; messages: number }> {
  const { alternatingRatchet } = await import('./ratchet-message.ts');
  const counting = countingBackend(crypto);
  const step = alternatingRatchet(counting.backend, Rng.fromSeed(1, 'bench', 'ratchet-count'));
  step();
  step(); // both chains established
  counting.calls.length = 0;
  step();
  step();
  return { calls: [...counting.calls], messages: 2 };
}

/** The calls of one whole `signal` client message (alternating), through the provider. */
async function countClientMessage(crypto: CryptoBackend): Promise<{ calls: PrimitiveCall[]; messages: number }> {
  const counting = countingBackend(crypto);
  const net = await establishedPair(await loadTarget('signal')!, counting.backend, 'client-count');
  const body = filled(MESSAGE_BYTES, 3);
  counting.calls.length = 0;
  await net.send('alice', 'bob', body);
  await net.send('bob', 'alice', body);
  return { calls: [...counting.calls], messages: 2 };
}

/** The bare ratchet message against its primitive calls on `crypto`, priced at the same moment. */
export async function ratchetOverhead(results: readonly BenchResult[], crypto: CryptoBackend, quick: boolean): Promise<Finding> {
  const name = `ratchet message / its primitive calls (${crypto.name})`;
  try {
    const counted = await countRatchetMessage(crypto);
    let tableNs: number | null = null;
    try {
      const price = pricer(results, crypto.name);
      tableNs = counted.calls.reduce((total, c) => total + price(c), 0) / counted.messages;
    } catch {
      // (the primitive rows were not all measured: the replay alone prices the calls)
    }
    const priced = await pricedTogether(crypto, quick);
    const value = priced.ratio;
    return {
      name,
      value,
      goal: '<= 1.15',
      met: value <= 1.15,
      detail:
        `median of ${priced.rounds} rounds, each timing ${RATCHET_BATCH} messages and a replay of their primitive calls (the same calls, the same arguments) in turn ` +
        `(round ratios ${fmt(priced.low)}x..${fmt(priced.high)}x): ${us(priced.messageNs)} per message vs ${us(priced.primitiveNs)} of primitives` +
        `${tableNs === null ? '' : `; priced by this run's primitive rows instead: ${us(tableNs)}`}; calls per message: ${summariseCalls(counted.calls, counted.messages)}`,
    };
  } catch (error) {
    return { name, value: null, goal: '<= 1.15', met: null, detail: `not measured: ${(error as Error).message}` };
  }
}

/** A whole `signal` client message against its primitive calls on `crypto`, priced by the primitive rows; `row` is its `messages 1KiB alternating` row. */
export async function clientOverhead(results: readonly BenchResult[], crypto: CryptoBackend, row: BenchResult | undefined): Promise<Finding> {
  const clientName = `signal client message / its primitive calls (${crypto.name})`;
  try {
    if (!row) throw new Error('signal was not measured on this backend');
    const price = pricer(results, crypto.name);
    price({ method: 'x25519', size: 0 }); // fails early when the primitive rows are missing
    const counted = await countClientMessage(crypto);
    const primitiveNs = counted.calls.reduce((sum, c) => sum + price(c), 0) / counted.messages;
    const messageNs = 1e9 / row.opsPerSec;
    return {
      name: clientName,
      value: messageNs / primitiveNs,
      goal: crypto.name === 'node' ? '<= 1.4' : 'informational',
      met: crypto.name === 'node' ? messageNs / primitiveNs <= 1.4 : null,
      detail: `${us(messageNs)} per message (table row) vs ${us(primitiveNs)} of primitives; the rest is the client: history database, payload and envelope encoding, provider`,
    };
  } catch (error) {
    return { name: clientName, value: null, goal: 'informational', met: null, detail: `not measured: ${(error as Error).message}` };
  }
}
