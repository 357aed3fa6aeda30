/**
 * Encoding of the structures designs put inside their ciphertexts and device images
 * (MessagePack: compact, binary-safe, deterministic for a fixed key order).
 */
import { RejectionError } from '../../harness/errors.ts';
import { decodeMsgpack, encodeMsgpack } from '../../harness/msgpack.ts';

export function pack(value: unknown): Uint8Array {
  return encodeMsgpack(value);
}

/** Throws the coded rejection `malformed-message` for bytes that are not MessagePack. */
export function unpack<T>(bytes: Uint8Array, what: string): T {
  try {
    return decodeMsgpack(bytes) as T;
  } catch (error) {
    throw new RejectionError('malformed-message', `malformed ${what}: ${(error as Error).message}`, { cause: error });
  }
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

export const utf8 = {
  encode: (text: string): Uint8Array => textEncoder.encode(text),
  decode: (bytes: Uint8Array): string => textDecoder.decode(bytes),
};

export { concatBytes, equalBytes } from '@noble/ciphers/utils.js';
