/**
 * Envelope fuzzing, for every built-in target. A conversation (two one-to-one chats and a
 * group) runs in rounds; between its real deliveries the receiving clients get mutated
 * envelopes, field by field (see `helpers/envelope-fields.ts`): a field truncated, extended,
 * bit-flipped, dropped, or swapped with a field of another envelope (the sender and the
 * recipient included), and real envelopes replayed (delivered again after they were
 * delivered) or reordered (delivered for the first time ahead of envelopes sent before them).
 *
 * A client may open an envelope (a legitimate open: a message really sent, to one of its
 * recipients, and for a design that claims authentication or replay protection, from its
 * true sender and only once per device) or reject it with the harness's coded rejection
 * (`RejectionError`). Anything else it throws, a TypeError or RangeError above all, is a
 * crash. Afterwards the sessions must still work.
 *
 * KEYHOLE_FUZZ sets the number of fuzzed envelopes per target (default 300; `npm run fuzz`
 * runs 10,000). The seed changes from run to run and is printed; KEYHOLE_FUZZ_SEED=<n>
 * replays a run's choices (libsignal's ciphertexts still differ: the library draws its own
 * randomness).
 */
import { randomInt } from 'node:crypto';
import test from 'ava';
import { RejectionError, type RejectionCode } from '../harness/errors.ts';
import type { Envelope } from '../harness/provider/api.ts';
import { Rng } from '../harness/rng.ts';
import type { Addressee, DeviceAddress } from '../harness/scenario/types.ts';
import { loadAllTargets } from '../targets/registry.ts';
import type { Design } from '../targets/types.ts';
import { scenarioFromYaml } from './helpers/audit.ts';
import { unsealedDesigns } from './helpers/designs.ts';
import { decodeEnvelope, describePath, DROP, encodeEnvelope, fieldsOf, valueAt, withField, type Field, type FieldTree } from './helpers/envelope-fields.ts';
import { setUpWorld, text } from './helpers/world.ts';

const targets = await loadAllTargets();

const COUNT = Number(process.env['KEYHOLE_FUZZ'] ?? 300);
const SEED = Number(process.env['KEYHOLE_FUZZ_SEED'] ?? randomInt(2 ** 31));
/** Fuzzed envelopes between two batches of real traffic. */
const PER_ROUND = 20;
/** How far back (in real envelopes, a few rounds) mutations, swaps and replays reach. */
const RECENT = 40;
/** Tries at a mutation that applies (and still encodes) before the fuzzer gives up. */
const MUTATION_ATTEMPTS = 1000;
/** Crashes and wrong opens quoted in a failure, of all found. */
const QUOTED = 8;

const FIELD_MUTATIONS = ['truncate', 'extend', 'swap', 'bit-flip', 'drop'] as const;
const MUTATIONS = [...FIELD_MUTATIONS, 'replay', 'reorder'] as const;
type Mutation = (typeof MUTATIONS)[number];

const scenario = scenarioFromYaml(`
name: fuzz
users: { alice: [phone], bob: [phone], carol: [phone] }
groups:
  club: { admin: alice, members: [alice, bob, carol] }
steps:
  - send: { from: alice, to: bob }
`);

/** One batch of real traffic: who sends what to whom. */
const ROUND: readonly { from: DeviceAddress; to: Addressee }[] = [
  { from: 'alice.phone', to: { kind: 'user', user: 'bob' } },
  { from: 'alice.phone', to: { kind: 'user', user: 'bob' } },
  { from: 'bob.phone', to: { kind: 'user', user: 'alice' } },
  { from: 'carol.phone', to: { kind: 'user', user: 'bob' } },
  { from: 'alice.phone', to: { kind: 'group', group: 'club' } },
  { from: 'carol.phone', to: { kind: 'group', group: 'club' } },
];
const GROUP_MEMBERS = ['alice', 'bob', 'carol'];

// signal and libsignal seal their envelopes, whose sealed layer authenticates what it carries:
// with sealed sender off as well, the fuzzer reaches the sessions' own parsing.
const designs: readonly Design[] = [...Object.values(targets), ...unsealedDesigns];

/**
 * Seeds that once found a problem, run every time beside the random one: mls, 390030638
 * (a replay accepted after a commit race rolled a member back to a state that still held
 * the consumed keys of the epoch; RFC 9420 §9.2).
 */
const REGRESSIONS: Readonly<Record<string, readonly number[]>> = { mls: [390030638] };

for (const design of designs) for (const seed of [SEED, ...(REGRESSIONS[design.name] ?? [])]) {
  const name = design.name;
  // The fuzzer's messages are unverified: a claim for verified conversations only does not cover them.
  const authenticates = design.claims.some((c) => (c.property === 'authentication' || c.property === 'replay') && c.scope !== 'verified');
  const pinned = seed === SEED ? '' : ` (seed ${seed})`;

  test(`${name}: ${COUNT} fuzzed envelopes are each opened legitimately or refused with a coded rejection, never a crash${authenticates ? ' (no forgery, no replay)' : ''}; sessions still work${pinned}`, async (t) => {
    const SEED = seed;
    t.log(`KEYHOLE_FUZZ_SEED=${SEED}`);
    const rng = Rng.fromSeed(SEED, 'fuzz', name);
    const harness = await setUpWorld(design, scenario);
    harness.holdDeliveries();

    /** Text -> who sent it, to which users, in which group. */
    const sent = new Map<string, { from: DeviceAddress; to: readonly string[]; group: string | null }>();
    /** `device|text` -> times opened. */
    const opened = new Map<string, number>();
    const tally = new Tally();
    const problems: string[] = [];

    const say = async (from: DeviceAddress, to: Addressee, body: string) => {
      const users = to.kind === 'user' ? [to.user, from.split('.')[0]!] : GROUP_MEMBERS;
      sent.set(body, { from, to: users, group: to.kind === 'group' ? to.group : null });
      const outcome = await harness.client(from).send({ id: body.replace(/\s/g, '-'), to, body: new TextEncoder().encode(body) });
      if (!outcome.sent) throw new Error(`${from} refused to send: ${outcome.reason}`);
    };

    /** Hand an envelope to its recipient and judge what happens. */
    const deliver = async (envelope: Envelope, kind: Mutation | 'in order', field = ''): Promise<void> => {
      const what = field ? `${kind} ${field}` : kind;
      let received;
      try {
        received = await harness.deliver(envelope);
      } catch (error) {
        if (RejectionError.is(error)) return tally.add(kind, error.code);
        problems.push(`${what}: crashed with ${describeError(error)}`);
        return tally.add(kind, 'crashed');
      }
      if (!received) return tally.add(kind, 'control');
      tally.add(kind, 'opened');
      const body = text(received.body);
      const truth = sent.get(body);
      const key = `${envelope.to}|${body}`;
      opened.set(key, (opened.get(key) ?? 0) + 1);
      if (!truth) problems.push(`${what}: opened to "${body.slice(0, 40)}", which nobody sent`);
      else if (!truth.to.includes(envelope.to.split('.')[0]!)) problems.push(`${what}: ${envelope.to} opened "${body}", sent to ${truth.to.join(', ')}`);
      else if (authenticates && received.from !== truth.from) problems.push(`${what}: accepted "${body}" as from ${received.from}, sent by ${truth.from}`);
      else if (authenticates && received.group !== truth.group) problems.push(`${what}: accepted "${body}" in ${received.group ?? 'a one-to-one chat'}`);
      else if (authenticates && opened.get(key)! > 1) problems.push(`${what}: ${envelope.to} accepted "${body}" twice`);
    };

    // The latest real envelopes: what mutations and swaps start from.
    let recent: Envelope[] = [];
    const delivered: Envelope[] = [];
    let fuzzed = 0;
    for (let round = 0; fuzzed < COUNT; round++) {
      for (const [i, { from, to }] of ROUND.entries()) await say(from, to, `round ${round} message ${i} from ${from}`);
      const pending = harness.held.splice(0);
      recent = [...recent, ...pending].slice(-RECENT);
      for (let i = 0; i < PER_ROUND && fuzzed < COUNT; i++) {
        // Now and then the network delivers the next envelope in order.
        if (pending.length > 0 && rng.int(3) === 0) await deliverInOrder(pending.shift()!);
        const kind = pickMutation(rng, pending.length, delivered.length, recent);
        fuzzed++;
        if (kind === 'replay') {
          await deliver(rng.pick(delivered.slice(-RECENT)), 'replay');
        } else if (kind === 'reorder') {
          // Ahead of at least one envelope sent before it, delivered for the first time.
          const [envelope] = pending.splice(1 + rng.int(pending.length - 1), 1);
          await deliver(envelope!, 'reorder');
          delivered.push(envelope!);
        } else {
          const mutated = mutate(kind, recent, rng);
          await deliver(mutated.envelope, kind, mutated.field);
        }
      }
      while (pending.length > 0) await deliverInOrder(pending.shift()!);
    }

    async function deliverInOrder(envelope: Envelope): Promise<void> {
      await deliver(envelope, 'in order');
      delivered.push(envelope);
    }

    for (const line of tally.summary()) t.log(line);
    t.deepEqual(problems.slice(0, QUOTED), [], `${problems.length} problem(s); replay with KEYHOLE_FUZZ_SEED=${SEED}`);

    // The sessions still work: a message and its reply, each delivered before the next is sent, are opened.
    const after: string[] = [];
    for (const [from, to, body] of [['alice.phone', 'bob', 'after fuzzing'], ['bob.phone', 'alice', 'still here']] as const) {
      await say(from, { kind: 'user', user: to }, body);
      for (const envelope of harness.held.splice(0)) {
        const received = await harness.deliver(envelope);
        if (received) after.push(text(received.body));
      }
    }
    t.deepEqual(after, ['after fuzzing', 'still here']);
  });
}

type Outcome = 'opened' | 'control' | 'crashed' | RejectionCode;

/** What became of the envelopes, by mutation. */
class Tally {
  readonly #counts = new Map<Mutation | 'in order', Map<Outcome, number>>();

  add(kind: Mutation | 'in order', outcome: Outcome): void {
    const counts = this.#counts.get(kind) ?? new Map<Outcome, number>();
    counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
    this.#counts.set(kind, counts);
  }

  /** Three lines: the fuzzed envelopes' outcomes, the same by mutation, the real traffic's. */
  summary(): string[] {
    const total = (kinds: readonly (Mutation | 'in order')[], outcome: Outcome) => kinds.reduce((n, k) => n + (this.#counts.get(k)?.get(outcome) ?? 0), 0);
    const codes = [...new Set([...this.#counts.values()].flatMap((c) => [...c.keys()]))].filter((o) => !['opened', 'control', 'crashed'].includes(o)).sort();
    const rejected = (kinds: readonly (Mutation | 'in order')[]) => codes.reduce((n, code) => n + total(kinds, code), 0);
    const fuzzed = MUTATIONS;
    const byCode = codes.map((code) => `${code} ${total(fuzzed, code)}`).filter((entry) => !entry.endsWith(' 0'));
    return [
      `fuzzed: ${total(fuzzed, 'opened')} opened legitimately, ${total(fuzzed, 'control')} control messages, ${rejected(fuzzed)} coded rejections (${byCode.join(', ')}), ${total(fuzzed, 'crashed')} crashes`,
      `opened / rejected by mutation: ${MUTATIONS.map((m) => `${m} ${total([m], 'opened')}/${rejected([m])}`).join(', ')}`,
      `real traffic in order: ${total(['in order'], 'opened')} opened, ${total(['in order'], 'control')} control messages, ${rejected(['in order'])} coded rejections, ${total(['in order'], 'crashed')} crashes`,
    ];
  }
}

/** A mutation that can be made now (a sealed envelope, say, has no inner field to drop). */
function pickMutation(rng: Rng, pending: number, delivered: number, pool: readonly Envelope[]): Mutation {
  const applies = (m: Mutation) => {
    if (m === 'reorder') return pending >= 2;
    if (m === 'replay') return delivered >= 1;
    return pool.some((envelope) => fieldsOf(treeOf(envelope)).some(APPLIES[m]));
  };
  const possible = MUTATIONS.filter(applies);
  return rng.pick(possible);
}

/** Which fields a mutation can change (`to` only by a swap: the envelope must still reach a device). */
const APPLIES: Record<(typeof FIELD_MUTATIONS)[number], (field: Field) => boolean> = {
  truncate: (f) => f.path[0] !== 'to' && (f.kind === 'bytes' || f.kind === 'string' || f.kind === 'array'),
  extend: (f) => f.path[0] !== 'to' && (f.kind === 'bytes' || f.kind === 'string' || f.kind === 'array'),
  'bit-flip': (f) => f.path[0] !== 'to' && ['bytes', 'string', 'number', 'bigint', 'boolean'].includes(f.kind),
  drop: (f) => f.path[0] === 'body' && f.path.length > 1,
  swap: () => true,
};

const trees = new WeakMap<Envelope, FieldTree>();
const treeOf = (envelope: Envelope): FieldTree => {
  let tree = trees.get(envelope);
  if (!tree) trees.set(envelope, (tree = decodeEnvelope(envelope)));
  return tree;
};

/**
 * A copy of one of `pool`'s envelopes with one field changed. When the change leaves the
 * envelope as it was (a swap with an equal value, an empty field cut short) or no longer
 * encodes (an MLS field of the wrong type), another is tried.
 */
function mutate(kind: (typeof FIELD_MUTATIONS)[number], pool: readonly Envelope[], rng: Rng): { envelope: Envelope; field: string } {
  for (let attempt = 0; ; attempt++) {
    const base = rng.pick(pool);
    const tree = treeOf(base);
    const fields = fieldsOf(tree).filter(APPLIES[kind]);
    if (fields.length === 0) {
      if (attempt < MUTATION_ATTEMPTS) continue;
      throw new Error(`no envelope has a field to ${kind}`);
    }
    const field = rng.pick(fields);
    let changed: FieldTree;
    if (kind === 'swap') {
      const other = treeOf(rng.pick(pool.filter((e) => e !== base)));
      const same = valueAt(other, field.path);
      // The same field of another envelope where it has one, any field of it otherwise (the wrong type, say).
      const replacement = same !== undefined && field.path[0] !== 'to' ? same : valueAt(other, rng.pick(fieldsOf(other).filter((f) => f.path[0] === field.path[0])).path);
      changed = withField(tree, field.path, () => replacement);
    } else {
      changed = withField(tree, field.path, (old) => change(kind, old, rng));
    }
    let envelope: Envelope;
    try {
      envelope = encodeEnvelope(changed);
    } catch (error) {
      if (attempt >= MUTATION_ATTEMPTS) throw error;
      continue;
    }
    if (!sameEnvelope(envelope, base)) return { envelope, field: describePath(field.path) };
    if (attempt >= MUTATION_ATTEMPTS) throw new Error(`no ${kind} changes any envelope`);
  }
}

function change(kind: 'truncate' | 'extend' | 'bit-flip' | 'drop', value: unknown, rng: Rng): unknown {
  if (kind === 'drop') return DROP;
  if (value instanceof Uint8Array) {
    if (kind === 'truncate') return value.slice(0, rng.int(Math.max(1, value.length)));
    if (kind === 'extend') return new Uint8Array([...value, ...rng.bytes(1 + rng.int(32))]);
    const flipped = value.slice();
    if (flipped.length > 0) for (let n = 1 + rng.int(3); n > 0; n--) flipped[rng.int(flipped.length)]! ^= 1 << rng.int(8);
    return flipped;
  }
  if (typeof value === 'string') {
    if (kind === 'truncate') return value.slice(0, rng.int(Math.max(1, value.length)));
    if (kind === 'extend') return value + rng.hex(1 + rng.int(8));
    if (value.length === 0) return value;
    const at = rng.int(value.length);
    return value.slice(0, at) + String.fromCharCode(value.charCodeAt(at) ^ (1 << rng.int(7))) + value.slice(at + 1);
  }
  if (Array.isArray(value)) {
    if (kind === 'truncate') return value.slice(0, rng.int(Math.max(1, value.length)));
    return value.length > 0 ? [...value, value[rng.int(value.length)]] : [null];
  }
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) ? Number(BigInt(value) ^ (1n << BigInt(rng.int(53)))) : -value;
  }
  if (typeof value === 'bigint') return BigInt.asUintN(64, value ^ (1n << BigInt(rng.int(64))));
  if (typeof value === 'boolean') return !value;
  return value;
}

function sameEnvelope(a: Envelope, b: Envelope): boolean {
  return a.from === b.from && a.to === b.to && a.body.length === b.body.length && a.body.every((byte, i) => byte === b.body[i]);
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return `a non-Error: ${String(error)}`;
  const where = error.stack?.split('\n').find((line) => line.includes('/targets/') || line.includes('node_modules'))?.trim();
  return `${error.name}: ${error.message}${where ? ` (${where})` : ''}`;
}
