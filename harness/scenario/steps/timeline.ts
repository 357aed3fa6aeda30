/** `mark` and `wait` steps: points and gaps in the run's time. */
import type { StepChecker } from './context.ts';

/** A mark names one step: its name is unique in the scenario. */
export const markStep: StepChecker<'mark'> = (name, { index, at }, state) => {
  const first = state.marks.get(name);
  if (first !== undefined) state.add(at('mark'), `duplicate mark '${name}' (already at steps[${first}])`);
  else state.marks.set(name, index);
  return { kind: 'mark', name };
};

/** The schema has already turned the duration into milliseconds. */
export const waitStep: StepChecker<'wait'> = (ms) => ({ kind: 'wait', ms });
