/**
 * Random valid scenarios for property tests: a fast-check arbitrary of plans, turned into
 * scenario data by simulating who exists, who is online and what was sent, then checked by
 * the real loader (so a generator bug shows up as a failing test, not a skipped case).
 */
import fc from 'fast-check';
import { loadOptions } from '../../app/cli/catalogue.ts';
import { validateScenario } from '../../harness/scenario/load.ts';
import type { Scenario } from '../../harness/scenario/types.ts';

const USERS = ['alice', 'bob', 'carol'];
const DEVICES = ['phone', 'laptop'];
const KINDS = ['send', 'send', 'send', 'send', 'delete', 'offline', 'online', 'mark'] as const;

const plan = fc.record({
  users: fc.integer({ min: 2, max: 3 }),
  devices: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 3, maxLength: 3 }),
  group: fc.boolean(),
  ops: fc.array(
    fc.record({ kind: fc.constantFrom(...KINDS), a: fc.nat(), b: fc.nat(), count: fc.integer({ min: 1, max: 3 }) }),
    { minLength: 3, maxLength: 14 },
  ),
});

type Plan = typeof plan extends fc.Arbitrary<infer P> ? P : never;

export const randomScenario: fc.Arbitrary<Scenario> = plan.map((p) => validateScenario(scenarioData(p), 'random-scenario', loadOptions));

/**
 * Random scenarios that give every built-in adversary its parameters: a device seized at a
 * mark, the escrow key stolen and the provider turning hostile at that mark, and (in the
 * group, which every such scenario has) its last member removed at the end, after which the
 * admin writes once more (that message's content is what the match list's controller lists).
 */
export const randomAttackScenario: fc.Arbitrary<Scenario> = fc
  .tuple(plan, fc.record({ mark: fc.nat(), device: fc.nat(), hostile: fc.boolean() }))
  .map(([p, extra]) => {
    const data = scenarioData({ ...p, group: true });
    const steps = data.steps;
    let marks = steps.filter((s) => isStep(s, 'mark')).map((s) => (s as { mark: string }).mark);
    if (marks.length === 0) {
      steps.splice(Math.floor(steps.length / 2), 0, { mark: 'strike' });
      marks = ['strike'];
    }
    const at = marks[extra.mark % marks.length]!;
    const devices = Object.entries(data.users).flatMap(([user, names]) => names.map((d) => `${user}.${d}`));
    const users = Object.keys(data.users);
    const removed = users[users.length - 1]!;
    steps.push({ 'remove-member': { group: 'team', user: removed, by: users[0] } });
    steps.push({ send: { from: users[0], to: 'team', id: 'after-removal' } });
    const adversaries = {
      'stolen-device': { device: devices[extra.device % devices.length], at },
      clone: { device: devices[extra.device % devices.length], at },
      'escrow-thief': { at },
      'removed-member': { group: 'team', user: removed },
      'list-controller': { targets: ['after-removal'], at },
      ...(extra.hostile && { 'malicious-server': { at } }),
    };
    return validateScenario({ ...data, name: 'random-attack', adversaries }, 'random-attack-scenario', loadOptions);
  });

function isStep(step: unknown, kind: string): boolean {
  return typeof step === 'object' && step !== null && kind in step;
}

function scenarioData(p: Plan) {
  const users = USERS.slice(0, p.users);
  const devices = users.flatMap((user, i) => DEVICES.slice(0, p.devices[i]!).map((d) => `${user}.${d}`));
  const offline = new Set<string>();
  const sent: string[] = [];
  const steps: unknown[] = [];
  let marks = 0;
  for (const op of p.ops) {
    const device = devices[op.a % devices.length]!;
    switch (op.kind) {
      case 'send': {
        const online = devices.filter((d) => !offline.has(d));
        if (online.length === 0) break;
        const from = online[op.a % online.length]!;
        const sender = from.split('.')[0]!;
        const others = users.filter((u) => u !== sender);
        const toGroup = p.group && op.b % 3 === 0;
        const to = toGroup ? 'team' : others[op.b % others.length]!;
        const id = `s${steps.length + 1}`;
        steps.push({ send: { from, to, id, count: op.count } });
        for (let i = 1; i <= op.count; i++) sent.push(`${id}.${i}`);
        break;
      }
      case 'delete':
        if (sent.length > 0) steps.push({ delete: { device, ids: [sent[op.b % sent.length]!] } });
        break;
      case 'offline':
        if (!offline.has(device)) {
          offline.add(device);
          steps.push({ offline: device });
        }
        break;
      case 'online':
        if (offline.has(device)) {
          offline.delete(device);
          steps.push({ online: device });
        }
        break;
      case 'mark':
        steps.push({ mark: `t${++marks}` });
        break;
    }
  }
  // Everyone comes back, so every message can reach every device.
  for (const device of offline) steps.push({ online: device });
  if (!steps.some((s) => typeof s === 'object' && s !== null && 'send' in s)) {
    steps.unshift({ send: { from: users[0], to: users[1], id: 'first' } });
  }
  const data = {
    name: 'random',
    users: Object.fromEntries(users.map((u, i) => [u, DEVICES.slice(0, p.devices[i]!)])),
    ...(p.group && { groups: { team: { admin: users[0], members: users } } }),
    steps,
  };
  return data;
}
