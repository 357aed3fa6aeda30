/** One checker per step kind (SPEC §2), keyed by the step's key in the file. */
import type { RawStep } from '../schema.ts';
import type { ScenarioState } from '../state.ts';
import type { Step, StepKind } from '../types.ts';
import type { StepChecker, StepCheckers, StepSite } from './context.ts';
import { linkDeviceStep, offlineStep, onlineStep, unlinkDeviceStep } from './devices.ts';
import { addMemberStep, removeMemberStep } from './members.ts';
import { deleteStep, verifyStep } from './messages.ts';
import { sendStep } from './send.ts';
import { markStep, waitStep } from './timeline.ts';

export const stepCheckers: StepCheckers = {
  send: sendStep,
  delete: deleteStep,
  mark: markStep,
  wait: waitStep,
  offline: offlineStep,
  online: onlineStep,
  verify: verifyStep,
  'link-device': linkDeviceStep,
  'unlink-device': unlinkDeviceStep,
  'add-member': addMemberStep,
  'remove-member': removeMemberStep,
};

/** Checks one step (the schema gave it exactly one key, its kind) with its kind's checker. */
export function checkStep(step: RawStep, site: StepSite, state: ScenarioState): Step | undefined {
  const kind = Object.keys(step)[0] as StepKind;
  const check = stepCheckers[kind] as StepChecker<StepKind>;
  return check((step as Record<StepKind, never>)[kind], site, state);
}
