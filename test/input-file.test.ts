/**
 * Input parsing: the quick reading (js-yaml) and the careful one (the `yaml` library) give the
 * same data, and problems are located either way.
 */
import test from 'ava';
import fc from 'fast-check';
import { parse as parseYaml, stringify } from 'yaml';

import { InputError } from '../harness/errors.ts';
import { parseInput } from '../harness/input/index.ts';

const KIND = { what: 'scenario', shape: 'a mapping' };

/** Plain data as scenario and policy files hold it. */
const plainData = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.integer(),
    fc.double({ noNaN: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.boolean()), { maxLength: 5 }),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.oneof(fc.string({ maxLength: 10 }), fc.integer()), { maxKeys: 4 }),
  ),
  { minKeys: 1, maxKeys: 8 },
);

test('any plain data written as YAML or JSON reads back as the yaml library reads it', (t) => {
  fc.assert(
    fc.property(plainData, fc.constantFrom('flow', 'block'), (data, style) => {
      const yamlText = stringify(data, style === 'flow' ? { collectionStyle: 'flow' } : undefined);
      t.deepEqual(parseInput(yamlText, 'data.yaml', KIND).data, parseYaml(yamlText));
      const jsonText = JSON.stringify(data, null, 2);
      t.deepEqual(parseInput(jsonText, 'data.json', KIND).data, JSON.parse(jsonText));
    }),
    { numRuns: Number(process.env['KEYHOLE_PROPERTY_RUNS_INPUT'] ?? 300) },
  );
});

test('YAML 1.2 core types, not YAML 1.1 ones: dates, yes/no, underscores and merge keys stay as written', (t) => {
  const text = 'when: 2026-01-01\nanswer: yes\noctal: 0o17\nnothing: ~\n"<<": plain\nid: 2_1\nbinary: 0b101\n';
  t.deepEqual(parseInput(text, 'types.yaml', KIND).data, { when: '2026-01-01', answer: 'yes', octal: 15, nothing: null, '<<': 'plain', id: '2_1', binary: '0b101' });
  t.deepEqual(parseInput(text, 'types.yaml', KIND).data, parseYaml(text));
});

test('every plain scalar form resolves as the yaml library resolves it', (t) => {
  const forms = [
    '~', 'null', 'Null', 'NULL', 'nULL', '', 'true', 'True', 'TRUE', 'tRUE', 'false', 'yes', 'on', 'y',
    '0', '-0', '+0', '007', '+12', '-12', '1_000', '0o17', '0O17', '0o8', '0x1F', '0X1f', '-0x1F', '0b101',
    '1.5', '-1.5', '.5', '+.5', '-.5', '1.', '1e3', '1E-3', '1.5e+3', '.inf', '-.Inf', '+.INF', '.nan', '.NaN', 'NaN', 'inf',
    '12:30', '2026-01-01', '1,000', '0.1.2', 'x1', '1x', '99999999999999999999',
  ];
  for (const form of forms) {
    const text = `value: ${form}\n`;
    t.deepEqual(parseInput(text, 'form.yaml', KIND).data, parseYaml(text), form);
  }
});

test('strings in every YAML style read as the yaml library reads them', (t) => {
  const texts = [
    'a: "tab\\t nl\\n \\x41 \\u263A \\U0001F600 \\N \\_ \\L \\P \\\\ \\" \\/ \\e \\0"\n',
    "a: 'it''s # not a comment'\n",
    'a: |\n  line one\n   indented\n\n  after a blank\n\n\nb: 1\n',
    'a: |-\n  keep no newline\nb: >+\n  folded\n  kept\n\n\nc: >2\n    more indented\n  back\n',
    'a: plain text\n  continued on\n  the next lines\nb: x # comment\n',
    'a: [one, "two, three", {k: v}]\nb: {x: 1, y: [2, 3]}\n',
    '? complex key\n: value\n"quoted key": 1\n\'single\': 2\n',
    'text: "Tom & Jerry"\n',
    'a: !!str 12\nb: !!int "7"\n',
  ];
  for (const text of texts) t.deepEqual(parseInput(text, 'strings.yaml', KIND).data, parseYaml(text), text);
});

test('a problem found after a quick reading is still located', (t) => {
  const { data, locate } = parseInput('name: x\nsteps:\n  - send: { from: alice, to: bob }\n  - bogus: 1\n', 'located.yaml', KIND);
  t.deepEqual((data as { steps: unknown[] }).steps[1], { bogus: 1 });
  t.is(locate(['steps', 1, 'bogus'], true), '4:5');
  t.is(locate(['steps', 0, 'send', 'to'], false), '3:30');
});

test('anchors and aliases are read, under the alias limit', (t) => {
  const { data } = parseInput('base: &b { from: alice, to: bob }\ncopy: *b\n', 'anchors.yaml', KIND);
  t.deepEqual(data, { base: { from: 'alice', to: 'bob' }, copy: { from: 'alice', to: 'bob' } });
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`)].join('\n');
  const error = t.throws(() => parseInput(bomb, 'bomb.yaml', KIND));
  t.true(error instanceof InputError);
});

test('syntax errors and duplicate keys get the same located message as before', (t) => {
  for (const [text, file, pattern] of [
    ['a: 1\na: 2\n', 'dup.yaml', /duplicate|unique/i],
    ['{"a": 1, "a": 2}', 'dup.json', /JSON: duplicate key \(line 1:/],
    ['a: [1, 2\n', 'open.yaml', /YAML syntax error: .*\(line \d+:\d+\)/],
    ['a: 1\n---\nb: 2\n', 'two.yaml', /expected one YAML document, found several/],
  ] as const) {
    const error = t.throws(() => parseInput(text, file, KIND));
    t.true(error instanceof InputError, file);
    t.regex(error!.message, pattern, file);
  }
});
