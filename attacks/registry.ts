/**
 * The built-in adversaries. Keys are the names the CLI accepts (`-a`) and scenario files use
 * under `adversaries:`; adding one is one new file and one line here.
 */
import { escrowAgent } from './escrow-agent.ts';
import { escrowThief } from './escrow-thief.ts';
import { maliciousServer } from './malicious-server.ts';
import { network } from './network.ts';
import { quantum } from './quantum.ts';
import { removedMember } from './removed-member.ts';
import { server } from './server.ts';
import { stolenDevice } from './stolen-device.ts';
import type { Adversary } from './types.ts';

export const adversaries: Record<string, Adversary<any>> = {
  network,
  server,
  'stolen-device': stolenDevice,
  quantum,
  'malicious-server': maliciousServer,
  'escrow-agent': escrowAgent,
  'escrow-thief': escrowThief,
  'removed-member': removedMember,
};
