/** A scenario's world, set up but not run, to drive clients by hand in protocol tests. */
import { cryptoBackend } from '../../harness/crypto/index.ts';
import type { Envelope } from '../../harness/provider/api.ts';
import { Rng } from '../../harness/rng.ts';
import type { DeviceAddress, Scenario } from '../../harness/scenario/types.ts';
import { World } from '../../harness/world.ts';
import type { Client, Design } from '../../targets/types.ts';

export interface Harness {
  world: World;
  client(address: DeviceAddress): Client;
  /** Envelopes, as they arrived on the wire, that clients set aside instead of reading (see `holdDeliveries`). */
  held: Envelope[];
  /** From now on every client sets incoming envelopes aside in `held`; `deliver` hands one to its recipient. */
  holdDeliveries(): void;
  deliver(envelope: Envelope): ReturnType<Client['receive']>;
  send(from: DeviceAddress, to: string, id: string, text: string): Promise<void>;
}

export async function setUpWorld(design: Design, scenario: Scenario, crypto: 'node' | 'noble' = 'node'): Promise<Harness> {
  const world = new World({ design, scenario, crypto: cryptoBackend(crypto), rng: Rng.fromSeed(1, 'test', scenario.name), seed: 1 });
  await world.setUp();
  const held: Envelope[] = [];
  const readers = new Map<DeviceAddress, Client['receive']>();
  const client = (address: DeviceAddress) => {
    const found = world.clients.get(address);
    if (!found) throw new Error(`no client ${address}`);
    return found;
  };
  return {
    world,
    client,
    held,
    holdDeliveries() {
      for (const [address, device] of world.clients) {
        readers.set(address, device.receive.bind(device));
        device.receive = async (envelope) => {
          held.push(envelope);
          return null;
        };
      }
    },
    deliver(envelope) {
      const read = readers.get(envelope.to);
      if (!read) throw new Error(`deliveries to ${envelope.to} are not held`);
      return read(envelope);
    },
    async send(from, to, id, text) {
      const outcome = await client(from).send({ id, to: { kind: 'user', user: to }, body: new TextEncoder().encode(text) });
      if (!outcome.sent) throw new Error(`refused: ${outcome.reason}`);
    },
  };
}

export const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
