/**
 * The discrete-log oracle behind the `quantum` adversary (SPEC §4): a backend wrapper that
 * remembers the private half of every X25519 key pair the run creates, so that at the end of
 * the run the harness can answer "what is the private key of this public key?" as a large
 * quantum computer running Shor's algorithm would. The adversary may ask only about public
 * keys it captured.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import type { CryptoBackend } from './backend.ts';

export interface KeyTable {
  backend: CryptoBackend;
  privateKeyOf(publicKey: Uint8Array): Uint8Array | null;
}

export function recordingBackend(base: CryptoBackend): KeyTable {
  const table = new Map<string, Uint8Array>();
  const backend: CryptoBackend = Object.create(base);
  backend.x25519PublicKey = (privateKey) => {
    const publicKey = base.x25519PublicKey(privateKey);
    table.set(bytesToHex(publicKey), privateKey.slice());
    return publicKey;
  };
  return { backend, privateKeyOf: (publicKey) => table.get(bytesToHex(publicKey))?.slice() ?? null };
}
