/**
 * The contract of a step checker: one per step kind (SPEC §2), as each property has one
 * evaluator. A checker gets the step's body as the schema parsed it, where the step is, and
 * the state of the scenario up to that step; it reports reference problems to the state and
 * returns the normalized step, or nothing when the step cannot be resolved.
 */
import type { z } from 'zod';

import type { Path, Segment } from '../../input/index.ts';
import type { stepBodySchemas } from '../schema.ts';
import type { ScenarioState } from '../state.ts';
import type { Step, StepKind } from '../types.ts';

export type StepBody<K extends StepKind> = z.output<(typeof stepBodySchemas)[K]>;

export interface StepSite {
  /** The step's index in `steps`. */
  index: number;
  /** The path of a node inside the step: `at('send', 'to')` is `steps[3].send.to`. */
  at: (...rest: Segment[]) => Path;
}

export type StepChecker<K extends StepKind> = (body: StepBody<K>, site: StepSite, state: ScenarioState) => Step | undefined;

export type StepCheckers = { [K in StepKind]: StepChecker<K> };
