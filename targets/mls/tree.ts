/** Who is in an MLS group: the leaves of its ratchet tree (RFC 9420 §7.1), each a device by its credential. */
import type { ClientState, LeafNode } from 'ts-mls';

import type { DeviceAddress } from '../../harness/scenario/types.ts';
import { userOf } from './device.ts';
import { addressOf } from './identity.ts';

export interface Leaf {
  index: number;
  address: DeviceAddress;
  leaf: LeafNode;
}

export function leaves(state: ClientState): Leaf[] {
  const found: Leaf[] = [];
  state.ratchetTree.forEach((node, nodeIndex) => {
    if (node?.nodeType === 'leaf') found.push({ index: nodeIndex / 2, address: addressOf(node.leaf.credential), leaf: node.leaf });
  });
  return found;
}

export function leafAddresses(state: ClientState): DeviceAddress[] {
  return leaves(state).map((l) => l.address);
}

export function leafUsers(state: ClientState): string[] {
  return [...new Set(leafAddresses(state).map(userOf))];
}
