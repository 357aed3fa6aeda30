/**
 * Composite adversaries (SPEC §4): `a+b` holds the union of its parts' capabilities and
 * parameters and uses them together. Each part runs its own attack with its own scenario
 * parameters, but every part sees the composite's view, which grants the union: the
 * `stolen-device` part's restored image then holds the discrete-log oracle of a `quantum`
 * part, and follows the Double Ratchet past every X25519 step. Nothing here knows any pair
 * of adversaries: what the parts gain together comes from the capabilities alone.
 */
import type { MetadataKind } from '../harness/report/types.ts';
import { unionOf } from './capabilities.ts';
import { allHoldings } from './capture.ts';
import type { Adversary, AdversaryView, Attack, Attribution, Holding, Position, SenderLink } from './types.ts';

/** Between the parts of a composite's name: `stolen-device+quantum`. */
export const COMPOSITE_SEPARATOR = '+';

/** The parts' parameters, by part name, as the scenario gives them. */
export type CompositeParams = Record<string, unknown>;

const METADATA_ORDER: readonly MetadataKind[] = ['sender', 'recipient', 'timing', 'size'];

/** The adversary that holds every capability of `parts` and runs their attacks together. */
export function compose(parts: readonly Adversary<any>[]): Adversary<CompositeParams> {
  const names = parts.map((p) => p.name);
  const capabilities = unionOf(parts.map((p) => p.capabilities));
  const metadata = new Set(parts.flatMap((p) => p.metadata));
  return {
    name: names.join(COMPOSITE_SEPARATOR),
    description: `${names.join(' and ')} together: ${capabilities.join(', ')}`,
    metadata: METADATA_ORDER.filter((kind) => metadata.has(kind)),
    active: parts.some((p) => p.active),
    capabilities,
    parts,
    prepare: ({ scenario, params, rng, seed }) =>
      new CompositeAttack(
        parts.map((part) => part.prepare({ scenario, params: params[part.name], rng: rng.fork(part.name), seed })),
        parts.map((part) => part.active),
      ),
  };
}

class CompositeAttack implements Attack {
  readonly #parts: readonly Attack[];
  /** Whether each part is active (acts on the run, so that what it does can be noticed). */
  readonly #active: readonly boolean[];
  /** Why the parts together fell short of their capabilities, found by the composite itself. */
  #shortfall: string | null = null;

  constructor(parts: readonly Attack[], active: readonly boolean[]) {
    this.#parts = parts;
    this.#active = active;
  }

  get position(): Position {
    return mergePositions(this.#parts.map((p) => p.position), this.#active);
  }

  get listed(): readonly string[] | undefined {
    const listed = this.#parts.flatMap((p) => p.listed ?? []);
    return listed.length > 0 ? [...new Set(listed)] : undefined;
  }

  /** Every part's links; a part that does not try adds none. */
  get senderLinks(): readonly SenderLink[] | undefined {
    const tried = this.#parts.filter((p) => p.senderLinks !== undefined);
    return tried.length > 0 ? tried.flatMap((p) => p.senderLinks!) : undefined;
  }

  /** Every part's footprints and forgeries; a part that says none adds none (its alerts then count as notice of nothing). */
  get attribution(): Attribution | undefined {
    const said = this.#parts.flatMap((p) => (p.attribution ? [p.attribution] : []));
    if (said.length === 0) return undefined;
    return { footprints: said.flatMap((a) => a.footprints), forgeries: new Map(said.flatMap((a) => [...a.forgeries])) };
  }

  get inconclusive(): string | undefined {
    const reasons = [...this.#parts.map((p) => p.inconclusive), this.#shortfall].filter((r): r is string => typeof r === 'string');
    return reasons.length > 0 ? reasons.join('; ') : undefined;
  }

  get notes(): string[] {
    return this.#parts.flatMap((p) => p.notes ?? []);
  }

  async start(view: AdversaryView): Promise<void> {
    for (const part of this.#parts) await part.start?.(view);
  }

  async afterStep(stepIndex: number, view: AdversaryView): Promise<void> {
    for (const part of this.#parts) await part.afterStep?.(stepIndex, view);
  }

  async conclude(view: AdversaryView): Promise<Iterable<Holding>> {
    const watched = this.#watchRestores(view);
    const holdings: Iterable<Holding>[] = [];
    for (const part of this.#parts) holdings.push(await part.conclude(watched));
    return allHoldings(...holdings);
  }

  /**
   * The oracle reaches a restored client only through the design's own code, which must ask
   * for the keys it lacks (`ClientContext.privateKeyOf`). A design that keeps its keys where
   * the oracle cannot see them (no `reconstructDevice`: a library's opaque records) gives a
   * restored image nothing from the oracle, and a clean result would prove nothing.
   */
  #watchRestores(view: AdversaryView): AdversaryView {
    if (!view.capabilities.has('discrete-log-oracle') || view.design.reconstructDevice) return view;
    const watched: AdversaryView = Object.create(view);
    Object.defineProperty(watched, 'restoreDevice', {
      value: (address: Parameters<AdversaryView['restoreDevice']>[0], image: Uint8Array) => {
        this.#shortfall ??= `the discrete-log oracle cannot drive ${view.design.name}'s restored ${address}: the design keeps its keys where the oracle cannot see them`;
        return view.restoreDevice(address, image);
      },
    });
    return watched;
  }
}

/**
 * Where a composite stands: it holds the device and the member state its parts hold, and is
 * entitled to whatever any part is (`parts`). It strikes when the part that compromises a
 * device does, if one does: forward secrecy and post-compromise security are counted from
 * that compromise (SPEC §5), whatever position another part took earlier (a provider hostile
 * from the start, then a seizure: the messages before the seizure are `before`). Otherwise
 * it strikes when its first part does. What the users could notice begins where its first
 * active part (`active`, by part) acts: the hostile provider's alerts before a later seizure
 * are notice of the attack too.
 */
export function mergePositions(positions: readonly Position[], active: readonly boolean[] = positions.map(() => true)): Position {
  const device = positions.find((p) => p.compromisedDevice !== null);
  const strikes = positions.map((p) => p.strikeStep).filter((s): s is number => s !== null);
  const acting = positions.filter((_, i) => active[i]).map((p) => p.activeFrom ?? p.strikeStep ?? -1);
  return {
    strikeStep: device ? device.strikeStep : strikes.length > 0 ? Math.min(...strikes) : null,
    compromisedDevice: device?.compromisedDevice ?? null,
    removedMember: positions.find((p) => p.removedMember !== null)?.removedMember ?? null,
    parts: positions,
    ...(acting.length > 0 && { activeFrom: Math.min(...acting) }),
  };
}

/** The part names of a composite name, or null for a single adversary's name. */
export function partNames(name: string): string[] | null {
  return name.includes(COMPOSITE_SEPARATOR) ? name.split(COMPOSITE_SEPARATOR).map((n) => n.trim()) : null;
}
