/** `delete` and `verify` steps: references to earlier messages and to users. */
import { list } from '../state.ts';
import type { StepChecker } from './context.ts';

/** The device exists now; every id was sent by an earlier step. */
export const deleteStep: StepChecker<'delete'> = ({ device, ids, all }, { index, at }, state) => {
  const address = state.currentDevice(device, at('delete', 'device'), index);
  ids?.forEach((id, i) => {
    if (state.sent.has(id)) return;
    const later = state.sentLater.get(id);
    state.add(
      at('delete', 'ids', i),
      later !== undefined
        ? `id '${id}' is not sent yet: it is sent at steps[${later}]; a delete must come after the send`
        : `unknown id '${id}': no earlier step sends it (ids sent so far: ${list(state.sent.keys())})`,
    );
  });
  return address && { kind: 'delete', device: address, ids: all ? 'all' : [...ids!] };
};

/** Every user verified is known. */
export const verifyStep: StepChecker<'verify'> = (users, { at }, state) => {
  users.forEach((user, i) => state.knownUser(user, at('verify', i)));
  return { kind: 'verify', users: [...users] };
};
