/**
 * Key material the library lets the app supply, made from the run's seeded rng: XEdDSA
 * signatures with the identity key (their nonce from the rng), and Kyber prekeys whose
 * ML-KEM-1024 key pairs come from a seeded key generation (the library's own takes none).
 * Both are remembered across the runs of an audit (see key-cache.ts).
 */
import { ml_kem1024 } from '@noble/post-quantum/ml-kem.js';
import { KyberPreKeyRecord, type PrivateKey } from '@signalapp/libsignal-client';
import { cachedKeys, copyBytes, copyKeyPair } from '../../harness/key-cache.ts';
import type { Rng } from '../../harness/rng.ts';
import { concatBytes } from '../shared/codec.ts';
import { kyberPreKeyRecordBytes } from './protobuf.ts';
import { own } from './stores.ts';
import { xeddsaSign } from './xeddsa.ts';

/**
 * libsignal's type byte for a Kyber-1024 key. An ML-KEM-1024 key pair (FIPS 203) has the same
 * layout (t‖ρ; s‖ek‖H(ek)‖z) and is a valid Kyber-1024 key pair: the two differ only in how
 * key generation derives s from its seed and in encapsulation, which the library does itself.
 */
const KYBER_1024_KEY_TYPE = new Uint8Array([0x08]);

const mlKem1024Keygen = cachedKeys('ml-kem-1024', copyKeyPair, (seed) => ml_kem1024.keygen(seed));
const cachedXeddsaSign = cachedKeys('xeddsa', copyBytes, (privateKey, message, random) => xeddsaSign(privateKey, message, random));

/** XEdDSA with the identity key, its nonce from the seeded rng. */
export function identitySignature(identityKey: PrivateKey, message: Uint8Array, rng: Rng): Uint8Array<ArrayBuffer> {
  return own(cachedXeddsaSign(identityKey.serialize(), message, rng.bytes(64)));
}

/** A Kyber prekey record whose key pair comes from the seeded rng, its public key signed with `sign`. */
export function seededKyberPrekey(id: number, now: number, rng: Rng, sign: (message: Uint8Array) => Uint8Array): KyberPreKeyRecord {
  const { publicKey, secretKey } = mlKem1024Keygen(rng.bytes(64));
  const serializedPublic = concatBytes(KYBER_1024_KEY_TYPE, publicKey);
  const record = kyberPreKeyRecordBytes(id, serializedPublic, concatBytes(KYBER_1024_KEY_TYPE, secretKey), sign(serializedPublic), now);
  return KyberPreKeyRecord.deserialize(own(record));
}
