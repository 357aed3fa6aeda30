/**
 * Envelope fuzzing, for every built-in target: mutated envelopes (bit flips, truncation,
 * extension, replays, reordering, bodies swapped between sessions, a forged sender) fed to
 * the receiving clients. No client may crash, `signal` may accept no forgery and no replay,
 * and the sessions must still work afterwards.
 * KEYHOLE_FUZZ sets the number of mutated envelopes per target (default 300; `npm run fuzz`
 * runs the full 10,000).
 */
import test from 'ava';
import type { Envelope } from '../harness/provider/api.ts';
import { Rng } from '../harness/rng.ts';
import { targets } from '../targets/registry.ts';
import { scenarioFromYaml } from './helpers/audit.ts';
import { setUpWorld, text } from './helpers/world.ts';

const COUNT = Number(process.env['KEYHOLE_FUZZ'] ?? 300);
/** Designs that promise to reject every forged or replayed envelope. */
const STRICT = new Set(['signal', 'ghost', 'escrow', 'libsignal', 'mls']);

const scenario = scenarioFromYaml(`
name: fuzz
users: { alice: [phone], bob: [phone], carol: [phone] }
steps:
  - send: { from: alice, to: bob }
`);

const MUTATIONS = ['bit-flip', 'truncate', 'extend', 'replay', 'swap-body', 'forge-sender', 'reorder'] as const;

for (const [name, design] of Object.entries(targets)) {
  test(`${name}: ${COUNT} mutated envelopes: no crash${STRICT.has(name) ? ', no forgery or replay accepted' : ''}, sessions still work`, async (t) => {
    const harness = await setUpWorld(design, scenario);
    harness.holdDeliveries();
    const sentTexts = new Map<string, string>(); // text -> true sender
    const say = async (from: 'alice' | 'bob' | 'carol', to: string, body: string) => {
      sentTexts.set(body, `${from}.phone`);
      await harness.send(`${from}.phone`, to, body.replace(/\s/g, '-'), body);
    };
    /** Hand every held envelope to its recipient, in order; the texts of the messages (control messages give none). */
    const deliverHeld = async () => {
      const texts: string[] = [];
      for (const envelope of harness.held.splice(0)) {
        const received = await harness.deliver(envelope);
        if (received) texts.push(text(received.body));
      }
      return texts;
    };
    // A conversation with a reply (so both directions and a ratchet step exist), and a third party.
    await say('alice', 'bob', 'hello bob 1');
    await deliverHeld();
    await say('bob', 'alice', 'hi alice');
    await deliverHeld();
    await say('alice', 'bob', 'hello bob 2');
    await say('alice', 'bob', 'hello bob 3');
    await say('carol', 'bob', 'carol here');
    const originals: Envelope[] = [...harness.held];
    harness.held.length = 0;

    const rng = Rng.fromSeed(1, 'fuzz', name);
    const accepted = new Map<string, number>();
    const problems: string[] = [];
    for (let i = 0; i < COUNT; i++) {
      const kind = MUTATIONS[rng.int(MUTATIONS.length)]!;
      const envelope = mutate(kind, originals, rng);
      try {
        const received = await harness.deliver(envelope);
        if (!received) continue;
        const body = text(received.body);
        accepted.set(body, (accepted.get(body) ?? 0) + 1);
        if (STRICT.has(name)) {
          if (sentTexts.get(body) !== received.from) problems.push(`${kind}: accepted "${body.slice(0, 40)}" as from ${received.from}`);
          if (accepted.get(body)! > 1) problems.push(`${kind}: accepted "${body}" twice`);
        }
      } catch (error) {
        if (!(error instanceof Error)) problems.push(`${kind}: threw a non-Error: ${String(error)}`);
      }
    }
    t.deepEqual(problems.slice(0, 5), []);

    // The sessions still work: fresh messages both ways are accepted.
    await say('alice', 'bob', 'after fuzzing');
    const first = await deliverHeld();
    await say('bob', 'alice', 'still here');
    t.deepEqual([...first, ...(await deliverHeld())], ['after fuzzing', 'still here']);
  });
}

function mutate(kind: (typeof MUTATIONS)[number], originals: readonly Envelope[], rng: Rng): Envelope {
  const original = originals[rng.int(originals.length)]!;
  const body = original.body.slice();
  switch (kind) {
    case 'bit-flip':
      for (let n = 1 + rng.int(3); n > 0; n--) body[rng.int(body.length)]! ^= 1 << rng.int(8);
      return { ...original, body };
    case 'truncate':
      return { ...original, body: body.slice(0, rng.int(body.length)) };
    case 'extend':
      return { ...original, body: new Uint8Array([...body, ...rng.bytes(1 + rng.int(32))]) };
    case 'replay':
    case 'reorder':
      return original;
    case 'swap-body': {
      const other = originals[rng.int(originals.length)]!;
      return { ...original, body: other.body };
    }
    case 'forge-sender': {
      const senders = [...new Set(originals.map((e) => e.from))].filter((f) => f !== original.from && f !== original.to);
      return senders.length > 0 ? { ...original, from: senders[rng.int(senders.length)]! } : original;
    }
  }
}
