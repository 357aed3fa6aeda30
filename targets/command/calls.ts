/**
 * Serving a client process's calls (docs/client-protocol.md §5) from the context keyhole
 * made for that client: its random stream, the run's clock, its alerts and its connection to
 * the provider (which records every call on the wire, and which an adversary may rewrite).
 */
import { toBase64, type Call } from '../../harness/client-protocol/messages.ts';
import type { ClientContext } from '../types.ts';

const encodeOrNull = (bytes: Uint8Array | null) => (bytes === null ? null : toBase64(bytes));

export async function serveCall(call: Call, context: ClientContext): Promise<Record<string, unknown>> {
  const { provider } = context;
  switch (call.op) {
    case 'random':
      return { bytes: toBase64(context.rng.bytes(call.n)) };
    case 'now':
      return { now: context.now() };
    case 'alert':
      context.alert(call.kind, call.about, call.members);
      return {};
    case 'provider.publishKeys':
      await provider.publishKeys(call.upload.oneTimeKeys ? { bundle: call.upload.bundle, oneTimeKeys: call.upload.oneTimeKeys } : { bundle: call.upload.bundle });
      return {};
    case 'provider.publishDeviceList':
      await provider.publishDeviceList(call.signedList);
      return {};
    case 'provider.fetchDevices': {
      const listing = await provider.fetchDevices(call.user);
      return { listing: { user: listing.user, devices: listing.devices, signedList: encodeOrNull(listing.signedList) } };
    }
    case 'provider.fetchBundle': {
      const found = await provider.fetchBundle(call.address);
      const oneTimeKeys = Object.fromEntries(Object.entries(found.oneTimeKeys).map(([pool, key]) => [pool, encodeOrNull(key)]));
      return { bundle: { address: found.address, bundle: toBase64(found.bundle), oneTimeKeys } };
    }
    case 'provider.send':
      await provider.send(call.envelopes);
      return {};
    case 'provider.fetchRoster': {
      const roster = await provider.fetchRoster(call.group);
      return { roster: { group: roster.group, admin: roster.admin, members: roster.members, signed: encodeOrNull(roster.signed) } };
    }
    case 'provider.publishRoster':
      await provider.publishRoster(call.group, call.members, call.signed);
      return {};
    case 'provider.removeDevice':
      await provider.removeDevice(call.device);
      return {};
    case 'provider.countOneTimeKeys':
      return { counts: await provider.countOneTimeKeys() };
  }
}

