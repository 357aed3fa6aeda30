/**
 * The `libsignal` target's XEdDSA signing (targets/libsignal/xeddsa.ts) against the library:
 * a published vector (libsignal-protocol-c's `curvesigs_fast_test`, the signature form
 * libsignal still uses), its signatures verified by `PublicKey.verify`, and the library's own
 * signatures (`PrivateKey.sign`, with a nonce from the operating system) verified here by
 * XEdDSA verification written from the specification, which only holds if the two agree on
 * the key conversion and on where the Edwards sign bit travels.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import test from 'ava';
import { PrivateKey, type PublicKey } from '@signalapp/libsignal-client';
import { xeddsaSign } from '../targets/libsignal/xeddsa.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** X25519's clamping of a private scalar (RFC 7748 §5), as libsignal applies it on `PrivateKey.deserialize`. */
function clamp(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes);
  out[0]! &= 248;
  out[31]! &= 127;
  out[31]! |= 64;
  return out;
}

const P = 2n ** 255n - 19n;

function power(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = base % P;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
  }
  return result;
}

/**
 * XEdDSA verification (Signal's XEdDSA specification §2.6, as libsignal's
 * `verify_signature`): the Montgomery u of the X25519 key becomes the Edwards y = (u-1)/(u+1),
 * its sign bit taken from the signature's last byte, and the signature, that bit cleared, is
 * checked as Ed25519.
 */
function xeddsaVerify(publicKey: PublicKey, message: Uint8Array, signature: Uint8Array): boolean {
  const serialized = publicKey.serialize();
  if (serialized[0] !== 0x05 || serialized.length !== 33) throw new Error('not a serialized X25519 public key');
  let u = 0n;
  for (let i = 32; i >= 1; i--) u = (u << 8n) | BigInt(serialized[i]!);
  u &= (1n << 255n) - 1n;
  const y = (((u - 1n + P) % P) * power(u + 1n, P - 2n)) % P;
  const edwards = new Uint8Array(32);
  for (let i = 0, v = y; i < 32; i++, v >>= 8n) edwards[i] = Number(v & 0xffn);
  edwards[31]! |= signature[63]! & 0x80;
  const plain = new Uint8Array(signature);
  plain[63]! &= 0x7f;
  try {
    return ed25519.verify(plain, message, edwards);
  } catch {
    return false;
  }
}

test('XEdDSA: the curvesigs vector of libsignal-protocol-c (private key with byte 8 = 189, 200 zero bytes, a zero nonce)', (t) => {
  // src/curve25519/ed25519/tests/internal_fast_tests.c, curvesigs_fast_test (signalapp/libsignal-protocol-c).
  const raw = new Uint8Array(32);
  raw[8] = 189;
  const privateKey = clamp(raw);
  const message = new Uint8Array(200);
  const signature = xeddsaSign(privateKey, message, new Uint8Array(64));
  t.is(
    hex(signature),
    'cf873d0379ac20e8893e5567ee0f8951f8db840d26b243b463526689d01ca718' + 'ac189fb1678574ebdde569330659448b0bd6c1973f7d780ab39518626803d782',
  );
  // The key as the client hands it over: `PrivateKey.serialize()` gives the clamped scalar.
  const key = PrivateKey.deserialize(new Uint8Array(raw));
  t.is(hex(key.serialize()), hex(privateKey));
  t.true(key.getPublicKey().verify(message, new Uint8Array(signature)));
  t.true(xeddsaVerify(key.getPublicKey(), message, signature));
});

test('XEdDSA: signatures made with seeded nonces verify with the library, and a changed bit does not', (t) => {
  const key = PrivateKey.deserialize(new Uint8Array(32).fill(7));
  for (const length of [0, 1, 33, 1569]) {
    const messageBytes = new Uint8Array(length).fill(length & 0xff);
    const signature = xeddsaSign(key.serialize(), messageBytes, new Uint8Array(64).fill(length & 0xff));
    t.true(key.getPublicKey().verify(messageBytes, new Uint8Array(signature)), `length ${length}`);
    const tampered = new Uint8Array(signature);
    tampered[5]! ^= 1;
    t.false(key.getPublicKey().verify(messageBytes, tampered));
    const otherMessage = new Uint8Array(messageBytes.length + 1);
    otherMessage.set(messageBytes);
    t.false(key.getPublicKey().verify(otherMessage, new Uint8Array(signature)));
  }
});

test("XEdDSA: the Edwards key's sign bit travels in the signature, for keys with either value of it", (t) => {
  const message = new Uint8Array([1, 2, 3]);
  const signBits = new Set<number>();
  for (let fill = 1; fill <= 16; fill++) {
    const key = PrivateKey.deserialize(new Uint8Array(32).fill(fill));
    const signature = xeddsaSign(key.serialize(), message, new Uint8Array(64).fill(fill));
    signBits.add(signature[63]! & 0x80);
    t.true(key.getPublicKey().verify(message, new Uint8Array(signature)), `key filled with ${fill}`);
    // With the bit flipped, the Edwards key it names is the other one: the library refuses it.
    const flipped = new Uint8Array(signature);
    flipped[63]! ^= 0x80;
    t.false(key.getPublicKey().verify(message, flipped), `key filled with ${fill}, sign bit flipped`);
  }
  t.deepEqual([...signBits].sort(), [0, 0x80]);
});

test('XEdDSA: the nonce input decides R; the same inputs give the same signature', (t) => {
  const key = PrivateKey.deserialize(new Uint8Array(32).fill(9));
  const message = new Uint8Array(64).fill(0x42);
  const first = xeddsaSign(key.serialize(), message, new Uint8Array(64).fill(1));
  t.is(hex(xeddsaSign(key.serialize(), message, new Uint8Array(64).fill(1))), hex(first));
  const second = xeddsaSign(key.serialize(), message, new Uint8Array(64).fill(2));
  t.not(hex(second.slice(0, 32)), hex(first.slice(0, 32)));
  t.true(key.getPublicKey().verify(message, new Uint8Array(second)));
});

test("XEdDSA: the library's own signatures (an operating-system nonce) verify under the specification's verification", (t) => {
  for (let fill = 1; fill <= 8; fill++) {
    const key = PrivateKey.deserialize(new Uint8Array(32).fill(fill));
    const message = new Uint8Array(fill * 10).fill(fill);
    const signature = key.sign(message);
    t.is(signature.length, 64);
    t.true(xeddsaVerify(key.getPublicKey(), message, signature), `key filled with ${fill}`);
    t.false(xeddsaVerify(key.getPublicKey(), new Uint8Array(message.length), signature));
    // The verification written here agrees with the library on this module's signatures too.
    t.true(xeddsaVerify(key.getPublicKey(), message, xeddsaSign(key.serialize(), message, new Uint8Array(64))));
  }
  // And on a signature from another key.
  const other = PrivateKey.deserialize(new Uint8Array(32).fill(99));
  t.false(xeddsaVerify(other.getPublicKey(), new Uint8Array(3), PrivateKey.deserialize(new Uint8Array(32).fill(1)).sign(new Uint8Array(3))));
});
