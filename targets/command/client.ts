/**
 * A `Client` whose device lives in a client process: each method is one request of
 * `keyhole-client/1` naming the client's handle (docs/client-protocol.md §4).
 */
import { toBase64, type OptionalOp } from '../../harness/client-protocol/messages.ts';
import type { Envelope } from '../../harness/provider/api.ts';
import type { Client, ClientContext, OutgoingMessage, ReceivedMessage, SendOutcome } from '../types.ts';
import type { ClientProcess } from './process.ts';

const wireEnvelope = (envelope: Envelope) => ({ from: envelope.from, to: envelope.to, body: toBase64(envelope.body) });

/**
 * The client for `context`, created in the process (`create`) or restored from `image`
 * (`restore`); it has `maintain` and `openSessionStart` only if the process said so in `hello`.
 */
export function processClient(
  process: ClientProcess,
  handle: string,
  context: ClientContext,
  optional: ReadonlySet<OptionalOp>,
  image: Uint8Array | null,
): { client: Client; ready: Promise<void> } {
  process.contexts.set(handle, context);
  const { address, user, device } = context;
  const ready = process
    .request(image ? 'restore' : 'create', { client: handle, address, user, device, ...(image && { image: toBase64(image) }) }, address)
    .then(() => undefined);
  // Rejections surface through the next operation (`ready` is awaited first), never unhandled.
  ready.catch(() => {});
  const ask = async <T>(op: Parameters<ClientProcess['request']>[0], fields: Record<string, unknown>): Promise<T> => {
    await ready;
    return (await process.request(op, { client: handle, ...fields }, address)) as T;
  };
  const client: Client = {
    register: (provisioning) => ask('register', { provisioning: provisioning ? toBase64(provisioning) : null }),
    provisionDevice: async (target) => (await ask<{ provisioning: Uint8Array }>('provisionDevice', { device: target })).provisioning,
    unlinkDevice: (target) => ask('unlinkDevice', { device: target }),
    send: async (message: OutgoingMessage) =>
      (await ask<{ outcome: SendOutcome }>('send', { message: { id: message.id, to: message.to, body: toBase64(message.body) } })).outcome,
    receive: async (envelope) => {
      const { message } = await ask<{ message: ReceivedMessage | null }>('receive', { envelope: wireEnvelope(envelope) });
      return message;
    },
    deleteMessages: (ids) => ask('deleteMessages', { ids }),
    safetyNumber: async (peer) => (await ask<{ safetyNumber: string | null }>('safetyNumber', { peer })).safetyNumber,
    recordVerification: (peer, matched, safetyNumber) =>
      ask('recordVerification', { peer, matched, ...(safetyNumber !== undefined && { safetyNumber }) }),
    createGroup: (group, members) => ask('createGroup', { group, members }),
    addMember: (group, member) => ask('addMember', { group, user: member }),
    removeMember: (group, member) => ask('removeMember', { group, user: member }),
    exportState: async () => (await ask<{ image: Uint8Array }>('exportState', {})).image,
    openSent: async (envelope) => (await ask<{ body: Uint8Array | null }>('openSent', { envelope: wireEnvelope(envelope) })).body,
  };
  if (optional.has('maintain')) client.maintain = () => ask('maintain', {});
  if (optional.has('openSessionStart')) {
    client.openSessionStart = async (envelope) => (await ask<{ body: Uint8Array | null }>('openSessionStart', { envelope: wireEnvelope(envelope) })).body;
  }
  return { client, ready };
}
