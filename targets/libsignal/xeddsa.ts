/**
 * XEdDSA signing with an X25519 private key, in the form libsignal signs and verifies (its
 * `PrivateKey.sign` / `PublicKey.verify`, from `curve25519_sign` in libsignal-protocol-c):
 * an Ed25519 signature under the Edwards key the X25519 scalar makes, with the Edwards key's
 * sign bit carried in the top bit of the signature's last byte, since the X25519 public key
 * does not have it.
 *
 * The library draws its nonce input from the operating system; here the caller supplies it,
 * so that the `libsignal` target's signatures come from the run's seeded rng.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes } from '../shared/codec.ts';

const ED25519_ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;

/**
 * XEdDSA (Signal's specification, as libsignal's `calculate_signature`): sign with an X25519
 * private key (as `PrivateKey.serialize()` gives it, already clamped); `random` is the
 * 64-byte nonce input Z.
 */
export function xeddsaSign(privateKey: Uint8Array, message: Uint8Array, random: Uint8Array): Uint8Array {
  const a = littleEndian(privateKey) % ED25519_ORDER;
  const publicKey = ed25519.Point.BASE.multiply(a).toBytes();
  const signBit = publicKey[31]! & 0x80;
  // The nonce hash is domain-separated from Ed25519's own by a prefix of 0xfe and 31 bytes 0xff.
  const prefix = new Uint8Array(32).fill(0xff);
  prefix[0] = 0xfe;
  const r = littleEndian(sha512(concatBytes(prefix, privateKey, message, random))) % ED25519_ORDER;
  const R = ed25519.Point.BASE.multiply(r).toBytes();
  const h = littleEndian(sha512(concatBytes(R, publicKey, message))) % ED25519_ORDER;
  const s = (h * a + r) % ED25519_ORDER;
  const signature = concatBytes(R, toLittleEndian32(s));
  signature[63] = (signature[63]! & 0x7f) | signBit;
  return signature;
}

function littleEndian(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

function toLittleEndian32(value: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = value;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
