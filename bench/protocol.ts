/**
 * Whole-protocol benchmarks: every target in targets/registry.ts (iterated, so targets added
 * there get rows without a change here) with two users, one device each, driven through the
 * harness's own Provider exactly as an audit drives them, minus the wire recording (the
 * network adversary's tape is not part of a messenger's cost).
 *
 * Tasks (SPEC §8):
 * - `session setup`: two freshly registered devices exchange a first message and its reply;
 *   one op is one session (registration itself is done untimed before each op).
 * - `messages 1KiB one-way`: an established session, one side sends, the other decrypts.
 * - `messages 1KiB alternating`: a reply every message, so every message takes a DH ratchet step.
 * One op of the message tasks is one message encrypted by its sender and decrypted by its
 * recipient. `overheadBytes`: bytes the sender uploads for one message beyond the 1 KiB body.
 *
 * The harness's designs run on each measured backend; library targets (LIBRARY_TARGETS) bring
 * their own cryptography and run once, as crypto `own`. A design's module is imported when the
 * first of its rows is prepared, so a run whose filter selects no protocol row loads none.
 * Designs with client-side scanning get the authority and match list an audit's world gives
 * them (harness/world.ts): see SCANNING_NOTE.
 */
import type { CryptoBackend } from '../harness/crypto/backend.ts';
import type { Envelope } from '../harness/provider/api.ts';
import { Provider } from '../harness/provider/provider.ts';
import { WireLog } from '../harness/provider/wire.ts';
import { Rng } from '../harness/rng.ts';
import { deviceAddress, type DeviceAddress } from '../harness/scenario/types.ts';
import type { BoxPrivateKey, BoxPublicKey } from '../targets/shared/sealed-box.ts';
import { loadTargets, targetNames } from '../targets/registry.ts';
import type { Client, Design, ReceivedMessage, ScanAuthorityAccess } from '../targets/types.ts';
import { filled, type BenchCase, type GroupPlan, type PlanContext, type Timing } from './core.ts';

/**
 * Targets that wrap a real library with its own cryptography: measured once, crypto `own`.
 * A name stands for the target at every installed version (`matrix` and `matrix@14.2.0`).
 */
export const LIBRARY_TARGETS: ReadonlySet<string> = new Set(['libsignal', 'mls', 'matrix', 'matrix-invisible']);

/** Whether a target brings its own cryptography (at whichever version: `name@version`). */
export function isLibraryTarget(name: string): boolean {
  return LIBRARY_TARGETS.has(name.replace(/@[^@]+$/, ''));
}

export const OWN_CRYPTO = 'own';

export const MESSAGE_BYTES = 1024;

export const PROTOCOL_TASKS = {
  setup: 'session setup',
  oneWay: 'messages 1KiB one-way',
  alternating: 'messages 1KiB alternating',
} as const;

/** Session set-up registers two devices per op, untimed: fewer, longer iterations. */
const SETUP_TIMING: Record<'quick' | 'full', Partial<Timing>> = {
  quick: { time: 30, iterations: 3, warmupTime: 0, warmupIterations: 1 },
  full: { time: 300, iterations: 10, warmupTime: 0, warmupIterations: 2 },
};

/** Time budget (ms) of the alternating-message rows in a quick run: the rows of the signal / libsignal goal. */
const QUICK_ALTERNATING_MS = 100;

/** Warm-up of the message rows (see where it is used). */
const MESSAGE_WARMUP: Record<'quick' | 'full', Partial<Timing>> = {
  quick: { warmupTime: 250, warmupIterations: 10 },
  full: { warmupTime: 1000, warmupIterations: 20 },
};

const EPOCH = Date.UTC(2026, 0, 1);

/** A wire log that keeps nothing: the recording is the network adversary's, not the messenger's, cost. */
class NullWire extends WireLog {
  override record(): void {}
}

/**
 * A minimal world: the harness Provider, two or more registered devices, a virtual clock.
 * Every message goes client -> provider -> client through the same code paths as an audit.
 */
export class BenchNetwork {
  readonly provider: Provider;
  readonly clients = new Map<string, Client>();
  /** Bytes uploaded by senders since the last `send`. */
  uploaded = 0;
  received: ReceivedMessage | null = null;
  #clock = 0;
  #sequence = 0;
  #turn = 0;
  readonly #escrowKey: BoxPublicKey | null;
  readonly #scanAuthority: ScanAuthorityAccess | null;

  constructor(
    readonly design: Design,
    readonly crypto: CryptoBackend,
    readonly rng: Rng,
  ) {
    const logic = design.createServer?.({ rng: rng.fork('server'), crypto, bundleOf: (address) => this.provider.bundleOf(address) });
    this.#escrowKey = design.escrowAuthority ? escrowAuthority(crypto, rng.fork('escrow-authority')).publicKey : null;
    // As harness/world.ts makes it: the authority's key pair and the match list the provider
    // distributes, empty until an adversary (list-controller) writes to it (SCANNING_NOTE).
    this.#scanAuthority = design.scanning ? { publicKey: escrowAuthority(crypto, rng.fork('scan-authority')).publicKey, matchList: () => [] } : null;
    this.provider = new Provider(new NullWire(), logic ?? null, {
      deliver: (envelope, body) => this.#deliver(envelope, body),
      uploaded: (_from, envelopes) => {
        for (const e of envelopes) this.uploaded += e.body.length;
      },
    });
  }

  async addUser(user: string): Promise<void> {
    const address = deviceAddress(user, 'phone');
    const client = this.design.createClient({
      address,
      user,
      device: 'phone',
      provider: this.provider.connect(address),
      alert: () => {},
      rng: this.rng.fork(`device:${address}`),
      crypto: this.crypto,
      now: () => EPOCH + this.#clock++,
      serverConfig: this.provider.logic?.clientConfig ?? null,
      escrowKey: this.#escrowKey,
      scanAuthority: this.#scanAuthority,
    });
    this.clients.set(user, client);
    await client.register();
  }

  /** `from` sends `body` to `to`; throws unless `to` received exactly that message. */
  async send(from: string, to: string, body: Uint8Array): Promise<void> {
    const id = `m${++this.#sequence}`;
    this.uploaded = 0;
    this.received = null;
    const outcome = await this.clients.get(from)!.send({ id, to: { kind: 'user', user: to }, body });
    if (!outcome.sent) throw new Error(`${this.design.name}: ${from} refused to send: ${outcome.reason}`);
    // (set by the delivery callback during `send`)
    if ((this.received as ReceivedMessage | null)?.id !== id) throw new Error(`${this.design.name}: ${to} did not receive ${id}`);
    // The provider keeps everything it stored for the server adversary; a benchmark needs none of it.
    this.provider.stored.length = 0;
  }

  /** The next message of a conversation in which alice and bob reply to each other, alice first. */
  reply(body: Uint8Array): Promise<void> {
    const aliceSends = this.#turn++ % 2 === 0;
    return this.send(aliceSends ? 'alice' : 'bob', aliceSends ? 'bob' : 'alice', body);
  }

  async #deliver(envelope: Envelope, body: Uint8Array): Promise<void> {
    const user = envelope.to.slice(0, envelope.to.indexOf('.'));
    const client = this.clients.get(user);
    if (!client) return;
    this.received = await client.receive({ ...envelope, body });
  }
}

/** The escrow authority's key pair, as harness/world.ts makes it for designs that have one. */
function escrowAuthority(crypto: CryptoBackend, rng: Rng): { publicKey: BoxPublicKey; privateKey: BoxPrivateKey } {
  const x25519 = rng.bytes(32);
  const x25519Public = crypto.x25519PublicKey(x25519);
  const mlKem = crypto.mlKem768Keygen(rng.bytes(64));
  return { publicKey: { x25519: x25519Public, mlKem: mlKem.publicKey }, privateKey: { x25519, x25519Public, mlKem: mlKem.secretKey } };
}

/** Two registered users with a confirmed session (a message each way). */
export async function establishedPair(design: Design, crypto: CryptoBackend, label: string): Promise<BenchNetwork> {
  const net = new BenchNetwork(design, crypto, Rng.fromSeed(1, 'bench', label));
  await net.addUser('alice');
  await net.addUser('bob');
  await net.send('alice', 'bob', filled(MESSAGE_BYTES, 1));
  await net.send('bob', 'alice', filled(MESSAGE_BYTES, 2));
  return net;
}

/**
 * Once per process, before the first protocol row is timed: messages through a harness design
 * for a while. Every design shares the history database (SQLite compiled to WebAssembly), the
 * encodings and the provider; V8 first runs WebAssembly with its baseline compiler and swaps
 * in optimised code in the background, which on a busy 2-core machine takes seconds. Without
 * this, whichever design is timed first pays for it.
 */
let warmedUp: Promise<void> | null = null;

export function warmUpSharedCode(crypto: CryptoBackend, quick: boolean): Promise<void> {
  warmedUp ??= (async () => {
    if (!targetNames().includes('static-e2ee')) return;
    const [design] = await loadTargets(['static-e2ee']);
    const net = await establishedPair(design!, crypto, 'warm-up');
    const body = filled(MESSAGE_BYTES, 4);
    const until = Date.now() + (quick ? 2_000 : 5_000);
    for (let i = 0; Date.now() < until; i++) {
      await net.send(i % 2 === 0 ? 'alice' : 'bob', i % 2 === 0 ? 'bob' : 'alice', body);
      // Let the background compiler's results be installed now and then.
      if (i % 200 === 199) await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  return warmedUp;
}

/** A message arrives with its body intact: the protocol rows' check, run before timing. */
async function checkDelivery(net: BenchNetwork, from: string, to: string, body: Uint8Array): Promise<number> {
  await net.send(from, to, body);
  const got = net.received!.body;
  if (!Buffer.from(got).equals(body)) throw new Error(`${net.design.name}: ${to} decrypted a different body`);
  return net.uploaded - body.length;
}

export interface ProtocolRun {
  /** The target's name in targets/registry.ts; its design is loaded when a row of it runs. */
  target: string;
  crypto: CryptoBackend;
  /** `own` for library targets, else the backend's name. */
  cryptoLabel: string;
}

/** Which (target, crypto) pairs run: harness designs on every backend, library targets once. */
export function protocolRuns(context: PlanContext, names: readonly string[] = targetNames()): ProtocolRun[] {
  const runs: ProtocolRun[] = [];
  for (const target of names) {
    if (isLibraryTarget(target)) {
      runs.push({ target, crypto: context.backends[0]!, cryptoLabel: OWN_CRYPTO });
      continue;
    }
    for (const crypto of context.backends) runs.push({ target, crypto, cryptoLabel: crypto.name });
  }
  return runs;
}

/** Said under the table when a design with client-side scanning ran: its list is the one an audit's world starts with. */
export const SCANNING_NOTE = 'an empty match list, as in an audit against every adversary but list-controller: each message fingerprinted and matched against it, no report sent';

/** The rows of the named targets (default: every one registered); each design is loaded by the first of its rows that runs. */
export function protocolPlan(context: PlanContext, names: readonly string[] = targetNames()): GroupPlan {
  const cases: BenchCase[] = [];
  const body = filled(MESSAGE_BYTES, 3);
  const runs = protocolRuns(context, names);
  const mode = context.quick ? 'quick' : 'full';
  const notes: string[] = [];
  const scanning: string[] = [];
  /** The design of a row, loaded as the row is prepared; a scanning design's note joins the group's notes then. */
  const designOf = async (target: string): Promise<Design> => {
    const [design] = await loadTargets([target]);
    if (design!.scanning && !scanning.includes(target)) {
      const at = notes.findIndex((note) => note.endsWith(SCANNING_NOTE));
      scanning.push(target);
      const note = `${scanning.join(', ')}: ${SCANNING_NOTE}`;
      if (at < 0) notes.push(note);
      else notes[at] = note;
    }
    return design!;
  };

  for (const task of Object.values(PROTOCOL_TASKS)) {
    for (const { target, crypto, cryptoLabel } of runs) {
      const label = `${target}/${cryptoLabel}`;
      const base = { group: 'protocol' as const, task, crypto: cryptoLabel, target, bytes: MESSAGE_BYTES, checks: [] };
      if (task === PROTOCOL_TASKS.setup) {
        let design: Design | null = null;
        let overhead: number | undefined;
        let fresh: BenchNetwork | null = null;
        let n = 0;
        cases.push({
          ...base,
          prepare: async () => {
            design = await designOf(target);
            await warmUpSharedCode(context.backends[0]!, context.quick);
            const net = new BenchNetwork(design, crypto, Rng.fromSeed(1, 'bench', label, 'setup-check'));
            await net.addUser('alice');
            await net.addUser('bob');
            overhead = await checkDelivery(net, 'alice', 'bob', body);
            await checkDelivery(net, 'bob', 'alice', body);
          },
          overheadBytes: () => overhead,
          fnOptions: {
            beforeEach: async () => {
              fresh = new BenchNetwork(design!, crypto, Rng.fromSeed(1, 'bench', label, `setup-${n++}`));
              await fresh.addUser('alice');
              await fresh.addUser('bob');
            },
          },
          fn: async () => {
            await fresh!.send('alice', 'bob', body);
            await fresh!.send('bob', 'alice', body);
          },
          timing: SETUP_TIMING[mode],
        });
        continue;
      }
      let net: BenchNetwork | null = null;
      let overhead: number | undefined;
      const alternating = task === PROTOCOL_TASKS.alternating;
      cases.push({
        ...base,
        // A client message runs through a lot of JavaScript (encodings, the history database's
        // glue, the design's own code) that the JIT optimises only after many messages: a longer
        // warm-up than a primitive's. The alternating rows carry the signal / libsignal goal:
        // a longer budget in a quick run too.
        timing: { ...MESSAGE_WARMUP[mode], ...(alternating && context.quick ? { time: QUICK_ALTERNATING_MS } : {}) },
        prepare: async () => {
          const design = await designOf(target);
          await warmUpSharedCode(context.backends[0]!, context.quick);
          net = await establishedPair(design, crypto, label);
          overhead = await checkDelivery(net, 'alice', 'bob', body);
          if (alternating) await checkDelivery(net, 'bob', 'alice', body);
        },
        overheadBytes: () => overhead,
        fn: alternating
          ? async () => {
              await net!.reply(body);
            }
          : async () => {
              await net!.send('alice', 'bob', body);
            },
      });
    }
  }
  const libraries = runs.filter((r) => r.cryptoLabel === OWN_CRYPTO).map((r) => r.target);
  const baseName = (name: string) => name.replace(/@[^@]+$/, '');
  const missing = [...LIBRARY_TARGETS].filter((name) => !names.some((target) => baseName(target) === name));
  notes.push(
    `one op: a message encrypted by its sender and decrypted by its recipient (session setup: one session); overhead: uploaded bytes per message beyond the ${MESSAGE_BYTES}-byte body`,
    ...(libraries.length > 0 ? [`${libraries.join(', ')}: the library's own cryptography (crypto "${OWN_CRYPTO}")`] : []),
    ...(missing.length > 0 ? [`not registered in targets/registry.ts, so not measured: ${missing.join(', ')}`] : []),
  );
  return { group: 'protocol', checks: [], cases, notes };
}
