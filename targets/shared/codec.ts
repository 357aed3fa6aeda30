/**
 * Encoding of the structures designs put inside their ciphertexts and device images
 * (MessagePack: compact, binary-safe, deterministic for a fixed key order).
 */
import { decode, encode } from '@msgpack/msgpack';

export function pack(value: unknown): Uint8Array {
  // `encode` returns a view into a fresh 2 KiB buffer; a copy holds only the bytes.
  return encode(value, { ignoreUndefined: true }).slice();
}

export function unpack<T>(bytes: Uint8Array, what: string): T {
  try {
    return decode(bytes) as T;
  } catch (error) {
    throw new Error(`malformed ${what}: ${(error as Error).message}`);
  }
}

export const utf8 = {
  encode: (text: string): Uint8Array => new TextEncoder().encode(text),
  decode: (bytes: Uint8Array): string => new TextDecoder().decode(bytes),
};

export { concatBytes, equalBytes } from '@noble/ciphers/utils.js';
