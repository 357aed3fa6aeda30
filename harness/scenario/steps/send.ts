/**
 * `send` steps: a known, online device sends to a user or a group it is in. Every id it sends
 * is new; a near-duplicate (`like`, `edit`) takes the text of an earlier message; the copies
 * delivered so far stay within the message budget.
 */
import { formatPath } from '../../input/index.ts';
import { echo } from '../../printable.ts';
import { deliveriesProblem } from '../budget.ts';
import { idsOf, list } from '../state.ts';
import type { ScenarioState } from '../state.ts';
import { deviceAddress } from '../types.ts';
import type { Addressee, DeviceAddress } from '../types.ts';
import type { StepBody, StepChecker, StepSite } from './context.ts';

export const sendStep: StepChecker<'send'> = (send, site, state) => {
  const { index, at } = site;
  let from: DeviceAddress | undefined;
  let sender: string | undefined;
  if (send.from.includes('.')) {
    from = state.currentDevice(send.from, at('send', 'from'), index);
    if (from) sender = send.from.slice(0, send.from.indexOf('.'));
  } else if (state.knownUser(send.from, at('send', 'from'))) {
    sender = send.from;
    from = deviceAddress(sender, state.devices.get(sender)![0]!);
  }
  if (from) {
    const since = state.offlineSince.get(from);
    if (since !== undefined) {
      state.add(at('send', 'from'), `device '${from}' is offline at this step (since steps[${since}]); an offline device cannot send`);
    }
  }

  let to: Addressee | undefined;
  if (state.devices.has(send.to)) {
    to = { kind: 'user', user: send.to };
    if (send.to === sender) {
      state.add(at('send', 'to'), `'${sender}' cannot send to itself (its other devices get a copy of every message anyway)`);
    }
  } else if (state.groups.has(send.to)) {
    to = { kind: 'group', group: send.to };
    const members = state.groups.get(send.to)!.members;
    if (sender !== undefined && !members.includes(sender)) {
      state.add(
        at('send', 'to'),
        `'${sender}' is not a member of group '${send.to}' at this step (members: ${list(members)})`,
      );
    }
  } else {
    state.add(
      at('send', 'to'),
      `unknown user or group '${send.to}' (users: ${state.users()}; groups: ${state.groupNames()})`,
    );
  }

  const ids = idsOf(send, index);
  const idPath = send.id === undefined ? at('send') : at('send', 'id');
  for (const id of ids) {
    const previous = state.sent.get(id);
    if (previous) {
      const which = send.id === undefined ? ` (the default id of this step)` : '';
      state.add(idPath, `duplicate id '${id}'${which}: already used at ${formatPath(previous.path)}`);
      break; // one report per step, not one per counted message
    }
  }
  for (const id of ids) if (!state.sent.has(id)) state.sent.set(id, { step: index, path: idPath });

  const text = textOf(send, site, state);
  for (const id of ids) if (!state.texts.has(id)) state.texts.set(id, text);

  if (!from || !to) return undefined;
  const copies = ids.length * copiesOf(from, to, state);
  state.deliveries += copies;
  const overBudget = deliveriesProblem(state.deliveries, copies);
  if (overBudget) state.add(at('send'), overBudget);
  const like = send.like;
  return { kind: 'send', from, to, messages: ids.map((id) => ({ id, text, ...(like !== undefined && { like }) })) };
};

/** A send's text: as written, or a near-duplicate's (`like` plus `edit`), or null for a generated one. */
function textOf(send: StepBody<'send'>, { at }: StepSite, state: ScenarioState): string | null {
  if (send.like === undefined) {
    if (send.edit !== undefined) state.add(at('send', 'edit'), 'an edit needs like: <the id of an earlier message>');
    return send.text ?? null;
  }
  if (send.text !== undefined) {
    state.add(at('send', 'like'), 'expected either text or like (a near-duplicate of an earlier message), not both');
    return send.text;
  }
  if (!state.texts.has(send.like)) {
    state.add(at('send', 'like'), `unknown id ${echo(send.like)}: no earlier step sends it (ids sent so far: ${list(state.texts.keys())})`);
    return null;
  }
  const base = state.texts.get(send.like)!;
  if (base === null) {
    state.add(at('send', 'like'), `message ${echo(send.like)} has a generated text; a near-duplicate needs an earlier message with a text`);
    return null;
  }
  const edit = send.edit ?? {};
  let text = base;
  if (edit.replace) {
    const [phrase, replacement] = edit.replace;
    if (!text.includes(phrase)) {
      state.add(at('send', 'edit', 'replace'), `${echo(phrase)} does not occur in the text of ${echo(send.like)}`);
    } else {
      text = text.replace(phrase, () => replacement);
    }
  }
  if (edit.prepend !== undefined) text = `${edit.prepend} ${text}`;
  if (edit.append !== undefined) text = `${text} ${edit.append}`;
  return text;
}

/** The devices one message from `from` to `to` goes to now: the recipients' and the sender's other devices. */
function copiesOf(from: DeviceAddress, to: Addressee, state: ScenarioState): number {
  const users = new Set(to.kind === 'user' ? [to.user] : state.groups.get(to.group)!.members);
  users.add(from.slice(0, from.indexOf('.')));
  let devices = 0;
  for (const user of users) devices += state.devices.get(user)?.length ?? 0;
  return devices - 1; // not the sending device
}
