/** Sender keys on their own: one encryption for the group, forward-only chains, signatures. */
import test from 'ava';
import { cryptoBackend } from '../harness/crypto/index.ts';
import { Rng } from '../harness/rng.ts';
import { SignalError } from '../targets/signal/errors.ts';
import { acceptDistribution, createSenderKey, decryptGroup, distributionOf, encryptGroup } from '../targets/signal/sender-keys.ts';

const crypto = cryptoBackend('node');
const AD = new TextEncoder().encode('family');
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytes = (s: string) => new TextEncoder().encode(s);

function setUp() {
  const own = createSenderKey(crypto, Rng.fromSeed(1, 'sender-key'));
  const peer = acceptDistribution(distributionOf('family', own));
  return { own, peer };
}

test('a group message decrypts once, in or out of order', (t) => {
  const { own, peer } = setUp();
  const messages = ['one', 'two', 'three'].map((m) => encryptGroup(crypto, own, bytes(m), AD));
  t.is(text(decryptGroup(crypto, peer, messages[2]!, AD)), 'three');
  t.is(text(decryptGroup(crypto, peer, messages[0]!, AD)), 'one');
  t.is(text(decryptGroup(crypto, peer, messages[1]!, AD)), 'two');
  for (const message of messages) t.throws(() => decryptGroup(crypto, peer, message, AD), { instanceOf: SignalError });
});

test('a member who gets the key later cannot read earlier messages', (t) => {
  const { own } = setUp();
  const early = encryptGroup(crypto, own, bytes('before you joined'), AD);
  const late = acceptDistribution(distributionOf('family', own));
  const after = encryptGroup(crypto, own, bytes('welcome'), AD);
  t.throws(() => decryptGroup(crypto, late, early, AD), { message: /already received/ });
  t.is(text(decryptGroup(crypto, late, after, AD)), 'welcome');
});

test('a holder of the chain key without the signing key cannot forge', (t) => {
  const { own, peer } = setUp();
  const forger = { ...own, signingSeed: Rng.fromSeed(2, 'forger').bytes(32) };
  const forged = encryptGroup(crypto, forger, bytes('forged'), AD);
  t.throws(() => decryptGroup(crypto, peer, forged, AD), { message: /signature does not verify/ });
  t.is(text(decryptGroup(crypto, peer, encryptGroup(crypto, own, bytes('real'), AD), AD)), 'real');
});

test('a message for another group (other associated data) is rejected', (t) => {
  const { own, peer } = setUp();
  t.throws(() => decryptGroup(crypto, peer, encryptGroup(crypto, own, bytes('x'), bytes('work')), AD));
});
