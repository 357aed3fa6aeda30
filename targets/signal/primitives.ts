/**
 * Small key types and the named KDF labels of the reference messenger. Every label and
 * limit lives here, so a reader sees the whole key schedule in one place.
 */
import type { CryptoBackend } from '../../harness/crypto/backend.ts';
import type { Rng } from '../../harness/rng.ts';
import { utf8 } from '../shared/codec.ts';
import { cachedKeys, copyKeyPair } from '../../harness/key-cache.ts';

export interface DhKeyPair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

export interface KemKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/**
 * The identity: an X25519 key for the key agreement and an Ed25519 key that signs prekeys
 * and device lists. (The Signal specifications use one Curve25519 key with XEdDSA
 * signatures; two keys bound together by the bundle's self-signature give the same
 * guarantees with standard primitives.)
 */
export interface IdentityKeyPair {
  dh: DhKeyPair;
  signing: { seed: Uint8Array; publicKey: Uint8Array };
}

export interface IdentityPublic {
  dh: Uint8Array;
  signing: Uint8Array;
}

export const LABELS = {
  /** PQXDH §2.2: the application's info string for the session key KDF. */
  pqxdh: utf8.encode('keyhole_CURVE25519_SHA-256_ML-KEM-768'),
  /** Double Ratchet §5.2, KDF_RK. */
  rootChain: utf8.encode('keyhole ratchet root'),
  /** Double Ratchet §5.2, message key expansion for ENCRYPT. */
  messageKeys: utf8.encode('keyhole message keys'),
  /** The same expansion for sender-key (group) messages, and their signature context. */
  senderKeyMessageKeys: utf8.encode('keyhole sender key message'),
  senderKeySignature: utf8.encode('keyhole sender key signature'),
  /** Group rosters are signed by the group's admin. */
  roster: utf8.encode('keyhole group roster v1'),
  /** Device lists and prekeys are signed under distinct contexts. */
  deviceList: utf8.encode('keyhole device list v1'),
  signedPrekey: utf8.encode('keyhole signed prekey v1'),
  kyberPrekey: utf8.encode('keyhole kyber prekey v1'),
} as const;

export const LIMITS = {
  /** Most message keys skipped in one chain (libsignal: MAX_FORWARD_JUMPS). */
  maxForwardJumps: 2_000,
  /** Most skipped message keys kept per session (libsignal: MAX_MESSAGE_KEYS). */
  maxMessageKeys: 2_000,
  /** Previous sessions kept per peer device, for messages in flight (libsignal: ARCHIVED_STATES_MAX_LENGTH). */
  archivedSessions: 40,
} as const;

export function generateDh(crypto: CryptoBackend, rng: Rng): DhKeyPair {
  const privateKey = rng.bytes(32);
  return { privateKey, publicKey: crypto.x25519PublicKey(privateKey) };
}

/** ML-KEM-768 key generation from its seed, the same in every run of an audit that draws that seed (see key-cache.ts). */
const mlKem768Keygen = new WeakMap<CryptoBackend, (seed: Uint8Array) => KemKeyPair>();

export function generateKem(crypto: CryptoBackend, rng: Rng): KemKeyPair {
  let keygen = mlKem768Keygen.get(crypto);
  if (!keygen) {
    keygen = cachedKeys('ml-kem-768', copyKeyPair, (seed) => crypto.mlKem768Keygen(seed));
    mlKem768Keygen.set(crypto, keygen);
  }
  return keygen(rng.bytes(64));
}

export function generateIdentity(crypto: CryptoBackend, rng: Rng): IdentityKeyPair {
  const seed = rng.bytes(32);
  return { dh: generateDh(crypto, rng), signing: { seed, publicKey: crypto.ed25519PublicKey(seed) } };
}

export function identityPublic(identity: IdentityKeyPair): IdentityPublic {
  return { dh: identity.dh.publicKey, signing: identity.signing.publicKey };
}
