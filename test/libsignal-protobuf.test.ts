/**
 * The `libsignal` target's hand-written protobuf (targets/libsignal/protobuf.ts) against the
 * library: varints from the protobuf encoding guide, a record's exact bytes, the bytes
 * `KyberPreKeyRecord.new` itself writes for the same fields, and records the library reads
 * back with their fields and keys intact, among them one as the client makes it from the
 * seeded rng.
 */
import test from 'ava';
import { ml_kem1024 } from '@noble/post-quantum/ml-kem.js';
import { KEMKeyPair, KyberPreKeyRecord } from '@signalapp/libsignal-client';
import { Rng } from '../harness/rng.ts';
import { kyberPreKeyRecordBytes, varint } from '../targets/libsignal/protobuf.ts';
import { seededKyberPrekey } from '../targets/libsignal/seeded-keys.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

test('varint: base-128, least significant group first (protobuf encoding guide: 1, 150, 300)', (t) => {
  const vectors: [number, string][] = [
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '8001'],
    [150, '9601'],
    [300, 'ac02'],
    [1569, 'a10c'], // a Kyber-1024 public key with its type byte
    [3169, 'e118'], // a Kyber-1024 secret key with its type byte
    [16383, 'ff7f'],
    [16384, '808001'],
    [2 ** 32 - 1, 'ffffffff0f'],
    [2 ** 53 - 1, 'ffffffffffffff0f'],
  ];
  for (const [value, expected] of vectors) t.is(hex(varint(value)), expected, String(value));
});

test('a Kyber prekey record, byte for byte: id, public key, secret key, signature, fixed64 timestamp', (t) => {
  const bytes = kyberPreKeyRecordBytes(5, new Uint8Array([0x08, 0xaa]), new Uint8Array([0x08, 0xbb]), new Uint8Array([0xcc]), 1);
  t.is(hex(bytes), '0805' + '120208aa' + '1a0208bb' + '2201cc' + '290100000000000000');
  const large = kyberPreKeyRecordBytes(300, new Uint8Array([1]), new Uint8Array([2]), new Uint8Array([3]), 1700000000123);
  t.is(hex(large), '08ac02' + '120101' + '1a0102' + '220103' + '297b68e5cf8b010000');
  // The library reads the fields it can without parsing the keys (these are too short to be keys).
  const read = KyberPreKeyRecord.deserialize(new Uint8Array(bytes));
  t.is(read.id(), 5);
  t.is(read.timestamp(), 1);
  t.is(hex(read.signature()), 'cc');
  t.throws(() => read.publicKey(), { message: /bad KEM key length/ });
});

test("the same bytes as the library's own KyberPreKeyRecord.new for the same fields", (t) => {
  const keyPair = KEMKeyPair.generate();
  const publicKey = keyPair.getPublicKey().serialize();
  const secretKey = keyPair.getSecretKey().serialize();
  t.is(publicKey.length, 1569);
  t.is(secretKey.length, 3169);
  const signature = new Uint8Array(64).fill(0x5a);
  for (const [id, timestamp] of [
    [1, 1],
    [127, 60_000],
    [128, 1700000000123],
    [16384, 2 ** 53 - 1],
  ] as const) {
    const theirs = KyberPreKeyRecord.new(id, timestamp, keyPair, signature).serialize();
    const ours = kyberPreKeyRecordBytes(id, publicKey, secretKey, signature, timestamp);
    t.is(hex(ours), hex(theirs), `id ${id}, timestamp ${timestamp}`);
  }
  // proto3 leaves default values out: the library writes no id or timestamp of 0, where these
  // bytes do; it reads them as the same record, and writes that record as it always does.
  const zero = KyberPreKeyRecord.new(0, 0, keyPair, signature).serialize();
  const ours = kyberPreKeyRecordBytes(0, publicKey, secretKey, signature, 0);
  t.is(ours.length, zero.length + 11);
  const read = KyberPreKeyRecord.deserialize(new Uint8Array(ours));
  t.is(read.id(), 0);
  t.is(read.timestamp(), 0);
  t.is(hex(read.serialize()), hex(zero));
});

test('an ML-KEM-1024 key pair made elsewhere goes into a record the library reads back whole', (t) => {
  const { publicKey, secretKey } = ml_kem1024.keygen(new Uint8Array(64).fill(0x11));
  const typed = (key: Uint8Array) => new Uint8Array([0x08, ...key]);
  const signature = new Uint8Array(64).fill(0x77);
  const bytes = kyberPreKeyRecordBytes(42, typed(publicKey), typed(secretKey), signature, 1_000_000);
  const read = KyberPreKeyRecord.deserialize(new Uint8Array(bytes));
  t.is(read.id(), 42);
  t.is(read.timestamp(), 1_000_000);
  t.is(hex(read.signature()), hex(signature));
  t.is(hex(read.publicKey().serialize()), hex(typed(publicKey)));
  t.is(hex(read.secretKey().serialize()), hex(typed(secretKey)));
  t.is(hex(read.serialize()), hex(bytes));
});

test("the client's seeded Kyber prekey: the library's record of the rng's key pair, its public key signed", (t) => {
  const signed: Uint8Array[] = [];
  const sign = (message: Uint8Array) => {
    signed.push(message);
    return new Uint8Array(64).fill(0x33);
  };
  const record = seededKyberPrekey(9, 123_456, Rng.fromSeed(1, 'libsignal-protobuf'), sign);
  const again = seededKyberPrekey(9, 123_456, Rng.fromSeed(1, 'libsignal-protobuf'), sign);
  const { publicKey, secretKey } = ml_kem1024.keygen(Rng.fromSeed(1, 'libsignal-protobuf').bytes(64));
  t.is(record.id(), 9);
  t.is(record.timestamp(), 123_456);
  t.is(hex(record.publicKey().serialize()), '08' + hex(publicKey));
  t.is(hex(record.secretKey().serialize()), '08' + hex(secretKey));
  t.is(hex(signed[0]!), '08' + hex(publicKey));
  t.is(hex(record.signature()), '33'.repeat(64));
  t.is(hex(again.serialize()), hex(record.serialize()));
  t.is(hex(record.serialize()), hex(kyberPreKeyRecordBytes(9, signed[0]!, new Uint8Array([0x08, ...secretKey]), new Uint8Array(64).fill(0x33), 123_456)));
});
