/**
 * `stolen-device`: a full image of one device at a point in time (keys, sessions, stored
 * history, the database file), plus the network recording. Generic for every design (SPEC
 * "Principles": restore and replay): the image is restored into a fresh client of the same
 * design, and every envelope on the wire the device could open is replayed through it once,
 * before and after the seizure: those delivered to it, those uploaded to it and never
 * delivered (queued while it was offline, or for a phone the adversary keeps off the
 * network), and those it uploaded (`deviceEnvelopes`). The clone reads the public directory
 * as of each envelope's moment, so it checks membership as the real device did then.
 *
 * The image also holds the device's prekeys: its signed prekey, its last-resort KEM key and
 * any unused one-time prekeys. A session a peer started on them can be derived again from
 * the recording, even after the device deleted its messages; the restored clone, which has
 * that session already, rejects its first messages as replays. So each envelope the clone
 * does not open is also tried as a session start on a second restore of the image, with its
 * prekeys alone (`Client.openSessionStart`), `via: prekeys`.
 */
import { z } from 'zod';
import type { DeviceAddress } from '../harness/scenario/types.ts';
import type { Client } from '../targets/types.ts';
import { allHoldings, deviceEnvelopes, ReplayCursor, wireHoldings, type CapturedEnvelope } from './capture.ts';
import type { Adversary, Holding } from './types.ts';

const params = z.strictObject({
  device: z.string().describe('the seized device, `user.device` (a bare user means its primary)'),
  at: z.string().describe('the mark at which it is imaged'),
});

export const stolenDevice: Adversary<z.infer<typeof params>> = {
  name: 'stolen-device',
  description: 'a full image of one device (keys, sessions, stored history, database file) at a point in time, plus the network recording',
  params,
  metadata: ['sender', 'recipient', 'timing', 'size'],
  active: false,
  capabilities: ['device-image', 'record-network'],
  prepare({ scenario, params: { device, at } }) {
    const address = (device.includes('.') ? device : `${device}.${scenario.users[device]![0]}`) as DeviceAddress;
    const strikeStep = scenario.marks[at]!;
    let image: Uint8Array | null = null;
    return {
      position: { strikeStep, compromisedDevice: address, removedMember: null },
      async afterStep(index, view) {
        if (index === strikeStep) image = await view.imageDevice(address);
      },
      async conclude(view) {
        if (!image) throw new Error(`${address} was never imaged`);
        // What the image holds in clear: stored history, and deleted rows not yet overwritten.
        const holdings: Holding[] = [{ bytes: image, via: 'device-image' }];
        const cursor = new ReplayCursor();
        const clone = await view.restoreDevice(address, image, cursor.asOf);
        const prekeysOnly = clone.openSessionStart ? await view.restoreDevice(address, image, cursor.asOf) : null;
        // What the image's keys still open is lost; what they no longer open, forward secrecy saved.
        const opened = await replayDevice(clone, prekeysOnly, address, deviceEnvelopes(view, address), cursor);
        return allHoldings(holdings, opened, wireHoldings(view));
      },
    };
  },
};

/**
 * Each envelope once, in order: one to the device through `clone.receive` (and, if the clone
 * rejects it or opens nothing, through `prekeysOnly.openSessionStart`), one from it through `clone.openSent`.
 */
async function replayDevice(clone: Client, prekeysOnly: Client | null, address: DeviceAddress, captured: Iterable<CapturedEnvelope>, cursor: ReplayCursor): Promise<Holding[]> {
  const holdings: Holding[] = [];
  for (const { seq, envelope, direction, uploader } of captured) {
    cursor.seq = seq;
    if (direction === 'up' && uploader === address) {
      const sent = await clone.openSent(envelope).catch(() => null);
      if (sent) holdings.push({ bytes: sent, via: 'decrypt' });
      continue;
    }
    // A design may reject an envelope it cannot open, or quietly drop it (null, as for a
    // session start it takes for a duplicate): either way the prekeys get their try.
    const received = await clone.receive(envelope).catch(() => null);
    if (received) holdings.push({ bytes: received.body, via: 'decrypt' });
    else if (prekeysOnly?.openSessionStart) {
      const rederived = await prekeysOnly.openSessionStart(envelope).catch(() => null);
      if (rederived) holdings.push({ bytes: rederived, via: 'prekeys' });
    }
  }
  cursor.seq = Number.POSITIVE_INFINITY;
  return holdings;
}
