/**
 * A sealed box: encrypt to a recipient's static public key with a fresh ephemeral X25519
 * key (ECIES: X25519, HKDF-SHA256, AES-256-GCM), optionally hybrid with an ML-KEM-768
 * encapsulation so the box stays closed to a discrete-log oracle. Only the recipient's
 * private key opens it.
 */
import type { CryptoBackend } from '../../harness/crypto/backend.ts';
import type { Rng } from '../../harness/rng.ts';
import { concatBytes, pack } from './codec.ts';
import { rejectingCryptoErrors, unpackFields, WIRE_SIZES, wireBytes, wireNullable } from './wire.ts';

export interface BoxPublicKey {
  x25519: Uint8Array;
  mlKem?: Uint8Array;
}

export interface BoxPrivateKey {
  x25519: Uint8Array;
  x25519Public: Uint8Array;
  mlKem?: Uint8Array;
}

interface Box {
  ephemeral: Uint8Array;
  kemCiphertext: Uint8Array | null;
  nonce: Uint8Array;
  ciphertext: Uint8Array;
}

export function seal(crypto: CryptoBackend, rng: Rng, to: BoxPublicKey, info: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const ephemeralPrivate = rng.bytes(32);
  const ephemeral = crypto.x25519PublicKey(ephemeralPrivate);
  const kem = to.mlKem ? crypto.mlKem768Encapsulate(to.mlKem, rng.bytes(32)) : null;
  const secret = concatBytes(crypto.x25519(ephemeralPrivate, to.x25519), kem?.sharedSecret ?? new Uint8Array(0));
  ephemeralPrivate.fill(0);
  const key = crypto.hkdfSha256(secret, concatBytes(ephemeral, to.x25519), info, 32);
  const nonce = rng.bytes(WIRE_SIZES.aesGcmNonce);
  const box: Box = { ephemeral, kemCiphertext: kem?.cipherText ?? null, nonce, ciphertext: crypto.aes256GcmEncrypt(key, nonce, plaintext, aad) };
  return pack(box);
}

/** Throws the coded rejection for a box that does not decode or does not open. */
export function open(crypto: CryptoBackend, keys: BoxPrivateKey, info: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  const box = decodeBox(sealed);
  return rejectingCryptoErrors(() => {
    const kemSecret = box.kemCiphertext && keys.mlKem ? crypto.mlKem768Decapsulate(box.kemCiphertext, keys.mlKem) : new Uint8Array(0);
    const secret = concatBytes(crypto.x25519(keys.x25519, box.ephemeral), kemSecret);
    const key = crypto.hkdfSha256(secret, concatBytes(box.ephemeral, keys.x25519Public), info, 32);
    return crypto.aes256GcmDecrypt(key, box.nonce, box.ciphertext, aad);
  });
}

function decodeBox(sealed: Uint8Array): Box {
  const box = unpackFields(sealed, 'sealed box');
  return {
    ephemeral: wireBytes(box['ephemeral'], 'sealed box.ephemeral', WIRE_SIZES.x25519PublicKey),
    kemCiphertext: wireNullable(box['kemCiphertext'], (v) => wireBytes(v, 'sealed box.kemCiphertext', WIRE_SIZES.mlKem768Ciphertext)),
    nonce: wireBytes(box['nonce'], 'sealed box.nonce', WIRE_SIZES.aesGcmNonce),
    ciphertext: wireBytes(box['ciphertext'], 'sealed box.ciphertext'),
  };
}
