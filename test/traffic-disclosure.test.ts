/**
 * The statistical disclosure attack on sealed sender (Martiny et al., NDSS 2021, §4) on
 * traces of what a provider observes: delivery receipts give the sender away, at once in a
 * quiet two-person conversation, after a few messages when others receive in the same
 * epochs; an envelope that names its sender gives it away at the first message.
 */
import test from 'ava';
import { Rng } from '../harness/rng.ts';
import { discloseSenders, type Observation } from '../attacks/traffic/disclosure.ts';

/** A message from `from` to `to` in its own epoch: the delivery, then the receipt to the sender. */
function exchange(epoch: number, message: number, from: string, to: string, sealed = true): Observation[] {
  return [
    { epoch, recipient: to, sender: sealed ? null : from, message },
    { epoch, recipient: from, sender: null, message: null },
  ];
}

test('sealed sender, two people: the receipt to the sender names it at the first message of each direction', (t) => {
  const trace = [...exchange(1, 1, 'alice', 'bob'), ...exchange(2, 2, 'bob', 'alice'), ...exchange(3, 3, 'alice', 'bob')];
  t.deepEqual(discloseSenders(trace), [
    { message: 1, sender: 'alice', via: 'disclosure', after: 1 },
    { message: 2, sender: 'bob', via: 'disclosure', after: 1 },
    { message: 3, sender: 'alice', via: 'disclosure', after: 2 },
  ]);
});

test('sealed sender among others: the correspondent stands out after a few of the recipient messages, strangers in the same epochs do not', (t) => {
  const rng = Rng.fromSeed(1, 'disclosure-noise');
  const strangers = ['carol', 'dave', 'erin', 'frank'];
  const trace: Observation[] = [];
  for (let m = 1; m <= 8; m++) {
    trace.push({ epoch: m, recipient: 'bob', sender: null, message: m });
    // Others receive in the same epoch, some before the receipt reaches alice.
    const noise = [rng.pick(strangers), rng.pick(strangers)];
    trace.push({ epoch: m, recipient: noise[0]!, sender: null, message: null });
    trace.push({ epoch: m, recipient: 'alice', sender: null, message: null });
    trace.push({ epoch: m, recipient: noise[1]!, sender: null, message: null });
  }
  const guesses = discloseSenders(trace);
  t.true(guesses.length > 0);
  t.true(guesses.every((g) => g.sender === 'alice' && g.via === 'disclosure'), JSON.stringify(guesses));
  const first = guesses[0]!.after;
  t.true(first > 1 && first <= 5, `identified after ${first} messages`);
  t.deepEqual(guesses.map((g) => g.message), Array.from({ length: 9 - first }, (_, i) => first + i));
});

test('without sealed sender, the envelope names every sender at once', (t) => {
  const trace = [...exchange(1, 1, 'alice', 'bob', false), ...exchange(2, 2, 'bob', 'alice', false)];
  t.deepEqual(discloseSenders(trace), [
    { message: 1, sender: 'alice', via: 'envelope', after: 1 },
    { message: 2, sender: 'bob', via: 'envelope', after: 1 },
  ]);
});

test('a message whose epoch holds no other recipient is no guess', (t) => {
  t.deepEqual(discloseSenders([{ epoch: 1, recipient: 'bob', sender: null, message: 1 }]), []);
});
