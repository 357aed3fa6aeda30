/**
 * `stolen-device`: a full image of one device at a point in time (keys, sessions, stored
 * history, the database file), plus the network recording. Generic for every design: the
 * image is restored into a fresh client of the same design, and every envelope the network
 * carried to or from that device, before and after the seizure, is replayed through it.
 */
import { z } from 'zod';
import type { DeviceAddress } from '../harness/scenario/types.ts';
import { allHoldings, eachCapturedEnvelope, replayThrough, wireHoldings } from './capture.ts';
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
        const clone = await view.restoreDevice(address, image);
        // Every envelope to or from the device, before and after the seizure: what the
        // image's keys still open is lost; what they no longer open, forward secrecy saved.
        const opened = await replayThrough(clone, address, eachCapturedEnvelope(view), 'decrypt');
        return allHoldings(holdings, opened, wireHoldings(view));
      },
    };
  },
};
