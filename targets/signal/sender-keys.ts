/**
 * Sender keys for group messages (Signal's "Sender Key" group messaging, as in Signal and
 * WhatsApp): each member device has, per group, a symmetric chain and a signing key. It
 * hands both to every other member device once, over the pairwise Double Ratchet sessions
 * (the distribution message); then each group message is encrypted once with the next
 * chain key and signed. The chain only moves forward, so a member that joins later cannot
 * read what came before; a removed member keeps old keys, so every sender starts a new
 * sender key after a removal before it sends again.
 */
import type { CryptoBackend } from '../../harness/crypto/backend.ts';
import type { Rng } from '../../harness/rng.ts';
import { concatBytes, equalBytes, pack, unpack } from '../shared/codec.ts';
import { unpackFields, WIRE_SIZES, wireBytes, wireCount, wireString } from '../shared/wire.ts';
import { SignalError } from './errors.ts';
import { openMessage, sealMessage } from './message-cipher.ts';
import { LABELS, LIMITS } from './primitives.ts';

const MESSAGE_KEY_SEED = new Uint8Array([0x01]);
const CHAIN_KEY_SEED = new Uint8Array([0x02]);
/** HMAC-SHA256 output, the chain key's size. */
const CHAIN_KEY_LENGTH = 32;

/** What a member device keeps of its own sender key for a group. */
export interface OwnSenderKey {
  keyId: number;
  chainKey: Uint8Array;
  iteration: number;
  signingSeed: Uint8Array;
  signingPublicKey: Uint8Array;
}

/** What it hands to the other member devices: enough to read from `iteration` on. */
export interface SenderKeyDistribution {
  group: string;
  keyId: number;
  iteration: number;
  chainKey: Uint8Array;
  signingPublicKey: Uint8Array;
}

/** What a receiving device keeps of another device's sender key. */
export interface PeerSenderKey {
  keyId: number;
  chainKey: Uint8Array;
  iteration: number;
  signingPublicKey: Uint8Array;
  /** Keys of messages skipped over (out of order), by iteration. */
  skipped: Record<number, Uint8Array>;
}

export interface SenderKeyMessage {
  keyId: number;
  iteration: number;
  ciphertext: Uint8Array;
  signature: Uint8Array;
}

export function createSenderKey(crypto: CryptoBackend, rng: Rng): OwnSenderKey {
  const signingSeed = rng.bytes(32);
  return {
    keyId: rng.int(2 ** 31),
    chainKey: rng.bytes(32),
    iteration: 0,
    signingSeed,
    signingPublicKey: crypto.ed25519PublicKey(signingSeed),
  };
}

export function distributionOf(group: string, key: OwnSenderKey): SenderKeyDistribution {
  return { group, keyId: key.keyId, iteration: key.iteration, chainKey: key.chainKey, signingPublicKey: key.signingPublicKey };
}

/** A distribution message off the wire (decrypted, but from any sender), every field checked. */
export function decodeDistribution(bytes: Uint8Array): SenderKeyDistribution {
  const distribution = unpackFields(bytes, 'sender key distribution');
  return {
    group: wireString(distribution['group'], 'sender key distribution.group'),
    keyId: wireCount(distribution['keyId'], 'sender key distribution.keyId'),
    iteration: wireCount(distribution['iteration'], 'sender key distribution.iteration'),
    chainKey: wireBytes(distribution['chainKey'], 'sender key distribution.chainKey', CHAIN_KEY_LENGTH),
    signingPublicKey: wireBytes(distribution['signingPublicKey'], 'sender key distribution.signingPublicKey', WIRE_SIZES.ed25519PublicKey),
  };
}

export function acceptDistribution(distribution: SenderKeyDistribution): PeerSenderKey {
  return {
    keyId: distribution.keyId,
    chainKey: distribution.chainKey,
    iteration: distribution.iteration,
    signingPublicKey: distribution.signingPublicKey,
    skipped: {},
  };
}

/** Encrypt once for the whole group with the next chain key; sign the result. */
export function encryptGroup(crypto: CryptoBackend, key: OwnSenderKey, plaintext: Uint8Array, associatedData: Uint8Array): Uint8Array {
  const messageKey = crypto.hmacSha256(key.chainKey, MESSAGE_KEY_SEED);
  const iteration = key.iteration;
  key.chainKey = crypto.hmacSha256(key.chainKey, CHAIN_KEY_SEED);
  key.iteration++;
  const ciphertext = sealMessage(crypto, LABELS.senderKeyMessageKeys, messageKey, plaintext, [associatedData, header(key.keyId, iteration)]);
  const signature = crypto.ed25519Sign(key.signingSeed, signedBytes(key.keyId, iteration, ciphertext, associatedData));
  return pack({ keyId: key.keyId, iteration, ciphertext, signature } satisfies SenderKeyMessage);
}

/** Verify and decrypt; the state moves forward only when the message is authentic. */
export function decryptGroup(crypto: CryptoBackend, key: PeerSenderKey, bytes: Uint8Array, associatedData: Uint8Array): Uint8Array {
  const message = unpack<SenderKeyMessage>(bytes, 'sender key message');
  if (message?.keyId !== key.keyId || !Number.isSafeInteger(message.iteration) || !(message.ciphertext instanceof Uint8Array)) {
    throw new SignalError('no-session', 'no sender key for this message');
  }
  const signatureValid =
    message.signature instanceof Uint8Array &&
    message.signature.length === 64 &&
    crypto.ed25519Verify(key.signingPublicKey, signedBytes(message.keyId, message.iteration, message.ciphertext, associatedData), message.signature);
  if (!signatureValid) throw new SignalError('invalid-message', 'sender key signature does not verify');

  const ad = [associatedData, header(message.keyId, message.iteration)];
  const skippedKey = key.skipped[message.iteration];
  if (skippedKey) {
    const plaintext = openMessage(crypto, LABELS.senderKeyMessageKeys, skippedKey, message.ciphertext, ad);
    delete key.skipped[message.iteration];
    return plaintext;
  }
  if (message.iteration < key.iteration) throw new SignalError('duplicate-message', `sender key message ${message.iteration} was already received`);
  if (message.iteration - key.iteration > LIMITS.maxForwardJumps) throw new SignalError('too-many-skipped', 'sender key message too far ahead');

  let chainKey = key.chainKey;
  const skipped: [number, Uint8Array][] = [];
  for (let i = key.iteration; i < message.iteration; i++) {
    skipped.push([i, crypto.hmacSha256(chainKey, MESSAGE_KEY_SEED)]);
    chainKey = crypto.hmacSha256(chainKey, CHAIN_KEY_SEED);
  }
  const plaintext = openMessage(crypto, LABELS.senderKeyMessageKeys, crypto.hmacSha256(chainKey, MESSAGE_KEY_SEED), message.ciphertext, ad);
  key.chainKey = crypto.hmacSha256(chainKey, CHAIN_KEY_SEED);
  key.iteration = message.iteration + 1;
  for (const [i, k] of skipped) key.skipped[i] = k;
  const stale = Object.keys(key.skipped).map(Number).sort((a, b) => a - b);
  for (const i of stale.slice(0, Math.max(0, stale.length - LIMITS.maxMessageKeys))) delete key.skipped[i];
  return plaintext;
}

export function sameSenderKey(a: PeerSenderKey, distribution: SenderKeyDistribution): boolean {
  return a.keyId === distribution.keyId && equalBytes(a.signingPublicKey, distribution.signingPublicKey);
}

function header(keyId: number, iteration: number): Uint8Array {
  return pack({ keyId, iteration });
}

function signedBytes(keyId: number, iteration: number, ciphertext: Uint8Array, associatedData: Uint8Array): Uint8Array {
  return concatBytes(LABELS.senderKeySignature, associatedData, header(keyId, iteration), ciphertext);
}
