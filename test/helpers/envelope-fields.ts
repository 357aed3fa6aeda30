/**
 * Envelopes seen field by field, for the envelope fuzzer: the body is decoded as far as one
 * of the wire encodings the designs use takes it (MessagePack maps and arrays, MLS messages
 * in RFC 9420's TLS presentation language, libsignal's version byte + protobuf [+ MAC]
 * framing), bytes inside that decode again are decoded too, and every field on the way
 * (the envelope's `from` and `to`, nested maps, byte strings, numbers) can be changed and
 * the envelope encoded back. An encoding is used only where it reproduces the bytes exactly.
 */
import { decodeMlsMessage, encodeMlsMessage, type MLSMessage } from 'ts-mls';
import type { Envelope } from '../../harness/provider/api.ts';
import { decodeMsgpack, encodeMsgpack } from '../../harness/msgpack.ts';
import type { DeviceAddress } from '../../harness/scenario/types.ts';

/** A step into a map key, an array index, or (`LAYER`) from encoded bytes into what they decode to. */
export type Path = readonly (string | number)[];
export const LAYER = '<decoded>';

interface Codec {
  name: string;
  /** The decoded value, or undefined when `bytes` are not in this encoding. */
  decode(bytes: Uint8Array): unknown;
  encode(value: unknown): Uint8Array;
}

/** A byte string that one of the codecs decodes (and encodes back to the same bytes). */
interface Layer {
  readonly layer: Codec;
  readonly value: unknown;
}

export type FieldKind = 'bytes' | 'string' | 'number' | 'bigint' | 'boolean' | 'null' | 'map' | 'array' | 'other';

export interface Field {
  path: Path;
  kind: FieldKind;
}

/** The envelope decoded as far as it goes. */
export interface FieldTree {
  from: DeviceAddress;
  to: DeviceAddress;
  body: unknown;
}

const msgpack: Codec = {
  name: 'msgpack',
  decode(bytes) {
    const value = decodeMsgpack(bytes);
    return typeof value === 'object' && value !== null && !(value instanceof Uint8Array) ? value : undefined;
  },
  encode: (value) => encodeMsgpack(value),
};

const mls: Codec = {
  name: 'mls',
  decode(bytes) {
    const decoded = decodeMlsMessage(bytes, 0);
    return decoded && decoded[1] === bytes.length ? decoded[0] : undefined;
  },
  encode: (value) => encodeMlsMessage(value as MLSMessage),
};

/** libsignal's SignalMessage (version byte, protobuf, 8-byte MAC) and PreKeySignalMessage (no MAC). */
const SIGNAL_MAC_LENGTH = 8;
/** Shorter byte strings are left whole: too short to be a libsignal message, too likely to parse by chance. */
const SIGNAL_MIN_LENGTH = 16;

interface ProtobufField {
  number: number;
  wireType: 0 | 2;
  value: bigint | Uint8Array;
}

const libsignalFraming: Codec = {
  name: 'libsignal',
  decode(bytes) {
    if (bytes.length < SIGNAL_MIN_LENGTH) return undefined;
    const version = bytes[0]!;
    if (version >> 4 < 3 || version >> 4 > 5 || (version & 0xf) < 3 || (version & 0xf) > 5) return undefined;
    const whole = parseProtobuf(bytes.subarray(1));
    if (whole) return { version, fields: whole, mac: null };
    const withMac = parseProtobuf(bytes.subarray(1, bytes.length - SIGNAL_MAC_LENGTH));
    return withMac ? { version, fields: withMac, mac: bytes.slice(bytes.length - SIGNAL_MAC_LENGTH) } : undefined;
  },
  encode(value) {
    const { version, fields, mac } = value as { version: number; fields: ProtobufField[]; mac: Uint8Array | null };
    const parts: number[] = [version];
    for (const field of fields) {
      writeVarint(parts, BigInt((field.number << 3) | field.wireType));
      if (field.wireType === 0) writeVarint(parts, field.value as bigint);
      else {
        writeVarint(parts, BigInt((field.value as Uint8Array).length));
        parts.push(...(field.value as Uint8Array));
      }
    }
    if (mac) parts.push(...mac);
    return new Uint8Array(parts);
  },
};

function parseProtobuf(bytes: Uint8Array): ProtobufField[] | null {
  const fields: ProtobufField[] = [];
  let offset = 0;
  const varint = (): bigint | null => {
    let value = 0n;
    for (let shift = 0n; offset < bytes.length && shift < 64n; shift += 7n) {
      const byte = bytes[offset++]!;
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value;
    }
    return null;
  };
  while (offset < bytes.length) {
    const key = varint();
    if (key === null || key >> 3n === 0n) return null;
    const number = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (wireType === 0) {
      const value = varint();
      if (value === null) return null;
      fields.push({ number, wireType, value });
    } else if (wireType === 2) {
      const length = varint();
      if (length === null || offset + Number(length) > bytes.length) return null;
      fields.push({ number, wireType, value: bytes.slice(offset, offset + Number(length)) });
      offset += Number(length);
    } else {
      return null;
    }
  }
  return fields.length > 0 ? fields : null;
}

function writeVarint(out: number[], value: bigint): void {
  let v = BigInt.asUintN(64, value);
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
}

const CODECS: readonly Codec[] = [msgpack, mls, libsignalFraming];

/** Decode `bytes` with the first codec that reproduces them; the bytes themselves when none does. */
function expand(bytes: Uint8Array): unknown {
  for (const codec of CODECS) {
    let value: unknown;
    try {
      value = codec.decode(bytes);
      if (value === undefined || !sameBytes(codec.encode(value), bytes)) continue;
    } catch {
      continue;
    }
    return { layer: codec, value: expandChildren(value) } satisfies Layer;
  }
  return bytes;
}

function expandChildren(value: unknown): unknown {
  if (value instanceof Uint8Array) return expand(value);
  if (Array.isArray(value)) return value.map(expandChildren);
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandChildren(v)]));
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isLayer(value: unknown): value is Layer {
  return isPlainObject(value) && 'layer' in value && CODECS.includes((value as { layer: Codec }).layer);
}

export function decodeEnvelope(envelope: Envelope): FieldTree {
  return { from: envelope.from, to: envelope.to, body: expand(envelope.body) };
}

/** The envelope the tree describes; throws when a changed field no longer encodes (an MLS field of the wrong type). */
export function encodeEnvelope(tree: FieldTree): Envelope {
  const body = encodeValue(tree.body);
  if (!(body instanceof Uint8Array)) throw new TypeError('the body no longer encodes to bytes');
  return { from: tree.from, to: tree.to, body };
}

function encodeValue(value: unknown): unknown {
  if (isLayer(value)) return value.layer.encode(encodeValue(value.value));
  if (Array.isArray(value)) return value.map(encodeValue);
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encodeValue(v)]));
  return value;
}

/** Every field of the envelope, outermost first; a decoded byte string is one field and so is each field inside it. */
export function fieldsOf(tree: FieldTree): Field[] {
  const fields: Field[] = [
    { path: ['from'], kind: 'string' },
    { path: ['to'], kind: 'string' },
  ];
  const walk = (value: unknown, path: Path): void => {
    fields.push({ path, kind: kindOf(value) });
    if (isLayer(value)) walk(value.value, [...path, LAYER]);
    else if (Array.isArray(value)) value.forEach((item, i) => walk(item, [...path, i]));
    else if (isPlainObject(value)) for (const [key, item] of Object.entries(value)) walk(item, [...path, key]);
  };
  walk(tree.body, ['body']);
  return fields;
}

export function kindOf(value: unknown): FieldKind {
  if (isLayer(value) || value instanceof Uint8Array) return 'bytes';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (isPlainObject(value)) return 'map';
  const type = typeof value;
  return type === 'string' || type === 'number' || type === 'bigint' || type === 'boolean' ? type : 'other';
}

/** The value at `path` (a decoded byte string as its bytes), or undefined. */
export function valueAt(tree: FieldTree, path: Path): unknown {
  let value: unknown = tree;
  for (const step of path) {
    if (step === LAYER && isLayer(value)) value = value.value;
    else if (value !== null && typeof value === 'object') value = (value as Record<string | number, unknown>)[step];
    else return undefined;
  }
  return isLayer(value) ? encodeValue(value) : value;
}

/** A copy of the tree with the field at `path` replaced by `replace(old)`, or removed when it returns `DROP`. */
export const DROP = Symbol('drop');

export function withField(tree: FieldTree, path: Path, replace: (old: unknown) => unknown): FieldTree {
  const update = (value: unknown, depth: number): unknown => {
    if (depth === path.length) return replace(isLayer(value) ? encodeValue(value) : value);
    const step = path[depth]!;
    if (step === LAYER && isLayer(value)) return { layer: value.layer, value: update(value.value, depth + 1) } satisfies Layer;
    if (Array.isArray(value)) {
      const copy = [...value];
      const changed = update(copy[step as number], depth + 1);
      if (changed === DROP) copy.splice(step as number, 1);
      else copy[step as number] = changed;
      return copy;
    }
    const copy = { ...(value as Record<string, unknown>) };
    const changed = update(copy[step as string], depth + 1);
    if (changed === DROP) delete copy[step as string];
    else copy[step as string] = changed;
    return copy;
  };
  return update(tree, 0) as FieldTree;
}

/** Where a value came from, for a failure message: `body.<decoded>.message.header`. */
export function describePath(path: Path): string {
  return path.join('.');
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
