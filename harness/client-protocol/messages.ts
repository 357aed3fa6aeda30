/**
 * The messages of `keyhole-client/1` (docs/client-protocol.md) as zod schemas, for both ends:
 * keyhole checks what a client answers and calls, the reference adapter checks what keyhole
 * asks. Bytes travel as base64 (RFC 4648 §4) and are decoded here.
 */
import { z } from 'zod';
import { ALERT_KINDS } from '../report/types.ts';
import { SEALED_SENDER } from '../provider/api.ts';
import type { DeviceAddress } from '../scenario/types.ts';
import { MAX_RANDOM_BYTES, MAX_TEXT_CHARS } from './limits.ts';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export const bytes = z
  .string()
  .regex(BASE64, 'expected base64 (RFC 4648 §4, with padding)')
  .transform((text) => new Uint8Array(Buffer.from(text, 'base64')));
export const text = z.string().max(MAX_TEXT_CHARS);
export const address = z
  .string()
  .max(MAX_TEXT_CHARS)
  .regex(/^[^.]+\..+$/, 'expected a device address user.device')
  .transform((a) => a as DeviceAddress);
const handle = z.string().min(1).max(100);
export const requestId = z.union([z.number().int(), z.string().max(100)]);

/** An envelope keyhole delivers; a sealed-sender one names `.sealed` as its sender (docs/client-protocol.md). */
export const envelope = z.object({ from: z.union([z.literal(SEALED_SENDER), address]), to: address, body: bytes });

/* keyhole's requests ------------------------------------------------------------------------- */

const onClient = { id: requestId, client: handle };
const device = { address, user: text, device: text };

export const requestSchema = z.discriminatedUnion('op', [
  z.object({ id: requestId, op: z.literal('hello'), protocol: text }),
  z.object({ ...onClient, op: z.literal('create'), ...device }),
  z.object({ ...onClient, op: z.literal('restore'), ...device, image: bytes }),
  z.object({ ...onClient, op: z.literal('register'), provisioning: bytes.nullable() }),
  z.object({ ...onClient, op: z.literal('provisionDevice'), device: text }),
  z.object({ ...onClient, op: z.literal('unlinkDevice'), device: text }),
  z.object({
    ...onClient,
    op: z.literal('send'),
    message: z.object({
      id: text,
      to: z.discriminatedUnion('kind', [z.object({ kind: z.literal('user'), user: text }), z.object({ kind: z.literal('group'), group: text })]),
      body: bytes,
    }),
  }),
  z.object({ ...onClient, op: z.literal('receive'), envelope }),
  z.object({ ...onClient, op: z.literal('deleteMessages'), ids: z.union([z.literal('all'), z.array(text)]) }),
  z.object({ ...onClient, op: z.literal('safetyNumber'), peer: text }),
  z.object({ ...onClient, op: z.literal('recordVerification'), peer: text, matched: z.boolean(), safetyNumber: text.optional() }),
  z.object({ ...onClient, op: z.literal('createGroup'), group: text, members: z.array(text) }),
  z.object({ ...onClient, op: z.literal('addMember'), group: text, user: text }),
  z.object({ ...onClient, op: z.literal('removeMember'), group: text, user: text }),
  z.object({ ...onClient, op: z.literal('maintain') }),
  z.object({ ...onClient, op: z.literal('exportState') }),
  z.object({ ...onClient, op: z.literal('openSent'), envelope }),
  z.object({ ...onClient, op: z.literal('openSessionStart'), envelope }),
]);
export type Request = z.infer<typeof requestSchema>;
export type RequestOp = Request['op'];

/** The operations a client may leave out (it lists those it has in `hello`). */
export const OPTIONAL_OPS = ['maintain', 'openSessionStart'] as const;
export type OptionalOp = (typeof OPTIONAL_OPS)[number];

/** What a successful response to each request carries. */
export const resultSchemas = {
  hello: z.object({ protocol: text, design: text.optional(), optional: z.array(z.enum(OPTIONAL_OPS)).optional() }),
  create: z.object({}),
  restore: z.object({}),
  register: z.object({}),
  provisionDevice: z.object({ provisioning: bytes }),
  unlinkDevice: z.object({}),
  send: z.object({ outcome: z.union([z.object({ sent: z.literal(true) }), z.object({ sent: z.literal(false), reason: text })]) }),
  receive: z.object({ message: z.object({ id: text, from: address, body: bytes, group: text.nullable() }).nullable() }),
  deleteMessages: z.object({}),
  safetyNumber: z.object({ safetyNumber: text.nullable() }),
  recordVerification: z.object({}),
  createGroup: z.object({}),
  addMember: z.object({}),
  removeMember: z.object({}),
  maintain: z.object({}),
  exportState: z.object({ image: bytes }),
  openSent: z.object({ body: bytes.nullable() }),
  openSessionStart: z.object({ body: bytes.nullable() }),
} satisfies Record<RequestOp, z.ZodType>;
export type Result<Op extends RequestOp> = z.infer<(typeof resultSchemas)[Op]>;

/* The client's calls -------------------------------------------------------------------------- */

const optionalBytesList = z.record(text, z.array(bytes));
/** The most members one membership alert may name (a group of keyhole's scenarios is far smaller). */
const MAX_ALERT_MEMBERS = 10_000;
export const callSchema = z.discriminatedUnion('op', [
  z.object({ ...onClient, op: z.literal('random'), n: z.number().int().min(1).max(MAX_RANDOM_BYTES) }),
  z.object({ ...onClient, op: z.literal('now') }),
  z.object({ ...onClient, op: z.literal('alert'), kind: z.enum(ALERT_KINDS), about: text, members: z.array(text).max(MAX_ALERT_MEMBERS).optional() }),
  z.object({ ...onClient, op: z.literal('provider.publishKeys'), upload: z.object({ bundle: bytes, oneTimeKeys: optionalBytesList.optional() }) }),
  z.object({ ...onClient, op: z.literal('provider.publishDeviceList'), signedList: bytes }),
  z.object({ ...onClient, op: z.literal('provider.fetchDevices'), user: text }),
  z.object({ ...onClient, op: z.literal('provider.fetchBundle'), address }),
  z.object({ ...onClient, op: z.literal('provider.send'), envelopes: z.array(z.object({ to: address, body: bytes, sealed: z.literal(true).optional() })) }),
  z.object({ ...onClient, op: z.literal('provider.fetchRoster'), group: text }),
  z.object({ ...onClient, op: z.literal('provider.publishRoster'), group: text, members: z.array(text), signed: bytes.nullable() }),
  z.object({ ...onClient, op: z.literal('provider.removeDevice'), device: text }),
  z.object({ ...onClient, op: z.literal('provider.countOneTimeKeys') }),
]);
export type Call = z.infer<typeof callSchema>;
export type CallOp = Call['op'];

/** What keyhole answers each call with. */
export const callResultSchemas = {
  random: z.object({ bytes }),
  now: z.object({ now: z.number() }),
  alert: z.object({}),
  'provider.publishKeys': z.object({}),
  'provider.publishDeviceList': z.object({}),
  'provider.fetchDevices': z.object({ listing: z.object({ user: text, devices: z.array(text), signedList: bytes.nullable() }) }),
  'provider.fetchBundle': z.object({ bundle: z.object({ address, bundle: bytes, oneTimeKeys: z.record(text, bytes.nullable()) }) }),
  'provider.send': z.object({}),
  'provider.fetchRoster': z.object({ roster: z.object({ group: text, admin: text, members: z.array(text), signed: bytes.nullable() }) }),
  'provider.publishRoster': z.object({}),
  'provider.removeDevice': z.object({}),
  'provider.countOneTimeKeys': z.object({ counts: z.record(text, z.number().int().min(0)) }),
} satisfies Record<CallOp, z.ZodType>;

/* Responses ----------------------------------------------------------------------------------- */

export const ERROR_CODES = ['rejected', 'unsupported', 'failed', 'bad-request', 'provider'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const errorSchema = z.object({ code: z.enum(ERROR_CODES), message: text, rejection: text.optional() });
export const responseSchema = z.union([
  z.looseObject({ id: requestId, ok: z.literal(true) }),
  z.object({ id: requestId, ok: z.literal(false), error: errorSchema }),
]);
export type Response = z.infer<typeof responseSchema>;

/** A line's JSON, or why it is not one object. */
export function parseLine(line: string): { value: Record<string, unknown> } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { problem: 'a line that is not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { problem: 'a line that is not a JSON object' };
  return { value: value as Record<string, unknown> };
}

/** The first problem zod found, as `path: message`. */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  return issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
}
