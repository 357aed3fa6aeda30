/**
 * `quantum`: the network recording, and at the end of the run a discrete-log oracle: any
 * X25519 public key it captured becomes its private key ("harvest now, decrypt later").
 * It rebuilds every device that published keys from those private halves, through the
 * design's own `reconstructDevice`, and replays the recording through each. Whatever a
 * design mixes in besides X25519 (PQXDH's ML-KEM secret) it cannot recover.
 */
import type { KeyUpload } from '../harness/provider/api.ts';
import { decodeWire } from '../harness/provider/wire.ts';
import { allHoldings, capturedEnvelopes, NO_POSITION, replayThrough, wireHoldings } from './capture.ts';
import type { Adversary, Attack, Holding } from './types.ts';

export const quantum: Adversary = {
  name: 'quantum',
  description: 'the network recording, and at the end of the run a discrete-log oracle (any X25519 public key seen becomes its private key)',
  metadata: ['sender', 'recipient', 'timing', 'size'],
  active: false,
  capabilities: ['record-network', 'discrete-log-oracle'],
  prepare() {
    const attack: Attack = {
      position: NO_POSITION,
      async conclude(view) {
        const opened: Holding[] = [];
        const reconstruct = view.design.reconstructDevice;
        if (!reconstruct) {
          attack.inconclusive = `${view.design.name} cannot be rebuilt from its published keys, so the oracle could not be applied`;
          return wireHoldings(view);
        }
        const captured = capturedEnvelopes(view);
        // The latest keys each device published, as captured on the wire.
        const uploads = new Map(view.wire.filter((r) => r.op === 'publish-keys').map((r) => [r.device, decodeWire<KeyUpload>(r.bytes)]));
        for (const [address, upload] of uploads) {
          try {
            const device = await reconstruct(view.deviceContext(address), upload, (key) => view.discreteLog(key));
            for (const holding of await replayThrough(device, address, captured, 'quantum')) opened.push(holding);
          } catch {
            // Not enough of this device's keys fall to the oracle to rebuild it.
          }
        }
        return allHoldings(wireHoldings(view), opened);
      },
    };
    return attack;
  },
};
