/**
 * The bare Double Ratchet of the reference `signal` design (targets/signal/ratchet.ts), as the
 * hot-path findings time and count it: imported by them only when they run, so that a bench
 * run without protocol rows loads nothing of a target.
 */
import type { CryptoBackend } from '../harness/crypto/backend.ts';
import type { Rng } from '../harness/rng.ts';
import { generateDh } from '../targets/signal/primitives.ts';
import * as ratchet from '../targets/signal/ratchet.ts';
import { filled } from './core.ts';
import { MESSAGE_BYTES } from './protocol.ts';

/** Two ratchet states with a session between them (initiator and responder of §3.3). */
function ratchetPair(crypto: CryptoBackend, rng: Rng) {
  const sharedSecret = rng.bytes(32);
  const associatedData = rng.bytes(128);
  const bobPrekey = generateDh(crypto, rng);
  const alice = ratchet.initInitiator(crypto, rng, sharedSecret, bobPrekey.publicKey, associatedData);
  const bob = ratchet.initResponder(sharedSecret, bobPrekey, associatedData);
  return { alice, bob };
}

/** Send one ratchet message each way in turn, `crypto` doing the work. */
export function alternatingRatchet(crypto: CryptoBackend, rng: Rng): () => void {
  const { alice, bob } = ratchetPair(crypto, rng);
  const plaintext = filled(MESSAGE_BYTES + 32, 5); // the client's payload: the body plus its encoded id and time
  let turn = 0;
  return () => {
    const [from, to] = turn++ % 2 === 0 ? [alice, bob] : [bob, alice];
    const opened = ratchet.decrypt(to, crypto, rng, ratchet.encrypt(from, crypto, plaintext));
    if (opened.length !== plaintext.length) throw new Error('the ratchet returned a different plaintext');
  };
}
