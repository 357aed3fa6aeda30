/**
 * The Double Ratchet (Signal, "The Double Ratchet Algorithm", revision 4): a root chain
 * advanced by a Diffie-Hellman ratchet, sending and receiving chains advanced by HMAC,
 * one message key per message, deleted once used. Skipped message keys are kept for
 * out-of-order delivery up to named limits (§3.2, §3.5).
 *
 * State is plain data (bytes and numbers) so a device image can hold it as it is.
 * `decrypt` is transactional: a message that fails leaves the state untouched.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import type { CryptoBackend } from '../../harness/crypto/backend.ts';
import type { Rng } from '../../harness/rng.ts';
import { equalBytes, pack, unpack } from '../shared/codec.ts';
import { SignalError } from './errors.ts';
import { openMessage, sealMessage } from './message-cipher.ts';
import { generateDh, LABELS, LIMITS, type DhKeyPair } from './primitives.ts';

export interface Chain {
  key: Uint8Array;
  /** Index of the next message key. */
  index: number;
}

export interface RatchetState {
  rootKey: Uint8Array;
  /** DHs, CKs (with Ns as its index). */
  sending: { ratchet: DhKeyPair; chain: Chain | null };
  /** DHr, CKr (with Nr as its index). */
  receiving: { ratchetKey: Uint8Array | null; chain: Chain | null };
  /** PN: messages in the previous sending chain. */
  previousCounter: number;
  /** MKSKIPPED: `<ratchet key hex>:<index>` -> message key, oldest first. */
  skipped: Record<string, Uint8Array>;
  /** AD from the key agreement, bound into every message's MAC. */
  associatedData: Uint8Array;
}

export interface Header {
  dh: Uint8Array;
  pn: number;
  n: number;
}

export interface RatchetMessage {
  /** The encoded header, authenticated with the ciphertext. */
  header: Uint8Array;
  ciphertext: Uint8Array;
}

/**
 * The discrete-log oracle, as a clone in an adversary's hands holds it: the private half of
 * an X25519 public key seen on the wire, or null. Such a clone makes no ratchet keys of its
 * own: after the receiving half of a DH ratchet step it waits for the real device's next
 * ratchet key to show on the wire, and the oracle's private half of it completes the step.
 */
export type PrivateKeyOf = (publicKey: Uint8Array) => Uint8Array | null;

const MESSAGE_KEY_SEED = new Uint8Array([0x01]);
const CHAIN_KEY_SEED = new Uint8Array([0x02]);

/** §3.3 RatchetInitAlice: the initiator starts with a sending chain towards the responder's signed prekey. */
export function initInitiator(crypto: CryptoBackend, rng: Rng, sharedSecret: Uint8Array, remoteRatchetKey: Uint8Array, associatedData: Uint8Array): RatchetState {
  const ratchet = generateDh(crypto, rng);
  const [rootKey, chainKey] = kdfRoot(crypto, sharedSecret, crypto.x25519(ratchet.privateKey, remoteRatchetKey));
  return {
    rootKey,
    sending: { ratchet, chain: { key: chainKey, index: 0 } },
    receiving: { ratchetKey: remoteRatchetKey, chain: null },
    previousCounter: 0,
    skipped: {},
    associatedData,
  };
}

/** §3.3 RatchetInitBob: the responder's first ratchet key pair is its signed prekey. */
export function initResponder(sharedSecret: Uint8Array, signedPrekey: DhKeyPair, associatedData: Uint8Array): RatchetState {
  return {
    rootKey: sharedSecret,
    sending: { ratchet: { ...signedPrekey }, chain: null },
    receiving: { ratchetKey: null, chain: null },
    previousCounter: 0,
    skipped: {},
    associatedData,
  };
}

/** §3.4 RatchetEncrypt. */
export function encrypt(state: RatchetState, crypto: CryptoBackend, plaintext: Uint8Array, rng?: Rng): RatchetMessage {
  // A state that follows the oracle leaves the sending half of a step for later; sending completes it.
  if (!state.sending.chain && awaitsSendingHalf(state) && rng) sendingHalf(crypto, state, generateDh(crypto, rng));
  const chain = state.sending.chain;
  if (!chain) throw new SignalError('no-session', 'no sending chain yet: the session has not received a message');
  const messageKey = nextMessageKey(crypto, chain);
  const header = pack({ dh: state.sending.ratchet.publicKey, pn: state.previousCounter, n: chain.index - 1 } satisfies Header);
  return { header, ciphertext: sealMessage(crypto, LABELS.messageKeys, messageKey, plaintext, [state.associatedData, header]) };
}

/**
 * §3.5 RatchetDecrypt, transactional. With `privateKeyOf` (a clone holding the oracle), a DH
 * ratchet step does only its receiving half; see `decryptOwnFollowing` for the other.
 */
export function decrypt(state: RatchetState, crypto: CryptoBackend, rng: Rng, message: RatchetMessage, privateKeyOf?: PrivateKeyOf): Uint8Array {
  const header = decodeHeader(message.header);
  const ad = [state.associatedData, message.header];
  // (Most sessions hold no skipped key: then no lookup, whose long string key costs more than it seems.)
  if (hasSkippedKeys(state)) {
    const skippedId = skippedKeyId(header.dh, header.n);
    const skippedKey = state.skipped[skippedId];
    if (skippedKey) {
      const plaintext = openMessage(crypto, LABELS.messageKeys, skippedKey, message.ciphertext, ad);
      delete state.skipped[skippedId];
      return plaintext;
    }
  }

  const draft: RatchetState = {
    ...state,
    sending: { ...state.sending, chain: state.sending.chain && { ...state.sending.chain } },
    receiving: { ...state.receiving, chain: state.receiving.chain && { ...state.receiving.chain } },
  };
  const newlySkipped: [string, Uint8Array][] = [];
  const isNewRatchet = draft.receiving.ratchetKey === null || !equalBytes(draft.receiving.ratchetKey, header.dh);
  if (isNewRatchet) {
    skipMessageKeys(crypto, draft, header.pn, newlySkipped);
    if (privateKeyOf) receivingHalf(crypto, draft, header.dh);
    else ratchetStep(crypto, rng, draft, header.dh);
  }
  const chain = draft.receiving.chain!;
  if (header.n < chain.index) {
    throw new SignalError('duplicate-message', `message ${header.n} of this chain was already received`);
  }
  skipMessageKeys(crypto, draft, header.n, newlySkipped);
  const plaintext = openMessage(crypto, LABELS.messageKeys, nextMessageKey(crypto, chain), message.ciphertext, ad);

  // Commit: the message was authentic. (Every field decrypting may change; skipped keys last.)
  state.rootKey = draft.rootKey;
  state.sending = draft.sending;
  state.receiving = draft.receiving;
  state.previousCounter = draft.previousCounter;
  if (newlySkipped.length > 0) {
    for (const [id, key] of newlySkipped) state.skipped[id] = key;
    const ids = Object.keys(state.skipped);
    for (let i = 0; i < ids.length - LIMITS.maxMessageKeys; i++) delete state.skipped[ids[i]!];
  }
  return plaintext;
}

function hasSkippedKeys(state: RatchetState): boolean {
  for (const _ in state.skipped) return true;
  return false;
}

/**
 * What the holder of this state can open among messages the state's owner sends later on
 * the same sending chain (an adversary holding a device image): the chain key derives every
 * later message key until the next DH ratchet step. Does not change the state.
 */
export function decryptOwn(state: RatchetState, crypto: CryptoBackend, message: RatchetMessage): Uint8Array {
  const header = decodeHeader(message.header);
  const chain = state.sending.chain;
  if (!chain || !equalBytes(header.dh, state.sending.ratchet.publicKey) || header.n < chain.index) {
    throw new SignalError('invalid-message', 'not on the known sending chain');
  }
  if (header.n - chain.index > LIMITS.maxForwardJumps) throw new SignalError('too-many-skipped', 'too far ahead');
  const walker = { ...chain };
  let messageKey = nextMessageKey(crypto, walker);
  while (walker.index <= header.n) messageKey = nextMessageKey(crypto, walker);
  return openMessage(crypto, LABELS.messageKeys, messageKey, message.ciphertext, [state.associatedData, message.header]);
}

/**
 * `decryptOwn` for a clone holding the oracle. A message of the device on a ratchet key the
 * state has not reached yet is the sending half of the DH ratchet step the state awaits
 * (§3.5: DHs = GENERATE_DH(); RK, CKs = KDF_RK(RK, DH(DHs, DHr))): the oracle's private half
 * of the key in the header completes it, and the state keeps it only if the message opens.
 */
export function decryptOwnFollowing(state: RatchetState, crypto: CryptoBackend, message: RatchetMessage, privateKeyOf: PrivateKeyOf): Uint8Array {
  const header = decodeHeader(message.header);
  if (!awaitsSendingHalf(state) || equalBytes(header.dh, state.sending.ratchet.publicKey)) return decryptOwn(state, crypto, message);
  const privateKey = privateKeyOf(header.dh);
  if (!privateKey) throw new SignalError('invalid-message', 'a ratchet key the oracle does not break');
  const draft: RatchetState = { ...state, sending: { ...state.sending } };
  sendingHalf(crypto, draft, { publicKey: header.dh, privateKey });
  const plaintext = decryptOwn(draft, crypto, message);
  state.rootKey = draft.rootKey;
  state.sending = draft.sending;
  return plaintext;
}

export function decodeHeader(bytes: Uint8Array): Header {
  const header = unpack<Header>(bytes, 'ratchet header');
  if (!(header?.dh instanceof Uint8Array) || header.dh.length !== 32 || !Number.isSafeInteger(header.n) || !Number.isSafeInteger(header.pn) || header.n < 0 || header.pn < 0) {
    throw new SignalError('invalid-message', 'malformed ratchet header');
  }
  return header;
}

/** §3.5 DHRatchet. */
function ratchetStep(crypto: CryptoBackend, rng: Rng, state: RatchetState, remoteRatchetKey: Uint8Array): void {
  state.previousCounter = state.sending.chain?.index ?? 0;
  state.receiving.ratchetKey = remoteRatchetKey;
  let [rootKey, chainKey] = kdfRoot(crypto, state.rootKey, crypto.x25519(state.sending.ratchet.privateKey, remoteRatchetKey));
  state.receiving.chain = { key: chainKey, index: 0 };
  const ratchet = generateDh(crypto, rng);
  [rootKey, chainKey] = kdfRoot(crypto, rootKey, crypto.x25519(ratchet.privateKey, remoteRatchetKey));
  state.sending = { ratchet, chain: { key: chainKey, index: 0 } };
  state.rootKey = rootKey;
}

/** The first half of §3.5 DHRatchet: the receiving chain; the sending chain waits (`awaitsSendingHalf`). */
function receivingHalf(crypto: CryptoBackend, state: RatchetState, remoteRatchetKey: Uint8Array): void {
  state.previousCounter = state.sending.chain?.index ?? 0;
  state.receiving.ratchetKey = remoteRatchetKey;
  const [rootKey, chainKey] = kdfRoot(crypto, state.rootKey, crypto.x25519(state.sending.ratchet.privateKey, remoteRatchetKey));
  state.receiving.chain = { key: chainKey, index: 0 };
  state.sending = { ...state.sending, chain: null };
  state.rootKey = rootKey;
}

/** The second half of §3.5 DHRatchet, with the sending ratchet key pair `ratchet`. */
function sendingHalf(crypto: CryptoBackend, state: RatchetState, ratchet: DhKeyPair): void {
  const [rootKey, chainKey] = kdfRoot(crypto, state.rootKey, crypto.x25519(ratchet.privateKey, state.receiving.ratchetKey!));
  state.sending = { ratchet, chain: { key: chainKey, index: 0 } };
  state.rootKey = rootKey;
}

/** Received on a new ratchet key, not sent since: only a state that follows the oracle is left so. */
function awaitsSendingHalf(state: RatchetState): boolean {
  return state.sending.chain === null && state.receiving.ratchetKey !== null;
}

/** §3.5 SkipMessageKeys: keep keys of messages not yet arrived, up to the named limit. */
function skipMessageKeys(crypto: CryptoBackend, state: RatchetState, until: number, into: [string, Uint8Array][]): void {
  const chain = state.receiving.chain;
  if (!chain || state.receiving.ratchetKey === null) return;
  if (until - chain.index > LIMITS.maxForwardJumps) {
    throw new SignalError('too-many-skipped', `message ${until} is more than ${LIMITS.maxForwardJumps} ahead`);
  }
  while (chain.index < until) {
    const index = chain.index;
    into.push([skippedKeyId(state.receiving.ratchetKey, index), nextMessageKey(crypto, chain)]);
  }
}

/** §5.2 KDF_RK: HKDF with the root key as salt and the DH output as input key material. */
function kdfRoot(crypto: CryptoBackend, rootKey: Uint8Array, dhOutput: Uint8Array): [Uint8Array, Uint8Array] {
  const output = crypto.hkdfSha256(dhOutput, rootKey, LABELS.rootChain, 64);
  return [output.slice(0, 32), output.slice(32)];
}

/** §5.2 KDF_CK: HMAC-SHA256 with the chain key; 0x01 gives the message key, 0x02 the next chain key. */
function nextMessageKey(crypto: CryptoBackend, chain: Chain): Uint8Array {
  const messageKey = crypto.hmacSha256(chain.key, MESSAGE_KEY_SEED);
  chain.key = crypto.hmacSha256(chain.key, CHAIN_KEY_SEED);
  chain.index++;
  return messageKey;
}

function skippedKeyId(ratchetKey: Uint8Array, index: number): string {
  return `${bytesToHex(ratchetKey)}:${index}`;
}
