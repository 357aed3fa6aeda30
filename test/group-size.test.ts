/**
 * The group-size curve: real groups of real designs deliver every timed message, the figures
 * are per operation and per member, crossings are found where the order of two curves flips,
 * and the chart is well-formed SVG with a line per design. No assertion depends on speed.
 */
import test from 'ava';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { crossovers, groupSizeFinding, groupSizeSvg, type GroupSizePoint } from '../bench/group-size-chart.ts';
import { groupSizeCurve } from '../bench/group-size.ts';
import { benchDocument, chartFileName, renderMarkdown } from '../bench/report.ts';
import { benchDocumentSchema } from '../bench/schema.ts';
import { cryptoBackends } from '../harness/crypto/index.ts';

const point = (target: string, members: number, ms: number, uploadedBytes = 100): GroupSizePoint => ({
  target,
  crypto: 'own',
  members,
  operation: 'add',
  ms,
  uploadedBytes,
  msPerMember: ms / members,
  bytesPerMember: uploadedBytes / members,
});

test('signal and mls groups of 2 and 3: every operation measured, uploaded bytes grow with the group', async (t) => {
  const curve = await groupSizeCurve({ crypto: cryptoBackends.node, quick: true, sizes: [2, 3], targets: ['signal', 'mls'] });
  t.deepEqual(curve.skipped, []);
  t.deepEqual(
    curve.points.map((p) => `${p.target}/${p.crypto}/${p.members}/${p.operation}`),
    ['signal/node/2/message', 'signal/node/2/add', 'signal/node/2/remove', 'signal/node/3/message', 'signal/node/3/add', 'signal/node/3/remove', 'mls/own/2/message', 'mls/own/2/add', 'mls/own/2/remove', 'mls/own/3/message', 'mls/own/3/add', 'mls/own/3/remove'],
  );
  for (const p of curve.points) {
    t.true(p.uploadedBytes > 1024, `${p.target} ${p.members} ${p.operation} uploads at least the body`);
    t.is(p.bytesPerMember, p.uploadedBytes / p.members);
    t.is(p.msPerMember, p.ms / p.members);
  }
  // A message to 3 members is uploaded for 2 recipients, to 2 members for 1 (each design sends a copy per member device).
  for (const target of ['signal', 'mls']) {
    const message = (members: number) => curve.points.find((p) => p.target === target && p.members === members && p.operation === 'message')!.uploadedBytes;
    t.true(message(3) > message(2), target);
  }
  const document = benchDocument({ results: [], failed: [], findings: [], notes: {}, groupSizes: curve });
  t.true(benchDocumentSchema.safeParse(document).success);
  const markdown = renderMarkdown({ results: [], failed: [], findings: [], notes: {}, groupSizes: curve }, chartFileName('bench.md'));
  t.true(markdown.includes('![the group-size curve'));
  t.true(markdown.includes('(bench-group-size.svg)'));
});

test('a crossing is named between the two sizes where the cheaper design changes', (t) => {
  const points = [point('a', 2, 1), point('b', 2, 10), point('a', 8, 10), point('b', 8, 10.5), point('a', 32, 100), point('b', 32, 20)];
  t.deepEqual(crossovers(points), ['add a member (and the next message), time: b becomes cheaper than a between 8 and 32 members (about 8)']);
  t.deepEqual(crossovers([point('a', 2, 1), point('b', 2, 2), point('a', 8, 3), point('b', 8, 4)]), []);
});

test('the chart is well-formed SVG with a line per design in each of its six panels', (t) => {
  const points = ['message', 'add', 'remove'].flatMap((operation) =>
    [point('signal', 2, 1), point('signal', 1024, 300), point('mls', 2, 3), point('mls', 1024, 90)].map((p) => ({ ...p, operation: operation as GroupSizePoint['operation'] })),
  );
  const svg = groupSizeSvg({ sizes: [2, 1024], points, skipped: [], crossovers: [] }, 'caption <&>');
  t.is(XMLValidator.validate(svg), true);
  const parsed = new XMLParser({ ignoreAttributes: false }).parse(svg) as { svg: { polyline: unknown[]; text: unknown[] } };
  t.is(parsed.svg.polyline.length, 12);
  t.true(svg.includes('caption &lt;&amp;&gt;'));
});

test('the curve finding counts the designs measured up to 1024 members, and judges only full runs', (t) => {
  const points = [point('signal', 1024, 1), point('libsignal', 1024, 1), point('mls', 128, 1)];
  const full = groupSizeFinding({ sizes: [2, 1024], points, skipped: [], crossovers: [] }, false);
  t.like(full, { value: 2, met: false, detail: 'signal up to 1024, libsignal up to 1024, mls up to 128' });
  t.is(groupSizeFinding({ sizes: [2, 8, 32], points: [point('mls', 32, 1)], skipped: [], crossovers: [] }, true).met, null);
});
