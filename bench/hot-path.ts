/**
 * The hot path: what one Double Ratchet message of the reference `signal` costs against the
 * primitives it calls, and how `signal` compares with libsignal-client.
 *
 * - A counting proxy around a backend records every primitive call (and its size) while a
 *   message runs; the primitive benchmarks of the run price each call; the ratio of the
 *   measured message time to that sum is the protocol's own overhead (encoding, copying,
 *   state handling). Measured for the bare ratchet (./ratchet-message.ts, imported when measured), timed as the
 *   rows are; a whole client message (history database, envelope, payload encoding,
 *   provider) is compared too, for information.
 * - `signal` on `node` against `libsignal` on `messages 1KiB alternating`, timed side by side:
 *   rounds in which each target sends a batch in turn (see `sideBySide`).
 */
import type { CryptoBackend } from '../harness/crypto/backend.ts';
import { Rng } from '../harness/rng.ts';
import { loadTarget, targetNames } from '../targets/registry.ts';
import { Bench } from 'tinybench';
import { collectGarbage, filled, SIZES, typicalMs, type BenchResult, type Timing } from './core.ts';
import { HKDF_OUTPUTS, HMAC_SIZES } from './kdf.ts';
import { establishedPair, MESSAGE_BYTES, OWN_CRYPTO, PROTOCOL_TASKS, warmUpSharedCode } from './protocol.ts';


export interface PrimitiveCall {
  method: string;
  /** The size that drives its cost: bytes in (HMAC, AES), bytes out (HKDF); 0 for fixed-size calls. */
  size: number;
}

/** A backend that records every call it forwards. */
export function countingBackend(inner: CryptoBackend): { backend: CryptoBackend; calls: PrimitiveCall[] } {
  const calls: PrimitiveCall[] = [];
  const backend = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push({ method: String(property), size: callSize(String(property), args) });
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { backend, calls };
}

function callSize(method: string, args: unknown[]): number {
  const len = (i: number) => (args[i] instanceof Uint8Array ? (args[i] as Uint8Array).length : 0);
  switch (method) {
    case 'hmacSha256':
      return len(1);
    case 'hkdfSha256':
      return typeof args[3] === 'number' ? args[3] : 0;
    case 'aes256CbcEncrypt':
    case 'aes256CbcDecrypt':
    case 'aes256GcmEncrypt':
    case 'aes256GcmDecrypt':
    case 'chacha20Poly1305Encrypt':
    case 'chacha20Poly1305Decrypt':
      return len(2);
    case 'sha256':
    case 'sha512':
      return len(0);
    default:
      return 0;
  }
}

/** A backend that records every call with its arguments, to be replayed (`replayCalls`). */
export function recordingBackend(inner: CryptoBackend): { backend: CryptoBackend; calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  // One copy per array the calls were given (while its bytes stay the same), so that a key
  // passed to several calls is one array in the record too, as backends that cache by array see it.
  const copies = new WeakMap<Uint8Array, Uint8Array>();
  const copyOf = (a: unknown) => {
    if (!(a instanceof Uint8Array)) return a;
    const known = copies.get(a);
    if (known && Buffer.from(known).equals(a)) return known;
    const copy = a.slice();
    copies.set(a, copy);
    return copy;
  };
  const backend = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push({ method: String(property), args: args.map(copyOf) });
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { backend, calls };
}

export interface RecordedCall {
  method: string;
  args: unknown[];
}

/**
 * One replay of recorded calls on `backend`: the same calls with the same argument values,
 * from fresh copies each time (a backend that caches key objects by array, as node's does,
 * finds the keys new, as the message found them), the copy of one recorded array used for
 * each of its appearances within the replay.
 */
export function replayCalls(backend: CryptoBackend, calls: readonly RecordedCall[]): () => void {
  const table = backend as unknown as Record<string, (...a: unknown[]) => unknown>;
  return () => {
    const copies = new Map<unknown, Uint8Array>();
    const fresh = (a: unknown) => {
      if (!(a instanceof Uint8Array)) return a;
      let copy = copies.get(a);
      if (!copy) copies.set(a, (copy = a.slice()));
      return copy;
    };
    for (const call of calls) table[call.method]!.apply(backend, call.args.map(fresh));
  };
}

/** Calls per message, summarised: `hmacSha256 x4 (1 B..1.2 KiB)`. */
export function summariseCalls(calls: readonly PrimitiveCall[], messages: number): string {
  const byMethod = new Map<string, number[]>();
  for (const c of calls) byMethod.set(c.method, [...(byMethod.get(c.method) ?? []), c.size]);
  return [...byMethod]
    .map(([method, sizes]) => {
      const count = sizes.length / messages;
      const nonZero = sizes.filter((s) => s > 0);
      const [min, max] = [Math.min(...nonZero), Math.max(...nonZero)];
      const range = nonZero.length === 0 ? '' : min === max ? ` ${min}B` : ` ${min}..${max}B`;
      return `${method} x${Number.isInteger(count) ? count : count.toFixed(1)}${range}`;
    })
    .join(', ');
}

// ---------------------------------------------------------------------------------------------
// Pricing calls with the primitive benchmarks
// ---------------------------------------------------------------------------------------------

interface Point {
  size: number;
  ns: number;
}

/** Piecewise-linear cost at `size`; flat below the smallest point, extended past the largest. */
function interpolate(points: Point[], size: number): number {
  const sorted = [...points].sort((a, b) => a.size - b.size);
  if (sorted.length === 1 || size <= sorted[0]!.size) return sorted[0]!.ns;
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1]!, sorted[i]!];
    if (size <= b.size || i === sorted.length - 1) return a.ns + ((b.ns - a.ns) * (size - a.size)) / (b.size - a.size);
  }
  return sorted[sorted.length - 1]!.ns;
}

/** Per-call prices from the primitive rows of one backend; throws naming a missing row. */
export function pricer(results: readonly BenchResult[], crypto: string): (call: PrimitiveCall) => number {
  const nsOf = (group: string, task: string): number => {
    const row = results.find((r) => r.group === group && r.task === task && r.crypto === crypto);
    if (!row) throw new Error(`needs the ${group} row "${task}" on ${crypto}`);
    return 1e9 / row.opsPerSec;
  };
  const curve = (group: string, tasks: { task: string; size: number }[]) => {
    const points = tasks.flatMap(({ task, size }) => {
      const row = results.find((r) => r.group === group && r.task === task && r.crypto === crypto);
      return row ? [{ size, ns: 1e9 / row.opsPerSec }] : [];
    });
    if (points.length === 0) nsOf(group, tasks[0]!.task); // throws, naming the row
    return points;
  };
  const cache = new Map<string, Point[]>();
  const lazy = (key: string, make: () => Point[]) => {
    let points = cache.get(key);
    if (!points) cache.set(key, (points = make()));
    return points;
  };
  const hmac = () => lazy('hmac', () => curve('kdf', HMAC_SIZES.map((s) => ({ task: `hmac-sha256 ${s.label}`, size: s.bytes }))));
  const hkdf = () => lazy('hkdf', () => curve('kdf', HKDF_OUTPUTS.map((n) => ({ task: `hkdf-sha256 ${n}B out`, size: n }))));
  const cbcHmac = (op: 'encrypt' | 'decrypt') =>
    lazy(`cbc-${op}`, () => curve('aead', SIZES.map((s) => ({ task: `aes-256-cbc+hmac-sha256 ${op} ${s.label}`, size: s.bytes }))));
  return (call) => {
    switch (call.method) {
      case 'x25519PublicKey':
        return nsOf('dh', 'x25519 keygen');
      case 'x25519':
        return nsOf('dh', 'x25519 shared secret');
      case 'hmacSha256':
        return interpolate(hmac(), call.size);
      case 'hkdfSha256':
        return interpolate(hkdf(), call.size);
      // AES-256-CBC alone: the encrypt-then-MAC row less the HMAC over the same bytes.
      case 'aes256CbcEncrypt':
        return Math.max(0, interpolate(cbcHmac('encrypt'), call.size) - interpolate(hmac(), call.size + 16));
      case 'aes256CbcDecrypt':
        return Math.max(0, interpolate(cbcHmac('decrypt'), call.size - 16) - interpolate(hmac(), call.size));
      default:
        throw new Error(`no benchmark prices ${call.method}`);
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Measurements
// ---------------------------------------------------------------------------------------------

export interface Finding {
  name: string;
  value: number | null;
  /** What `value` counts, when it is not a ratio (`messages/s`). */
  unit?: string;
  goal: string;
  met: boolean | null;
  detail: string;
}

export interface HotPathOptions {
  backends: readonly CryptoBackend[];
  /** How the bare ratchet message is timed (as the rows are, with a longer budget). */
  timing: Timing;
  /** How `signal` and `libsignal` are timed side by side. */
  sideBySide: SideBySidePlan;
  quick: boolean;
}

// ---------------------------------------------------------------------------------------------
// Side by side: two targets timed in turn
// ---------------------------------------------------------------------------------------------

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

const fmt = (n: number) => n.toFixed(2);
const us = (ns: number) => `${(ns / 1000).toFixed(1)} us`;

export async function hotPath(results: readonly BenchResult[], options: HotPathOptions): Promise<Finding[]> {
  const findings: Finding[] = [];
  const alternating = (target: string, crypto: string) =>
    results.find((r) => r.group === 'protocol' && r.task === PROTOCOL_TASKS.alternating && r.target === target && r.crypto === crypto);

  // signal on node against libsignal, timed side by side when both rows were measured.
  const signalNode = alternating('signal', 'node');
  const libsignal = alternating('libsignal', OWN_CRYPTO);
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
      findings.push({
        name: ratioName,
        value,
        goal: '>= 2.0',
        met: value >= 2.0,
        detail:
          `median of ${plan.rounds} rounds of ${plan.messages} messages each, the two timed in turn (round ratios ${fmt(low)}x..${fmt(high)}x); ` +
          `${Math.round(signalRate)} vs ${Math.round(libsignalRate)} messages/s (${us(1e9 / signalRate)} vs ${us(1e9 / libsignalRate)} per message); ` +
          `the table rows, timed apart: ${fmt(signalNode.opsPerSec / libsignal.opsPerSec)}x`,
      });
    } catch (error) {
      findings.push({ name: ratioName, value: null, goal: '>= 2.0', met: null, detail: `not measured: ${(error as Error).message}` });
    }
  } else {
    const why = !targetNames().includes('libsignal')
      ? 'libsignal is not registered in targets/registry.ts'
      : !signalNode
        ? 'signal on node was not measured (filter or --crypto)'
        : 'libsignal was not measured (filter, or its check failed)';
    findings.push({ name: ratioName, value: null, goal: '>= 2.0', met: null, detail: `not measured: ${why}` });
  }

  for (const crypto of options.backends) {
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
      const priced = await pricedTogether(crypto, options.quick);
      const value = priced.ratio;
      findings.push({
        name,
        value,
        goal: '<= 1.15',
        met: value <= 1.15,
        detail:
          `median of ${priced.rounds} rounds, each timing ${RATCHET_BATCH} messages and a replay of their primitive calls (the same calls, the same arguments) in turn ` +
          `(round ratios ${fmt(priced.low)}x..${fmt(priced.high)}x): ${us(priced.messageNs)} per message vs ${us(priced.primitiveNs)} of primitives` +
          `${tableNs === null ? '' : `; priced by this run's primitive rows instead: ${us(tableNs)}`}; calls per message: ${summariseCalls(counted.calls, counted.messages)}`,
      });
    } catch (error) {
      findings.push({ name, value: null, goal: '<= 1.15', met: null, detail: `not measured: ${(error as Error).message}` });
    }
    const clientName = `signal client message / its primitive calls (${crypto.name})`;
    const row = alternating('signal', crypto.name);
    try {
      if (!row) throw new Error('signal was not measured on this backend');
      const price = pricer(results, crypto.name);
      price({ method: 'x25519', size: 0 }); // fails early when the primitive rows are missing
      const counted = await countClientMessage(crypto);
      const primitiveNs = counted.calls.reduce((sum, c) => sum + price(c), 0) / counted.messages;
      const messageNs = 1e9 / row.opsPerSec;
      findings.push({
        name: clientName,
        value: messageNs / primitiveNs,
        goal: crypto.name === 'node' ? '<= 1.4' : 'informational',
        met: crypto.name === 'node' ? messageNs / primitiveNs <= 1.4 : null,
        detail: `${us(messageNs)} per message (table row) vs ${us(primitiveNs)} of primitives; the rest is the client: history database, payload and envelope encoding, provider`,
      });
    } catch (error) {
      findings.push({ name: clientName, value: null, goal: 'informational', met: null, detail: `not measured: ${(error as Error).message}` });
    }
  }
  return findings;
}

export function formatFinding(f: Finding): string {
  const value = f.value === null ? 'n/a' : f.unit === undefined ? `${fmt(f.value)}x` : f.unit === 's' ? `${f.value.toFixed(2)} s` : `${Math.round(f.value).toLocaleString('en-US')} ${f.unit}`;
  const verdict = f.met === null ? '' : f.met ? ' (goal met)' : ' (goal missed)';
  return `${f.name}: ${value}, goal ${f.goal}${verdict}; ${f.detail}`;
}
