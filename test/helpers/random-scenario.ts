/**
 * Random valid scenarios for property tests: a fast-check arbitrary of plans, turned into
 * scenario data by simulating who exists, who is online and what was sent, then checked by
 * the real loader (so a generator bug shows up as a failing test, not a skipped case).
 */
import fc from 'fast-check';
import { loadOptions } from '../../harness/cli/catalogue.ts';
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

export const randomScenario: fc.Arbitrary<Scenario> = plan.map((p) => {
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
  return validateScenario(data, 'random-scenario', loadOptions);
});
