/**
 * The message cipher of the Double Ratchet specification (§5.2, "ENCRYPT"), shared by
 * pairwise and sender-key messages: HKDF expands a one-time message key into an AES-256 key,
 * an HMAC-SHA256 key and an IV; AES-256-CBC encrypts; HMAC covers the associated data and
 * the ciphertext (encrypt-then-MAC).
 */
import type { CryptoBackend } from '../../harness/crypto/backend.ts';
import { concatBytes, equalBytes } from '../shared/codec.ts';
import { SignalError } from './errors.ts';

const MAC_LENGTH = 32;
const ZERO_SALT = new Uint8Array(32);

/** `ad` is the associated data in parts (the session's, then the message header), MACed in that order. */
export function sealMessage(crypto: CryptoBackend, info: Uint8Array, messageKey: Uint8Array, plaintext: Uint8Array, ad: readonly Uint8Array[]): Uint8Array {
  const { encryptionKey, authenticationKey, iv } = expand(crypto, info, messageKey);
  const ciphertext = crypto.aes256CbcEncrypt(encryptionKey, iv, plaintext);
  return concatBytes(ciphertext, crypto.hmacSha256(authenticationKey, macInput(ad, ciphertext)));
}

/** Throws SignalError `invalid-message` unless the MAC verifies. */
export function openMessage(crypto: CryptoBackend, info: Uint8Array, messageKey: Uint8Array, sealed: Uint8Array, ad: readonly Uint8Array[]): Uint8Array {
  if (sealed.length < MAC_LENGTH + 16) throw new SignalError('invalid-message', 'ciphertext too short');
  const { encryptionKey, authenticationKey, iv } = expand(crypto, info, messageKey);
  const ciphertext = sealed.subarray(0, sealed.length - MAC_LENGTH);
  const mac = crypto.hmacSha256(authenticationKey, macInput(ad, ciphertext));
  if (!equalBytes(mac, sealed.subarray(sealed.length - MAC_LENGTH))) {
    throw new SignalError('invalid-message', 'message authentication failed');
  }
  return crypto.aes256CbcDecrypt(encryptionKey, iv, ciphertext);
}

function expand(crypto: CryptoBackend, info: Uint8Array, messageKey: Uint8Array) {
  const okm = crypto.hkdfSha256(messageKey, ZERO_SALT, info, 80);
  return { encryptionKey: okm.subarray(0, 32), authenticationKey: okm.subarray(32, 64), iv: okm.subarray(64, 80) };
}

/**
 * What the MAC covers, `ad || ciphertext`, written into one buffer reused for every message:
 * the HMAC reads it at once and keeps none of it, and a fresh array of a kilobyte or more
 * costs more to allocate (and collect) than the copy.
 */
let scratch = new Uint8Array(4096);

function macInput(ad: readonly Uint8Array[], ciphertext: Uint8Array): Uint8Array {
  let length = ciphertext.length;
  for (const part of ad) length += part.length;
  if (length > scratch.length) scratch = new Uint8Array(Math.max(length, scratch.length * 2));
  let offset = 0;
  for (const part of ad) {
    scratch.set(part, offset);
    offset += part.length;
  }
  scratch.set(ciphertext, offset);
  return scratch.subarray(0, length);
}
