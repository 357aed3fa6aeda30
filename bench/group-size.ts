/**
 * The group-size curve: what a group costs as it grows, for the designs with groups of a
 * different kind. `signal` and `libsignal` use sender keys (a key per sender, distributed
 * pairwise to every member, and distributed again to everyone after a removal); `mls` is
 * RFC 9420 (a ratchet tree: a Commit's update path is logarithmic in the group, RFC 9420
 * §7, though every copy of a Commit and every Welcome still goes to each member); `matrix` is
 * Megolm (one room key per sender, shared over Olm to every device, and rotated when a member
 * leaves).
 *
 * For each design, one network of registered users; for each size, a group of that many
 * members created by the admin (untimed), one message to the group (untimed: it pays the
 * first key distribution), then, timed:
 * - `message`: the admin sends 1 KiB to the group; every member decrypts it.
 * - `add`: the admin adds a member, then sends the next message (sender keys hand the new
 *   member its key with that message, so the change alone costs nothing).
 * - `remove`: the admin removes that member again, then sends the next message (sender keys
 *   distribute a fresh key to every remaining member with it).
 * Time is wall time from the admin's call until every member has processed what it sent
 * (all clients run in this process); uploaded bytes are what the admin's device uploaded.
 * Both are also given per member of the group.
 *
 * Sizes whose set-up would take too long (projected from the sizes before) are skipped and
 * say so: MLS set-up grows quadratically here, as every joining member processes a Welcome
 * holding the whole tree. A quick run measures 2, 8 and 32 members, each operation once.
 */
import type { CryptoBackend } from '../harness/crypto/backend.ts';
import { Rng } from '../harness/rng.ts';
import { loadTarget } from '../targets/registry.ts';
import { filled } from './core.ts';
import { BenchNetwork, MESSAGE_BYTES, OWN_CRYPTO } from './protocol.ts';
import { crossovers, GROUP_OPERATIONS, type GroupOperation, type GroupSizeCurve, type GroupSizePoint } from './group-size-chart.ts';

export { GROUP_SIZE_TASK } from './group-size-chart.ts';

/** The designs on the curve, in the chart's order; those not registered are left out. */
export const GROUP_TARGETS = ['signal', 'libsignal', 'mls', 'matrix'] as const;

/** The group sizes measured; a quick run stops at 32 members. */
export const GROUP_SIZES: Record<'quick' | 'full', readonly number[]> = {
  quick: [2, 8, 32],
  full: [2, 8, 32, 128, 512, 1024],
};

/** Timed repetitions of each operation (the median is kept); one for groups of 512 and more. */
const REPETITIONS: Record<'quick' | 'full', number> = { quick: 1, full: 3 };
const LARGE_GROUP = 512;

/** The longest set-up (registering the new users, creating the group, its first message) a size may be projected to take, s. */
// A full run gives matrix its 1024 members (about 20 minutes of set-up: each member downloads every member's device keys
// when the room's first message reaches it, so set-up grows as the square) and skips mls's (projected at hours).
const SET_UP_BUDGET_S: Record<'quick' | 'full', number> = { quick: 20, full: 1500 };

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

const userName = (i: number): string => `u${String(i).padStart(4, '0')}`;

let sequence = 0;

/** The admin sends one message to the group; throws unless a member received exactly that body. */
async function groupMessage(net: BenchNetwork, group: string, body: Uint8Array): Promise<void> {
  const id = `g${++sequence}`;
  net.received = null;
  const outcome = await net.clients.get(userName(0))!.send({ id, to: { kind: 'group', group }, body });
  if (!outcome.sent) throw new Error(`${net.design.name}: the admin refused to send to ${group}: ${outcome.reason}`);
  const got = net.received as { id: string; body: Uint8Array } | null;
  if (got?.id !== id || !Buffer.from(got.body).equals(body)) throw new Error(`${net.design.name}: no member of ${group} received ${id} intact`);
  net.provider.stored.length = 0;
}

async function timed(net: BenchNetwork, run: () => Promise<void>): Promise<{ ms: number; bytes: number }> {
  net.uploaded = 0;
  const started = performance.now();
  await run();
  return { ms: performance.now() - started, bytes: net.uploaded };
}

/**
 * The set-up time a size is expected to take, from the two sizes before it: on the log-log
 * line through them (at least linear), or quadratic from a single one.
 */
export function projectSetUp(history: readonly { members: number; seconds: number }[], members: number): number | null {
  const last = history[history.length - 1];
  if (!last) return null;
  const before = history[history.length - 2];
  const slope = before && last.seconds > 0 && before.seconds > 0 ? Math.max(1, Math.log(last.seconds / before.seconds) / Math.log(last.members / before.members)) : 2;
  return last.seconds * (members / last.members) ** slope;
}

export async function groupSizeCurve(options: {
  crypto: CryptoBackend;
  quick: boolean;
  progress?: (line: string) => void;
  /** Other sizes or designs than the mode's (tests). */
  sizes?: readonly number[];
  targets?: readonly string[];
}): Promise<GroupSizeCurve> {
  const mode = options.quick ? 'quick' : 'full';
  const sizes = options.sizes ?? GROUP_SIZES[mode];
  const points: GroupSizePoint[] = [];
  const skipped: GroupSizeCurve['skipped'] = [];
  const body = filled(MESSAGE_BYTES, 5);
  for (const name of options.targets ?? GROUP_TARGETS) {
    const loading = loadTarget(name);
    if (!loading) continue;
    const design = await loading;
    const crypto = name === 'signal' ? options.crypto.name : OWN_CRYPTO;
    // One network per design: the users registered for a size stay for the larger ones, each size its own group.
    const net = new BenchNetwork(design, options.crypto, Rng.fromSeed(1, 'bench', 'group-size', design.name));
    const history: { members: number; seconds: number }[] = [];
    for (const members of sizes) {
      const projected = projectSetUp(history, members);
      if (projected !== null && projected > SET_UP_BUDGET_S[mode]) {
        const last = history[history.length - 1]!;
        skipped.push({ target: name, members, reason: `set-up projected at ${Math.round(projected)} s from ${last.seconds.toFixed(1)} s for ${last.members} members, over the ${SET_UP_BUDGET_S[mode]} s budget` });
        continue;
      }
      options.progress?.(`group size: ${name}, ${members} members`);
      const started = performance.now();
      // One user more than the group: the member added and removed.
      while (net.clients.size <= members) await net.addUser(userName(net.clients.size));
      const group = `g${members}`;
      const names = Array.from({ length: members }, (_, i) => userName(i));
      const admin = net.clients.get(names[0]!)!;
      await admin.createGroup(group, names);
      await groupMessage(net, group, body);
      history.push({ members, seconds: (performance.now() - started) / 1000 });
      const extra = userName(members);
      const samples: Record<GroupOperation, { ms: number; bytes: number }[]> = { message: [], add: [], remove: [] };
      for (let r = 0; r < (members >= LARGE_GROUP ? 1 : REPETITIONS[mode]); r++) {
        samples.message.push(await timed(net, () => groupMessage(net, group, body)));
        samples.add.push(
          await timed(net, async () => {
            await admin.addMember(group, extra);
            await groupMessage(net, group, body);
          }),
        );
        samples.remove.push(
          await timed(net, async () => {
            await admin.removeMember(group, extra);
            await groupMessage(net, group, body);
          }),
        );
      }
      for (const operation of GROUP_OPERATIONS) {
        const ms = median(samples[operation].map((s) => s.ms));
        const uploadedBytes = median(samples[operation].map((s) => s.bytes));
        points.push({ target: name, crypto, members, operation, ms, uploadedBytes, msPerMember: ms / members, bytesPerMember: uploadedBytes / members });
      }
    }
  }
  return { sizes, points, skipped, crossovers: crossovers(points) };
}
