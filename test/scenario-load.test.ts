import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

import { longChatYaml } from '../bench/long-chat.ts';
import { InputError } from '../harness/errors.ts';
import { MAX_SCENARIO_MESSAGES } from '../harness/limits.ts';
import { printable } from '../harness/printable.ts';
import { loadScenarioFile, loadScenarios, MAX_PROBLEMS_PER_FILE, parseScenario, validateScenario } from '../harness/scenario/load.ts';
import type { LoadOptions } from '../harness/scenario/load.ts';
import type { Scenario } from '../harness/scenario/types.ts';
import { expectInputError } from './helpers/errors.ts';

const FIXTURES = 'test/fixtures/scenarios';
const BAD = 'test/bad-input/scenarios';

/** The adversaries of SPEC §4, with the parameter shapes they take. */
const options: LoadOptions = {
  adversaryParams: {
    network: {},
    server: {},
    'malicious-server': { schema: z.strictObject({ at: z.string().optional() }) },
    'stolen-device': { schema: z.strictObject({ device: z.string(), at: z.string() }) },
    'escrow-agent': {},
    'escrow-thief': { schema: z.strictObject({ at: z.string() }) },
    'removed-member': { schema: z.strictObject({ group: z.string(), user: z.string() }) },
    quantum: {},
    clone: { schema: z.strictObject({ device: z.string(), at: z.string() }) },
    'list-controller': { schema: z.strictObject({ targets: z.array(z.string()).min(1), at: z.string().optional() }) },
  },
};


const allStepsExpected: Scenario = {
  name: 'all-steps',
  description: "Bob's phone is imaged at a border; the network was recorded all along.",
  source: `${FIXTURES}/all-steps.yaml`,
  users: { alice: ['phone'], bob: ['phone', 'laptop'], carol: ['phone'] },
  groups: { family: { admin: 'alice', members: ['alice', 'bob'] } },
  steps: [
    { kind: 'send', from: 'alice.phone', to: { kind: 'user', user: 'bob' }, messages: [{ id: 'hello', text: 'meet at 6' }] },
    {
      kind: 'send',
      from: 'bob.laptop',
      to: { kind: 'user', user: 'alice' },
      messages: [
        { id: 'm2.1', text: null },
        { id: 'm2.2', text: null },
        { id: 'm2.3', text: null },
      ],
    },
    { kind: 'send', from: 'alice.phone', to: { kind: 'group', group: 'family' }, messages: [{ id: 'm3', text: null }] },
    { kind: 'delete', device: 'bob.phone', ids: ['hello', 'm2.1'] },
    { kind: 'delete', device: 'alice.phone', ids: 'all' },
    { kind: 'mark', name: 'seizure' },
    { kind: 'offline', device: 'bob.laptop' },
    { kind: 'online', device: 'bob.laptop' },
    { kind: 'verify', users: ['alice', 'bob'] },
    { kind: 'link-device', user: 'carol', device: 'laptop' },
    {
      kind: 'send',
      from: 'carol.laptop',
      to: { kind: 'user', user: 'alice' },
      messages: [{ id: 'from-laptop', text: null }],
    },
    { kind: 'unlink-device', device: 'carol.laptop' },
    { kind: 'add-member', group: 'family', user: 'carol', by: 'alice' },
    { kind: 'send', from: 'carol.phone', to: { kind: 'group', group: 'family' }, messages: [{ id: 'hi-all', text: '' }] },
    { kind: 'remove-member', group: 'family', user: 'bob', by: 'alice' },
    { kind: 'wait', ms: 3 * 24 * 60 * 60 * 1000 },
  ],
  marks: { seizure: 5 },
  adversaries: {
    'stolen-device': { device: 'bob.phone', at: 'seizure' },
    'escrow-thief': { at: 'seizure' },
    'removed-member': { group: 'family', user: 'bob' },
    'malicious-server': {},
  },
  stepLines: [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26],
};

test('a scenario with every step kind parses into the normalized form', (t) => {
  t.deepEqual(loadScenarioFile(`${FIXTURES}/all-steps.yaml`, options), allStepsExpected);
});

test('the same scenario written as JSON gives the same result', (t) => {
  const data = parseYaml(readFileSync(`${FIXTURES}/all-steps.yaml`, 'utf8'));
  const json = JSON.stringify(data, null, '\t');
  const scenario = parseScenario(json, 'all-steps.json', options);
  // Each step of the steps list opens a line of its own: `\t\t{`.
  const stepLines = json.split('\n').flatMap((line, index) => (line === '\t\t{' ? [index + 1] : []));
  t.is(stepLines.length, allStepsExpected.steps.length);
  t.deepEqual(scenario, { ...allStepsExpected, source: 'all-steps.json', stepLines });
});

test('each step keeps the line it is written on, in block and flow YAML, JSON and YAML with anchors', (t) => {
  const flow = parseScenario('name: a\nusers: {a: [p], b: [p]}\nsteps: [ {send: {from: a, to: b}},\n  {send: {from: b, to: a}},\n\n  {mark: x}]\n', 'flow.yaml', options);
  t.deepEqual(flow.stepLines, [3, 4, 6]);
  const json = parseScenario('{"name": "a", "users": {"a": ["p"], "b": ["p"]}, "steps": [{"send": {"from": "a", "to": "b"}},\n\n{"send": {"from": "b", "to": "a"}}]}', 'one.json', options);
  t.deepEqual(json.stepLines, [1, 3]);
  // An anchor sends the file the careful way (the `yaml` library's document): the same lines.
  const text = readFileSync(`${FIXTURES}/all-steps.yaml`, 'utf8').replace('- mark: seizure', '- mark: &m seizure');
  t.deepEqual(parseScenario(text, 'anchored.yaml', options).stepLines, allStepsExpected.stepLines);
  const block = parseScenario('name: a\nusers:\n  a: [p]\n  b: [p]\nsteps:\n  # hello\n  -\n    send: { from: a, to: b }\n  - mark: x\n', 'block.yaml', options);
  t.deepEqual(block.stepLines, [8, 9]);
});

test('a scenario given as data, not read from a file, has no step lines', (t) => {
  const data = parseYaml(readFileSync(`${FIXTURES}/all-steps.yaml`, 'utf8'));
  const { stepLines: _, ...expected } = allStepsExpected;
  t.deepEqual(validateScenario(data, expected.source, options), expected);
});

test('ids: defaults, explicit ids and counts', (t) => {
  const scenario = parseScenario(
    `
name: ids
users: { alice: [phone, laptop], bob: [phone] }
steps:
  - send: { from: alice, to: bob }
  - send: { from: bob, to: alice, id: x, count: 2, text: hi }
  - mark: middle
  - send: { from: alice.laptop, to: bob, count: 3 }
  - delete: { device: bob.phone, ids: [m1, x.2, m4.3] }
`,
    'ids.yaml',
    options,
  );
  t.deepEqual(
    scenario.steps.flatMap((step) => (step.kind === 'send' ? step.messages : [])),
    [
      { id: 'm1', text: null },
      { id: 'x.1', text: 'hi' },
      { id: 'x.2', text: 'hi' },
      { id: 'm4.1', text: null },
      { id: 'm4.2', text: null },
      { id: 'm4.3', text: null },
    ],
  );
  t.deepEqual(scenario.steps[3], {
    kind: 'send',
    from: 'alice.laptop',
    to: { kind: 'user', user: 'bob' },
    messages: [
      { id: 'm4.1', text: null },
      { id: 'm4.2', text: null },
      { id: 'm4.3', text: null },
    ],
  });
  t.deepEqual(scenario.marks, { middle: 2 });
  t.is(scenario.description, '');
  t.deepEqual(scenario.groups, {});
  t.deepEqual(scenario.adversaries, {});
});

test('an adversary device given as a bare user means its primary device', (t) => {
  const scenario = parseScenario(
    `
name: bare
users: { alice: [phone], bob: [phone, laptop] }
steps:
  - mark: now
  - link-device: { user: alice, device: tablet }
adversaries:
  stolen-device: { device: bob, at: now }
  malicious-server: { at: now }
`,
    'bare.yaml',
    options,
  );
  t.deepEqual(scenario.adversaries, {
    'stolen-device': { device: 'bob.phone', at: 'now' },
    'malicious-server': { at: 'now' },
  });
  // a device linked during the scenario may be seized once it is linked (seizing it at a mark
  // before its link is bad input: adversary-device-not-yet-linked.yaml)
  const later = parseScenario(
    `
name: later
users: { alice: [phone], bob: [phone] }
steps:
  - link-device: { user: alice, device: tablet }
  - mark: now
adversaries:
  stolen-device: { device: alice.tablet, at: now }
`,
    'later.yaml',
    options,
  );
  t.deepEqual(later.adversaries['stolen-device'], { device: 'alice.tablet', at: 'now' });
});

const expected = JSON.parse(readFileSync(`${BAD}/expected.json`, 'utf8')) as Record<
  string,
  { path: string; message: string; line?: string }
>;

test('every bad-input fixture has an expectation and vice versa', (t) => {
  const files = readdirSync(BAD).filter((name) => name !== 'expected.json').sort();
  t.deepEqual(files, Object.keys(expected).sort());
});

for (const [name, want] of Object.entries(expected)) {
  test(`bad input: ${name}`, (t) => {
    const file = `${BAD}/${name}`;
    const error = expectInputError(t, () => loadScenarioFile(file, options));
    // As printed: control characters from the file escaped.
    const problem = error.problems.find((p) => p.path === want.path && printable(p.message).includes(want.message));
    t.truthy(problem, `no problem at '${want.path}' containing "${want.message}" in:\n${error.message}`);
    t.is(problem?.file, file);
    const prefix = want.path === '' ? `${file}: ` : `${file}: ${want.path}: `;
    const line = error.message.split('\n').find((l) => l.startsWith(prefix) && l.includes(want.message));
    t.truthy(line, `no line starting with '${prefix}' and containing "${want.message}" in:\n${error.message}`);
    if (want.line) t.true(problem?.message.includes(`line ${want.line}`), problem?.message);
    t.false(error.message.includes('    at '), 'no stack trace in the message');
  });
}

test('all problems of a file are reported, up to a cap', (t) => {
  const error = expectInputError(t, () =>
    parseScenario(
      `
name: many
users: { alice: [phone], bob: [phone] }
steps:
  - send: { from: dave, to: bob }
  - send: { from: alice, to: erin }
  - offline: bob.tablet
`,
      'many.yaml',
      options,
    ),
  );
  t.deepEqual(
    error.problems.map((p) => p.path),
    ['steps[0].send.from', 'steps[1].send.to', 'steps[2].offline'],
  );

  const steps = Array.from({ length: 50 }, (_, i) => `  - send: { from: nobody${i}, to: bob }`).join('\n');
  const capped = expectInputError(t, () =>
    parseScenario(`name: capped\nusers: { bob: [phone] }\nsteps:\n${steps}\n`, 'capped.yaml', options),
  );
  t.is(capped.problems.length, MAX_PROBLEMS_PER_FILE + 1);
  t.regex(capped.problems.at(-1)!.message, /30 more problem/);
});

test('shape problems are reported together too', (t) => {
  const error = expectInputError(t, () =>
    parseScenario(
      '{"name": "", "users": {"alice": []}, "steps": [{"send": {"to": "alice"}}], "extra": 1}',
      'shape.json',
      options,
    ),
  );
  const paths = error.problems.map((p) => p.path);
  for (const path of ['name', 'users.alice', 'steps[0].send.from', 'extra']) t.true(paths.includes(path), paths.join(', '));
});

test('an unreadable file, a folder given as a file, a wrong extension', (t) => {
  const missing = expectInputError(t, () => loadScenarioFile(`${BAD}/no-such-file.yaml`, options));
  t.regex(missing.message, /no-such-file\.yaml: cannot read: no such file/);
  const folder = expectInputError(t, () => loadScenarioFile(FIXTURES, options));
  t.regex(folder.message, /is a folder/);
  const dir = mkdtempSync(join(tmpdir(), 'keyhole-load-'));
  try {
    writeFileSync(join(dir, 'notes.txt'), 'name: x\n');
    const txt = expectInputError(t, () => loadScenarioFile(join(dir, 'notes.txt'), options));
    t.regex(txt.message, /notes\.txt: expected a scenario file ending in \.yaml, \.yml, \.json/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loadScenarios: files and folders, sorted, duplicates and empty folders', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'keyhole-load-'));
  const scenario = (name: string) => `name: ${name}\nusers: { alice: [phone], bob: [phone] }\nsteps:\n  - send: { from: alice, to: bob }\n`;
  try {
    mkdirSync(join(dir, 'many'));
    writeFileSync(join(dir, 'many', 'b.yml'), scenario('bee'));
    writeFileSync(join(dir, 'many', 'a.yaml'), scenario('ay'));
    writeFileSync(join(dir, 'many', 'c.json'), JSON.stringify(parseYaml(scenario('sea'))));
    writeFileSync(join(dir, 'many', 'readme.md'), '# not a scenario');
    mkdirSync(join(dir, 'many', 'nested'));
    writeFileSync(join(dir, 'many', 'nested', 'd.yaml'), scenario('dee'));
    writeFileSync(join(dir, 'single.yaml'), scenario('single'));

    const loaded = loadScenarios([join(dir, 'many'), join(dir, 'single.yaml')], options);
    t.deepEqual(
      loaded.map((s) => [s.name, s.source]),
      [
        ['ay', join(dir, 'many', 'a.yaml')],
        ['bee', join(dir, 'many', 'b.yml')],
        ['sea', join(dir, 'many', 'c.json')],
        ['single', join(dir, 'single.yaml')],
      ],
    );
    // the same file reached twice is loaded once
    t.is(loadScenarios([join(dir, 'many'), join(dir, 'many', 'a.yaml')], options).length, 3);

    writeFileSync(join(dir, 'again.yaml'), scenario('ay'));
    const duplicate = expectInputError(t, () => loadScenarios([join(dir, 'many'), join(dir, 'again.yaml')], options));
    t.is(duplicate.problems.length, 1);
    t.is(duplicate.problems[0]!.file, join(dir, 'again.yaml'));
    t.is(duplicate.problems[0]!.path, 'name');
    t.true(duplicate.message.includes(join(dir, 'many', 'a.yaml')), duplicate.message);
    t.regex(duplicate.message, /duplicate scenario name 'ay'/);

    mkdirSync(join(dir, 'empty'));
    writeFileSync(join(dir, 'empty', 'notes.txt'), 'nothing');
    const empty = expectInputError(t, () => loadScenarios([join(dir, 'empty')], options));
    t.regex(empty.message, /empty: folder has no scenario files/);

    // problems of several files come together
    const both = expectInputError(t, () =>
      loadScenarios([join(dir, 'empty'), `${BAD}/unknown-user.yaml`, join(dir, 'missing.yaml')], options),
    );
    t.deepEqual(
      both.problems.map((p) => p.file),
      [join(dir, 'empty'), `${BAD}/unknown-user.yaml`, join(dir, 'missing.yaml')],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the bad-input folder as a whole: an InputError, nothing else', (t) => {
  const error = expectInputError(t, () => loadScenarios([BAD], options));
  t.true(error.problems.length >= Object.keys(expected).length);
});

test('arbitrary text never escapes as anything but an InputError', (t) => {
  const check = (text: string, file: string) => {
    try {
      parseScenario(text, file, options);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      for (const problem of error.problems) if (problem.file !== file) throw new Error(`wrong file ${problem.file}`);
    }
  };
  const fragments = fc.constantFrom(
    'name: x\n',
    'users: { alice: [phone], bob: [phone, laptop] }\n',
    'groups: { g: { admin: alice, members: [alice, bob] } }\n',
    'steps:\n',
    '  - send: { from: alice, to: bob }\n',
    '  - send: { from: bob.laptop, to: g, count: 2 }\n',
    '  - delete: { device: bob.phone, ids: [m1] }\n',
    '  - offline: bob.laptop\n',
    '  - unlink-device: { device: bob.laptop }\n',
    '  - mark: m\n',
    'adversaries: { stolen-device: { device: bob, at: m } }\n',
    '  - [\n',
    '{"a": ',
    '*x\n',
    '&x\n',
    '\t',
    '\u0000',
  );
  fc.assert(
    fc.property(fc.array(fc.oneof(fragments, fc.string()), { maxLength: 12 }), fc.boolean(), (parts, json) => {
      check(parts.join(''), json ? 'fuzz.json' : 'fuzz.yaml');
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('the 100,000-message chat of npm run scale is within the message budget', (t) => {
  const scenario = parseScenario(longChatYaml(100_000), 'chat.yaml', options);
  t.is(scenario.steps.filter((step) => step.kind === 'send').length, 100_000);
});

test('the message budget takes exactly 1,000,000 messages; one more is refused at the step that sends it', (t) => {
  const sends = (counts: number[]) =>
    `name: budget\nusers: { alice: [phone], bob: [phone] }\nsteps:\n${counts.map((count) => `  - send: { from: alice, to: bob, count: ${count} }\n`).join('')}`;
  const full = parseScenario(sends(Array<number>(10).fill(100_000)), 'full.yaml', options);
  t.is(full.steps.reduce((sum, step) => sum + (step.kind === 'send' ? step.messages.length : 0), 0), MAX_SCENARIO_MESSAGES);
  const error = expectInputError(t, () => parseScenario(`${sends(Array<number>(10).fill(100_000))}  - send: { from: bob, to: alice }\n`, 'over.yaml', options));
  t.deepEqual(error.problems.map((p) => [p.path, p.message]), [
    ['steps[10].send', 'the scenario sends 1000001 messages by this step (each count included); at most 1000000 messages in a scenario (line 14:11)'],
  ]);
});

test('a scenario of 1,001 devices is refused at the user that brings it over the device budget', (t) => {
  const users = Array.from({ length: 11 }, (_, u) => `  u${u}: [${Array.from({ length: 91 }, (_, d) => `d${d}`).join(', ')}]`).join('\n');
  const error = expectInputError(t, () => parseScenario(`name: crowd\nusers:\n${users}\nsteps:\n  - mark: x\n`, 'crowd.yaml', options));
  t.deepEqual(error.problems.map((p) => [p.path, p.message]), [
    ['users.u10', 'the scenario has 1001 devices by here (its users\' and the ones it links); at most 1000 devices in a scenario (line 13:8)'],
  ]);
});

test('a group send to 1,000 devices 10,100 times (ten million copies) is refused at that step', (t) => {
  const names = Array.from({ length: 10 }, (_, u) => `u${u}`);
  const users = names.map((user) => `  ${user}: [${Array.from({ length: 100 }, (_, d) => `d${d}`).join(', ')}]`).join('\n');
  const text = `name: fan-out\nusers:\n${users}\ngroups:\n  all: { admin: u0, members: [${names.join(', ')}] }\nsteps:\n  - send: { from: u0, to: all, count: 10000 }\n  - send: { from: u1, to: all, count: 100 }\n`;
  const error = expectInputError(t, () => parseScenario(text, 'fan-out.yaml', options));
  t.deepEqual(error.problems.map((p) => [p.path, p.message]), [
    ['steps[1].send', 'the scenario delivers 10089900 copies of messages by this step (each message to each device it goes to); at most 10000000 in a scenario (line 17:11)'],
  ]);
});
