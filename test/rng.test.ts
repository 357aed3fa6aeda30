/** The seeded random source: a ChaCha20 keystream whose bytes do not depend on how they are drawn. */
import { chacha20 } from '@noble/ciphers/chacha.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import test from 'ava';
import fc from 'fast-check';

import { Rng } from '../harness/rng.ts';

test('the stream is the ChaCha20 keystream keyed by SHA-256 of the seed and labels (RFC 8439)', (t) => {
  const key = sha256(utf8ToBytes(['keyhole-rng', '7', 'run'].join('\u0000')));
  const expected = chacha20(key, new Uint8Array(12), new Uint8Array(1500));
  t.deepEqual(Rng.fromSeed(7, 'run').bytes(1500), expected);
});

test('however the draws are split, the bytes are the same', (t) => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 700 }), { maxLength: 12 }), (sizes) => {
      const whole = Rng.fromSeed(3, 'split').bytes(sizes.reduce((a, b) => a + b, 0));
      const rng = Rng.fromSeed(3, 'split');
      const parts = sizes.map((n) => rng.bytes(n));
      const joined = new Uint8Array(whole.length);
      let at = 0;
      for (const part of parts) {
        joined.set(part, at);
        at += part.length;
      }
      t.deepEqual(joined, whole);
    }),
  );
});

test('a fork is independent of how much its parent has drawn', (t) => {
  const fresh = Rng.fromSeed(1, 'parent');
  const used = Rng.fromSeed(1, 'parent');
  used.bytes(777);
  t.deepEqual(used.fork('child').bytes(64), fresh.fork('child').bytes(64));
  t.notDeepEqual(fresh.fork('child').bytes(64), fresh.fork('other').bytes(64));
});

test('int stays in range and hex has the asked length', (t) => {
  const rng = Rng.fromSeed(5);
  for (let i = 0; i < 200; i++) {
    const value = rng.int(7);
    t.true(Number.isInteger(value) && value >= 0 && value < 7);
  }
  t.regex(rng.hex(16), /^[0-9a-f]{16}$/);
  t.throws(() => rng.int(0), { instanceOf: RangeError });
});
