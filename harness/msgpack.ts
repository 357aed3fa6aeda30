/**
 * MessagePack, the encoding of the provider protocol and of what designs put inside their
 * ciphertexts and device images: compact, binary-safe, deterministic for a fixed key order.
 */
import { Decoder, Encoder } from '@msgpack/msgpack';

// One encoder and decoder for the process: making them per call costs more than the encoding
// itself. Both are re-entrant (a nested call gets a fresh instance).
const encoder = new Encoder({ ignoreUndefined: true });
const decoder = new Decoder();

export function encodeMsgpack(value: unknown): Uint8Array {
  // A copy that holds only the bytes (see `encodeMsgpackTransient`).
  return encoder.encode(value).slice();
}

/**
 * The encoding as a view into the encoder's reused buffer: valid only until the next encoding,
 * for a caller that copies it right away (into a `ByteArena`, say).
 */
export function encodeMsgpackTransient(value: unknown): Uint8Array {
  return encoder.encode(value);
}

/** Throws on malformed input (callers say what they were decoding). */
export function decodeMsgpack(bytes: Uint8Array): unknown {
  return decoder.decode(bytes);
}
