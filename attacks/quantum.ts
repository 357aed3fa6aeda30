/**
 * `quantum`: the network recording, and at the end of the run a discrete-log oracle: any
 * X25519 public key it captured becomes its private key ("harvest now, decrypt later").
 *
 * Every Diffie-Hellman value of a session has two private halves on the wire, and the oracle
 * gives either; the attack computes each from the side of the device that published keys.
 * It rebuilds every device from what it published (one clone per bundle it published, each
 * with every one-time key it published), through the design's own `reconstructDevice`, and
 * replays through each clone, in wire order, the envelopes delivered to the device and those
 * it uploaded, then those uploaded for it and never delivered. The clone holds the oracle in
 * its context (`privateKeyOf`): it makes no ratchet keys of its own but takes the private
 * half of each ratchet key the real device shows on the wire (Double Ratchet §3.5), so it
 * follows the conversation in both directions. A device with a second connection registered
 * as it (a clone's) is replayed along each connection, from the shared history on. Whatever
 * a design mixes in besides X25519 (PQXDH's ML-KEM secret) it cannot recover; a device it cannot rebuild makes the run
 * inconclusive, never clean.
 */
import type { KeyUpload } from '../harness/provider/api.ts';
import { decodeWire } from '../harness/provider/wire.ts';
import type { DeviceAddress } from '../harness/scenario/types.ts';
import { equalBytes } from '../targets/shared/codec.ts';
import { allHoldings, capturedEnvelopes, NO_POSITION, replayThrough, ReplayCursor, wireHoldings, type CapturedEnvelope } from './capture.ts';
import { connectionLinks } from './traffic/connections.ts';
import type { Adversary, AdversaryView, Attack, Holding } from './types.ts';

export const quantum: Adversary = {
  name: 'quantum',
  description: 'the network recording, and at the end of the run a discrete-log oracle (any X25519 public key seen becomes its private key)',
  metadata: ['sender', 'recipient', 'timing', 'size'],
  active: false,
  capabilities: ['record-network', 'discrete-log-oracle'],
  prepare() {
    const attack: Attack = {
      position: NO_POSITION,
      // What the recording tells of senders, as for `network`.
      senderLinks: [],
      async conclude(view) {
        attack.senderLinks = connectionLinks(view);
        const reconstruct = view.design.reconstructDevice;
        if (!reconstruct) {
          attack.inconclusive = `${view.design.name} cannot be rebuilt from its published keys, so the oracle could not be applied`;
          return wireHoldings(view);
        }
        const captured = capturedEnvelopes(view);
        const privateKeyOf = (publicKey: Uint8Array) => view.discreteLog(publicKey);
        const opened: Holding[] = [];
        const unbuilt: string[] = [];
        for (const [address, uploads] of publishedKeys(view)) {
          const replayed = [...captured, ...undeliveredTo(view, address, captured)];
          for (const upload of uploads) {
            for (const line of connectionLines(replayed, address)) {
              // The clone reads the directory as it stood at each envelope (a group's roster then, not at the end of the run).
              const cursor = new ReplayCursor();
              let device;
              try {
                device = await reconstruct({ ...view.deviceContext(address, cursor.asOf), privateKeyOf }, upload, privateKeyOf);
              } catch (error) {
                unbuilt.push(`${address} (${error instanceof Error ? error.message : String(error)})`);
                break;
              }
              opened.push(...(await replayThrough(device, address, line, 'quantum', cursor)));
            }
          }
        }
        if (unbuilt.length > 0) attack.inconclusive = `the oracle could not rebuild ${unbuilt.join(', ')}`;
        return allHoldings(wireHoldings(view), opened);
      },
    };
    return attack;
  },
};

/**
 * What each device published, as captured on the wire: one upload per distinct bundle (a
 * device that rotated its signed prekey published several), each with every one-time key
 * the device ever published, since any of them may have started a session.
 */
function publishedKeys(view: AdversaryView): Map<DeviceAddress, KeyUpload[]> {
  const bundles = new Map<DeviceAddress, Uint8Array[]>();
  const oneTimeKeys = new Map<DeviceAddress, Record<string, Uint8Array[]>>();
  for (const record of view.wire) {
    if (record.op !== 'publish-keys') continue;
    const upload = decodeWire<KeyUpload>(record.bytes);
    const seen = bundles.get(record.device) ?? [];
    if (!seen.some((bundle) => equalBytes(bundle, upload.bundle))) seen.push(upload.bundle);
    bundles.set(record.device, seen);
    const pools = oneTimeKeys.get(record.device) ?? {};
    for (const [pool, keys] of Object.entries(upload.oneTimeKeys ?? {})) pools[pool] = [...(pools[pool] ?? []), ...keys];
    oneTimeKeys.set(record.device, pools);
  }
  return new Map([...bundles].map(([device, list]) => [device, list.map((bundle) => ({ bundle, oneTimeKeys: oneTimeKeys.get(device)! }))]));
}

/**
 * Envelopes uploaded for `address` that the wire never shows delivered to it (the device
 * stayed offline, or was unlinked): the device would have read them when it came back, so
 * the clone reads them after everything else, as addressed to it.
 */
function undeliveredTo(view: AdversaryView, address: DeviceAddress, captured: readonly CapturedEnvelope[]): CapturedEnvelope[] {
  const key = (c: CapturedEnvelope) => `${c.envelope.from} ${Buffer.from(view.crypto.sha256(c.envelope.body)).toString('base64')}`;
  const delivered = new Set(captured.filter((c) => c.direction === 'down' && c.envelope.to === address).map(key));
  return captured
    .filter((c) => c.direction === 'up' && c.envelope.to === address && !delivered.has(key(c)))
    .map((c) => ({ ...c, direction: 'down' }));
}

/**
 * What one device met on each of its connections: the whole recording where it had one; where
 * a second connection was registered as it (a clone's), which a tap tells apart, two lines
 * that share what came before the second connection's first record and then each follow one
 * connection. Both copies ratchet on their own, so one replay through both would follow neither.
 */
function connectionLines(replayed: readonly CapturedEnvelope[], address: DeviceAddress): CapturedEnvelope[][] {
  const mine = (c: CapturedEnvelope) => (c.direction === 'down' ? c.envelope.to === address : c.uploader === address);
  const split = replayed.find((c) => c.twin && mine(c))?.seq;
  if (split === undefined) return [[...replayed]];
  const own = replayed.filter((c) => !(c.twin && mine(c)));
  const twin = replayed.filter((c) => !mine(c) || c.twin || c.seq < split);
  return [own, twin];
}
