/** `add-member` and `remove-member` steps: the admin of a group changes who is in it. */
import { list } from '../state.ts';
import type { StepChecker } from './context.ts';

function memberChange(kind: 'add-member' | 'remove-member'): StepChecker<typeof kind> {
  const adding = kind === 'add-member';
  return ({ group, user, by }, { at }, state) => {
    const current = state.groups.get(group);
    if (!current) {
      state.add(at(kind, 'group'), `unknown group '${group}' (groups: ${state.groupNames()})`);
    }
    const userKnown = state.knownUser(user, at(kind, 'user'));
    const byKnown = state.knownUser(by, at(kind, 'by'));
    if (!current) return { kind, group, user, by };
    if (byKnown && by !== current.admin) {
      state.add(
        at(kind, 'by'),
        `only the admin of group '${group}' (${current.admin}) can ${adding ? 'add' : 'remove'} members`,
      );
    }
    if (userKnown) {
      const member = current.members.includes(user);
      if (adding && member) {
        state.add(at(kind, 'user'), `'${user}' is already a member of group '${group}'`);
      } else if (!adding && !member) {
        state.add(at(kind, 'user'), `'${user}' is not a member of group '${group}' (members: ${list(current.members)})`);
      } else if (!adding && user === current.admin) {
        state.add(at(kind, 'user'), `the admin '${user}' cannot remove itself from group '${group}'`);
      } else if (adding) {
        current.members.push(user);
      } else {
        current.members.splice(current.members.indexOf(user), 1);
      }
    }
    return { kind, group, user, by };
  };
}

/** A known user who is not a member joins, added by the group's admin. */
export const addMemberStep = memberChange('add-member');
/** A member other than the admin leaves, removed by the group's admin. */
export const removeMemberStep = memberChange('remove-member');
