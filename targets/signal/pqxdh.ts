/**
 * PQXDH key agreement (Signal, "The PQXDH Key Agreement Protocol", revision 3, §3): X3DH's
 * four Diffie-Hellman values plus an ML-KEM-768 shared secret, so that a session key stays
 * secret against an adversary who later solves discrete logarithms.
 */
import type { CryptoBackend } from '../../harness/crypto/backend.ts';
import type { Rng } from '../../harness/rng.ts';
import { concatBytes } from '../shared/codec.ts';
import { pack } from '../shared/codec.ts';
import { WIRE_SIZES, wireBoolean, wireBytes, wireCount, wireFields, wireNullable } from '../shared/wire.ts';
import { generateDh, LABELS, type DhKeyPair, type IdentityKeyPair, type IdentityPublic, type KemKeyPair } from './primitives.ts';

/** A device's published prekey bundle (§3.2), as the directory serves it. */
export interface PrekeyBundle {
  identity: IdentityPublic;
  signedPrekey: { id: number; publicKey: Uint8Array; signature: Uint8Array };
  /** The last-resort ML-KEM prekey, used when no one-time one is left. */
  kyberPrekey: { id: number; publicKey: Uint8Array; signature: Uint8Array };
}

export interface OneTimePrekey {
  id: number;
  publicKey: Uint8Array;
}

export interface OneTimeKyberPrekey {
  id: number;
  publicKey: Uint8Array;
  signature: Uint8Array;
}

/** What the initiator sends with its first messages (§3.3), so the responder can derive the same key. */
export interface PrekeyHeader {
  identity: IdentityPublic;
  baseKey: Uint8Array;
  signedPrekeyId: number;
  oneTimePrekeyId: number | null;
  kyberPrekeyId: number;
  kyberOneTime: boolean;
  kyberCiphertext: Uint8Array;
}

export interface InitiatorResult {
  sharedSecret: Uint8Array;
  header: PrekeyHeader;
  /** The responder's signed prekey: the initiator's first ratchet public key (Double Ratchet §3.3). */
  remoteRatchetKey: Uint8Array;
  associatedData: Uint8Array;
}

/** No ML-KEM prekey: a design without PQXDH's post-quantum part (plain X3DH) names none. */
const NO_KEM_PREKEY = { id: 0, oneTime: false, cipherText: new Uint8Array(0), sharedSecret: new Uint8Array(0) };

/** §3.3: the initiator's side, on a bundle whose signatures it has verified; `kyber` null: X3DH alone. */
export function initiate(
  crypto: CryptoBackend,
  rng: Rng,
  own: IdentityKeyPair,
  bundle: PrekeyBundle,
  oneTime: OneTimePrekey | null,
  kyber: { id: number; publicKey: Uint8Array; oneTime: boolean } | null,
): InitiatorResult {
  const ephemeral: DhKeyPair = generateDh(crypto, rng);
  const dh1 = crypto.x25519(own.dh.privateKey, bundle.signedPrekey.publicKey);
  const dh2 = crypto.x25519(ephemeral.privateKey, bundle.identity.dh);
  const dh3 = crypto.x25519(ephemeral.privateKey, bundle.signedPrekey.publicKey);
  const dh4 = oneTime ? crypto.x25519(ephemeral.privateKey, oneTime.publicKey) : new Uint8Array(0);
  const encapsulated = kyber ? crypto.mlKem768Encapsulate(kyber.publicKey, rng.bytes(32)) : NO_KEM_PREKEY;
  const sharedSecret = sessionKey(crypto, concatBytes(dh1, dh2, dh3, dh4, encapsulated.sharedSecret));
  ephemeral.privateKey.fill(0);
  return {
    sharedSecret,
    header: {
      identity: { dh: own.dh.publicKey, signing: own.signing.publicKey },
      baseKey: ephemeral.publicKey,
      signedPrekeyId: bundle.signedPrekey.id,
      oneTimePrekeyId: oneTime?.id ?? null,
      kyberPrekeyId: kyber?.id ?? NO_KEM_PREKEY.id,
      kyberOneTime: kyber?.oneTime ?? NO_KEM_PREKEY.oneTime,
      kyberCiphertext: encapsulated.cipherText,
    },
    remoteRatchetKey: bundle.signedPrekey.publicKey,
    associatedData: associatedData({ dh: own.dh.publicKey, signing: own.signing.publicKey }, bundle.identity),
  };
}

/** §3.4: the responder's side, with the private halves of the prekeys the header names; `kyberPrekey` null: X3DH alone. */
export function respond(
  crypto: CryptoBackend,
  own: IdentityKeyPair,
  header: PrekeyHeader,
  signedPrekey: DhKeyPair,
  oneTimePrekey: DhKeyPair | null,
  kyberPrekey: KemKeyPair | null,
): { sharedSecret: Uint8Array; associatedData: Uint8Array } {
  const dh1 = crypto.x25519(signedPrekey.privateKey, header.identity.dh);
  const dh2 = crypto.x25519(own.dh.privateKey, header.baseKey);
  const dh3 = crypto.x25519(signedPrekey.privateKey, header.baseKey);
  const dh4 = oneTimePrekey ? crypto.x25519(oneTimePrekey.privateKey, header.baseKey) : new Uint8Array(0);
  const kemSecret = kyberPrekey ? crypto.mlKem768Decapsulate(header.kyberCiphertext, kyberPrekey.secretKey) : NO_KEM_PREKEY.sharedSecret;
  return {
    sharedSecret: sessionKey(crypto, concatBytes(dh1, dh2, dh3, dh4, kemSecret)),
    associatedData: associatedData(header.identity, { dh: own.dh.publicKey, signing: own.signing.publicKey }),
  };
}

/** §2.2: SK = HKDF(F || KM), F = 32 0xFF bytes, a zero salt, the application's info string. */
function sessionKey(crypto: CryptoBackend, keyMaterial: Uint8Array): Uint8Array {
  const f = new Uint8Array(32).fill(0xff);
  return crypto.hkdfSha256(concatBytes(f, keyMaterial), new Uint8Array(32), LABELS.pqxdh, 32);
}

/** §3.3: AD = Encode(IK_A) || Encode(IK_B). */
function associatedData(initiator: IdentityPublic, responder: IdentityPublic): Uint8Array {
  return concatBytes(initiator.dh, initiator.signing, responder.dh, responder.signing);
}

/** The bytes a prekey signature covers. */
export function prekeySignedBytes(label: Uint8Array, id: number, publicKey: Uint8Array): Uint8Array {
  return concatBytes(label, pack({ id, publicKey }));
}

/** A prekey header off the wire, every field checked (the coded rejection otherwise); the same object. */
export function checkPrekeyHeader(value: unknown): PrekeyHeader {
  const header = wireFields(value, 'prekey header');
  const identity = wireFields(header['identity'], 'prekey header.identity');
  wireBytes(identity['dh'], 'prekey header.identity.dh', WIRE_SIZES.x25519PublicKey);
  wireBytes(identity['signing'], 'prekey header.identity.signing', WIRE_SIZES.ed25519PublicKey);
  wireBytes(header['baseKey'], 'prekey header.baseKey', WIRE_SIZES.x25519PublicKey);
  wireCount(header['signedPrekeyId'], 'prekey header.signedPrekeyId');
  wireNullable(header['oneTimePrekeyId'], (v) => wireCount(v, 'prekey header.oneTimePrekeyId'));
  wireCount(header['kyberPrekeyId'], 'prekey header.kyberPrekeyId');
  wireBoolean(header['kyberOneTime'], 'prekey header.kyberOneTime');
  // Empty for X3DH alone (no KEM prekey, as a design without PQXDH's KEM sends it); a
  // post-quantum responder refuses an empty one where it holds the KEM prekey (`SignalClient`).
  const kyberCiphertext = wireBytes(header['kyberCiphertext'], 'prekey header.kyberCiphertext');
  if (kyberCiphertext.length !== 0 && kyberCiphertext.length !== WIRE_SIZES.mlKem768Ciphertext) {
    wireBytes(kyberCiphertext, 'prekey header.kyberCiphertext', WIRE_SIZES.mlKem768Ciphertext);
  }
  return header as unknown as PrekeyHeader;
}
