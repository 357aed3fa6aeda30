/**
 * Input parsing: the quick reading (js-yaml) and the careful one (the `yaml` library) give the
 * same data, and problems are located either way.
 */
import test from 'ava';
import fc from 'fast-check';
import { parse as parseYaml, stringify } from 'yaml';

import { InputError } from '../harness/errors.ts';
import { parseInput } from '../harness/input-file.ts';

const KIND = { what: 'scenario', shape: 'a mapping' };

/** Plain data as scenario and policy files hold it. */
const plainData = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
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
    { numRuns: 300 },
  );
});

test('YAML 1.2 core types, not YAML 1.1 ones: dates, yes/no and merge keys stay as written', (t) => {
  const text = 'when: 2026-01-01\nanswer: yes\noctal: 0o17\nnothing: ~\n"<<": plain\n';
  t.deepEqual(parseInput(text, 'types.yaml', KIND).data, { when: '2026-01-01', answer: 'yes', octal: 15, nothing: null, '<<': 'plain' });
  t.deepEqual(parseInput(text, 'types.yaml', KIND).data, parseYaml(text));
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
