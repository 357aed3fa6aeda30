/**
 * `removed-member`: a group member's full device state, kept after its removal, plus the
 * network recording. At the step where the user is removed from the group it images every
 * device of the user (the user keeps its phones; nothing forces it to wipe them), and at the
 * end restores each image into a fresh client of the design and replays the whole network
 * recording through it (reading the public directory as of each envelope's moment, as the
 * device did): whatever its old group state still opens after the removal leaked.
 * Messages from before the removal are `exposed` (it was a legitimate recipient).
 */
import { z } from 'zod';
import { UnsupportedError } from '../harness/errors.ts';
import { deviceAddress, splitAddress, type DeviceAddress } from '../harness/scenario/types.ts';
import { allHoldings, capturedEnvelopes, replayThrough, ReplayCursor, wireHoldings } from './capture.ts';
import type { Adversary, Holding } from './types.ts';

const params = z.strictObject({
  group: z.string().describe('the group'),
  user: z.string().describe('the member who is removed from it'),
});

type Params = z.infer<typeof params>;

export const removedMember: Adversary<Params> = {
  name: 'removed-member',
  description: "a group member's full device state, kept after its removal, plus the network recording",
  params,
  metadata: ['sender', 'recipient', 'timing', 'size'],
  active: false,
  capabilities: ['member-state', 'record-network'],
  prepare({ scenario, params: { group, user } }) {
    const removal = scenario.steps.findIndex((s) => s.kind === 'remove-member' && s.group === group && s.user === user);
    const strikeStep = removal < 0 ? null : removal;
    // Every device the user has when it is removed: its initial devices, linked and not unlinked since.
    const devices = new Set<DeviceAddress>((scenario.users[user] ?? []).map((d) => deviceAddress(user, d)));
    for (const step of scenario.steps.slice(0, strikeStep ?? 0)) {
      if (step.kind === 'link-device' && step.user === user) devices.add(deviceAddress(user, step.device));
      if (step.kind === 'unlink-device') devices.delete(step.device);
    }
    const images = new Map<DeviceAddress, Uint8Array>();
    return {
      position: { strikeStep, compromisedDevice: null, removedMember: { group, user } },
      async start() {
        // Thrown inside the run, so the run is `not-applicable` rather than a harness failure.
        if (strikeStep === null) throw new UnsupportedError(`scenario ${scenario.name} never removes ${user} from ${group}`);
      },
      async afterStep(index, view) {
        if (index !== strikeStep) return;
        for (const device of devices) images.set(device, await view.imageDevice(device));
      },
      async conclude(view) {
        if (images.size === 0) throw new Error(`${user}'s devices were never imaged`);
        const holdings: Holding[] = [];
        const captured = capturedEnvelopes(view);
        for (const [device, image] of images) {
          holdings.push({ bytes: image, via: 'device-image' });
          const cursor = new ReplayCursor();
          const clone = await view.restoreDevice(device, image, cursor.asOf);
          for (const holding of await replayThrough(clone, device, captured, 'removed-member', cursor)) holdings.push(holding);
          // The network carries every member's copy, and a group message encrypted once for
          // all (sender keys) is the same bytes in each: try the others' copies too.
          const othersCopies = captured
            .filter((c) => c.direction === 'down' && c.step >= (strikeStep ?? 0) && splitAddress(c.envelope.to).user !== user)
            .map((c) => ({ ...c, envelope: { ...c.envelope, to: device } }));
          for (const holding of await replayThrough(clone, device, othersCopies, 'removed-member', cursor)) holdings.push(holding);
        }
        return allHoldings(holdings, wireHoldings(view));
      },
    };
  },
};
