/**
 * The one protobuf message the `libsignal` target writes by hand: a Kyber prekey record as
 * the library serializes it (`SignedPreKeyRecordStructure` in libsignal's storage.proto).
 * The library's `KyberPreKeyRecord.new` takes only a key pair it generated itself, from the
 * operating system's randomness; a record built from these bytes and read back with
 * `KyberPreKeyRecord.deserialize` carries a key pair made from the run's seeded rng instead.
 */
import { concatBytes } from '../shared/codec.ts';

/**
 * `SignedPreKeyRecordStructure { uint32 id = 1; bytes public_key = 2; bytes private_key = 3;
 * bytes signature = 4; fixed64 timestamp = 5; }`, fields in order, as the library writes them.
 * The library leaves out a zero id or timestamp (proto3 omits defaults) where these bytes
 * carry them; it reads both the same (ids here start at 1, and the run's clock is never 0).
 */
export function kyberPreKeyRecordBytes(id: number, publicKey: Uint8Array, secretKey: Uint8Array, signature: Uint8Array, timestamp: number): Uint8Array {
  const field = (tag: number, bytes: Uint8Array) => concatBytes(new Uint8Array([tag]), varint(bytes.length), bytes);
  const time = new Uint8Array(8);
  new DataView(time.buffer).setBigUint64(0, BigInt(timestamp), true);
  return concatBytes(new Uint8Array([0x08]), varint(id), field(0x12, publicKey), field(0x1a, secretKey), field(0x22, signature), new Uint8Array([0x29]), time);
}

/** A protobuf base-128 varint: seven bits a byte, least significant first, the top bit set on all but the last. */
export function varint(value: number): Uint8Array {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return new Uint8Array(out);
}
