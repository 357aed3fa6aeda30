/**
 * The built-in adversaries. Keys are the names the CLI accepts (`-a`) and scenario files use
 * under `adversaries:`; adding one is one new file and one line here. Composites of them
 * (`stolen-device+quantum`, SPEC §4) are named by joining their parts with `+`.
 */
import { clone } from './clone.ts';
import { compose, COMPOSITE_SEPARATOR, partNames } from './compose.ts';
import { escrowAgent } from './escrow-agent.ts';
import { escrowThief } from './escrow-thief.ts';
import { listController } from './list-controller.ts';
import { maliciousServer } from './malicious-server/index.ts';
import { network } from './network.ts';
import { quantum } from './quantum.ts';
import { removedMember } from './removed-member.ts';
import { server } from './server.ts';
import { stolenDevice } from './stolen-device.ts';
import { trafficAnalysis } from './traffic-analysis.ts';
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
  clone,
  'list-controller': listController,
  'traffic-analysis': trafficAnalysis,
};

/** One composite object per name, so that the same name always gives the same adversary. */
const composites = new Map<string, Adversary<any>>();

/**
 * The adversary a name stands for: a built-in one, or a composite of distinct built-in ones.
 * Throws an `Error` saying what is wrong with a name that stands for none.
 */
export function adversaryNamed(name: string): Adversary<any> {
  const parts = partNames(name);
  if (parts === null) {
    if (!Object.hasOwn(adversaries, name)) throw new Error(`unknown adversary '${name}'`);
    return adversaries[name]!;
  }
  const unknown = parts.filter((part) => !Object.hasOwn(adversaries, part));
  if (unknown.length > 0) throw new Error(`unknown adversary ${unknown.map((n) => `'${n}'`).join(', ')} in '${name}'`);
  const repeated = parts.find((part, i) => parts.indexOf(part) !== i);
  if (repeated !== undefined) throw new Error(`'${name}' names ${repeated} twice`);
  const canonical = parts.join(COMPOSITE_SEPARATOR);
  let composite = composites.get(canonical);
  if (!composite) {
    composite = compose(parts.map((part) => adversaries[part]!));
    composites.set(canonical, composite);
  }
  return composite;
}

/** Every pair of distinct built-in adversaries, in catalogue order (the monotonicity self-check covers them all). */
export function builtInPairs(): Adversary<any>[] {
  const names = Object.keys(adversaries);
  return names.flatMap((a, i) => names.slice(i + 1).map((b) => adversaryNamed(`${a}${COMPOSITE_SEPARATOR}${b}`)));
}
