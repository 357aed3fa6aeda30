/**
 * Sealed sender against the provider's view (Signal, "Technology preview: Sealed sender for
 * Signal", 2018; Martiny et al., "Improving Signal's Sealed Sender", NDSS 2021): envelopes that
 * name only their recipient keep the sender from the stored data, but the delivery receipt
 * each message draws links it to its sender; envelopes that name the sender give it at once.
 */
import test from 'ava';
import { buildMatrix, cellCounts } from '../reports/matrix.ts';
import { message, property, run, scenarioFromYaml } from './helpers/audit.ts';

const pair = scenarioFromYaml(`
name: two-people
users: { alice: [phone], bob: [phone] }
steps:
  - send: { from: alice, to: bob, id: a1 }
  - send: { from: bob, to: alice, id: b1 }
  - send: { from: alice, to: bob, id: a2 }
  - send: { from: bob, to: alice, id: b2 }
  - send: { from: alice, to: bob, id: a3 }
`);

const links = (report: Awaited<ReturnType<typeof run>>) => report.messages.map((m) => [m.id, m.senderLinked ?? null]);

test('traffic-analysis on signal: the receipts name the sender of every message of a two-person conversation, each at its first message to that recipient, and nothing is read', async (t) => {
  const report = await run('signal', pair, 'traffic-analysis');
  t.is(report.status, 'ok');
  t.deepEqual(links(report), [
    ['a1', { via: 'disclosure', after: 1 }],
    ['b1', { via: 'disclosure', after: 1 }],
    ['a2', { via: 'disclosure', after: 2 }],
    ['b2', { via: 'disclosure', after: 2 }],
    ['a3', { via: 'disclosure', after: 3 }],
  ]);
  t.deepEqual(report.messages.filter((m) => m.leaked).map((m) => m.id), []);
  const anonymity = property(report, 'sender-anonymity');
  t.is(anonymity.verdict, 'violated');
  t.false(anonymity.claimed);
  t.regex(anonymity.detail, /linked 5 of 5 messages to its sender: a1 \(disclosure, after 1 message\)/);
});

test('server on signal: sealed envelopes name no sender, and the claim holds; on designs without sealed sender every envelope names it', async (t) => {
  const sealed = await run('signal', pair, 'server');
  t.deepEqual(links(sealed), ['a1', 'b1', 'a2', 'b2', 'a3'].map((id) => [id, null]));
  t.like(property(sealed, 'sender-anonymity'), { verdict: 'holds', claimed: true });
  for (const target of ['whatsapp', 'escrow', 'static-e2ee']) {
    const plain = await run(target, pair, 'server');
    t.true(plain.messages.every((m) => m.senderLinked?.via === 'envelope'), target);
    t.like(property(plain, 'sender-anonymity'), { verdict: 'violated', claimed: false }, target);
  }
});

test('traffic-analysis without sealed sender: every sender is exposed at once, by the envelope', async (t) => {
  const report = await run('whatsapp', pair, 'traffic-analysis');
  t.deepEqual(links(report), [
    ['a1', { via: 'envelope', after: 1 }],
    ['b1', { via: 'envelope', after: 1 }],
    ['a2', { via: 'envelope', after: 2 }],
    ['b2', { via: 'envelope', after: 2 }],
    ['a3', { via: 'envelope', after: 3 }],
  ]);
  t.deepEqual(report.messages.filter((m) => m.leaked).map((m) => m.id), []);
});

test('traffic-analysis holds what the provider stores: on server-side it reads every message, as server does', async (t) => {
  const report = await run('server-side', pair, 'traffic-analysis');
  t.deepEqual(report.messages.filter((m) => m.leaked).map((m) => m.id), ['a1', 'b1', 'a2', 'b2', 'a3']);
  t.is(message(report, 'a1').senderLinked?.via, 'envelope');
});

test('an adversary that does not try to link senders leaves sender anonymity not-applicable', async (t) => {
  const seized = scenarioFromYaml(`
name: two-people-seized
users: { alice: [phone], bob: [phone] }
steps:
  - send: { from: alice, to: bob, id: a1 }
  - mark: seizure
  - send: { from: bob, to: alice, id: b1 }
adversaries:
  stolen-device: { device: bob.phone, at: seizure }
`);
  const report = await run('signal', seized, 'stolen-device');
  t.is(property(report, 'sender-anonymity').verdict, 'not-applicable');
  t.true(report.messages.every((m) => m.senderLinked === undefined));
});

// Sealed sender takes the sender out of the envelope the provider stores, not off the network:
// each upload crosses on the connection of the device that sends it.
for (const adversary of ['network', 'quantum']) {
  test(`${adversary} on signal: every sealed message is linked to its sender by the connection it was uploaded on`, async (t) => {
    const report = await run('signal', pair, adversary);
    t.deepEqual(
      report.messages.map((m) => [m.id, m.senderLinked?.via]),
      ['a1', 'b1', 'a2', 'b2', 'a3'].map((id) => [id, 'connection']),
    );
    const anonymity = property(report, 'sender-anonymity');
    t.is(anonymity.verdict, 'violated');
    t.false(anonymity.claimed);
    t.regex(anonymity.detail, /linked 5 of 5 messages to its sender: a1 \(connection\), b1 \(connection\)/);
  });
}

test("libsignal seals with the library's own sealed sender: the provider stores no sender, and the receipts give the senders away as on signal", async (t) => {
  const server = await run('libsignal', pair, 'server');
  t.deepEqual(links(server), ['a1', 'b1', 'a2', 'b2', 'a3'].map((id) => [id, null]));
  t.like(property(server, 'sender-anonymity'), { verdict: 'holds', claimed: true });
  const traffic = await run('libsignal', pair, 'traffic-analysis');
  t.deepEqual(links(traffic), links(await run('signal', pair, 'traffic-analysis')));
  t.true(traffic.messages.every((m) => m.delivered && !m.leaked));
});

// A sender with a second device uploads, with the sealed envelope, a copy to that device in
// its own name (Signal sends it over the authenticated connection as a sync message): the
// upload names the sender. Sealed sender hides only the senders that have one device.
const laptop = scenarioFromYaml(`
name: bob-has-a-laptop
users: { alice: [phone], bob: [phone, laptop] }
steps:
  - send: { from: alice, to: bob, id: a1 }
  - send: { from: bob.phone, to: alice, id: b1 }
  - send: { from: bob.laptop, to: alice, id: b2 }
  - send: { from: alice, to: bob, id: a2 }
`);

for (const target of ['signal', 'libsignal']) {
  test(`server on ${target}: a sender with a second device is named by the copy to it that travels in the same upload; the claim covers single-device senders only`, async (t) => {
    const report = await run(target, laptop, 'server');
    t.deepEqual(links(report), [
      ['a1', null],
      ['b1', { via: 'upload', after: 1 }],
      ['b2', { via: 'upload', after: 2 }],
      ['a2', null],
    ]);
    const anonymity = property(report, 'sender-anonymity');
    t.like(anonymity, { verdict: 'violated', claimed: true, notClaimedFor: 'senders with other devices' });
    t.regex(anonymity.detail, /linked 2 of 4 messages to its sender: b1 \(upload, after 1 message\), b2 \(upload, after 2 messages\)/);
    t.is(message(report, 'b1').delivered, true);
  });
}

// The receipt follows the delivery, not the upload: a message stored for an offline phone
// draws its receipt when the phone comes back and fetches it (Martiny et al. §4: the window
// opens at delivery), and the provider, which makes the delivery, sees when.
const offline = scenarioFromYaml(`
name: bob-was-offline
users: { alice: [phone], bob: [phone], carol: [phone] }
steps:
  - offline: bob.phone
  - send: { from: alice, to: bob, id: a1 }
  - send: { from: carol, to: alice, id: c1 }
  - send: { from: alice, to: bob, id: a2 }
  - online: bob.phone
  - send: { from: bob, to: carol, id: b1 }
`);

test('traffic-analysis on signal: messages to a phone that was offline are linked by the receipts it sends when it comes back', async (t) => {
  const report = await run('signal', offline, 'traffic-analysis');
  t.deepEqual(links(report), [
    ['a1', { via: 'disclosure', after: 1 }],
    ['c1', { via: 'disclosure', after: 1 }],
    ['a2', { via: 'disclosure', after: 2 }],
    ['b1', { via: 'disclosure', after: 1 }],
  ]);
  t.true(report.messages.every((m) => m.delivered && !m.leaked));
});

// A group message goes to every member but its sender, and the provider routes by the
// group's roster: the one member an upload leaves out sent it. Signal's own groups keep
// their rosters from the server; this model does not, so the claim covers one-to-one
// conversations only.
const group = scenarioFromYaml(`
name: four-in-a-group
users: { alice: [phone], bob: [phone], carol: [phone], dave: [phone] }
groups:
  g: { admin: alice, members: [alice, bob, carol, dave] }
steps:
  - send: { from: alice, to: g, id: g1 }
  - send: { from: carol, to: g, id: g2 }
  - send: { from: bob, to: carol, id: direct }
  - send: { from: dave, to: g, id: g3 }
`);

for (const target of ['signal', 'libsignal']) {
  test(`server on ${target}: each group message's sender is the member its upload left out; the one-to-one message stays unlinked, as claimed`, async (t) => {
    const report = await run(target, group, 'server');
    t.deepEqual(links(report), [
      ['g1', { via: 'roster', after: 1 }],
      ['g2', { via: 'roster', after: 1 }],
      ['direct', null],
      ['g3', { via: 'roster', after: 2 }],
    ]);
    t.like(property(report, 'sender-anonymity'), { verdict: 'violated', claimed: true, notClaimedFor: 'groups' });
  });
}

test('malicious-server on signal: its shadows open the sealed envelopes they take in, and name each sender from inside', async (t) => {
  const report = await run('signal', pair, 'malicious-server');
  t.deepEqual(
    links(report).map(([id, link]) => [id, (link as { via: string } | null)?.via ?? null]),
    ['a1', 'b1', 'a2', 'b2', 'a3'].map((id) => [id, 'key-substitution']),
  );
  t.deepEqual(report.messages.filter((m) => m.leaked).map((m) => m.id), ['a1', 'b1', 'a2', 'b2', 'a3']);
});

test('the matrix shows what each adversary linked: the cell of signal and traffic-analysis counts the five messages', async (t) => {
  const runs = [await run('signal', pair, 'traffic-analysis'), await run('signal', pair, 'server')];
  const matrix = buildMatrix({ schema: 'keyhole-report/1', tool: { name: 'keyhole', version: '0.1.0' }, seed: 1, timing: { startedAt: new Date(0).toISOString(), durationMs: 1 }, runs, violations: [] });
  t.is(cellCounts(matrix.cell('signal', 'traffic-analysis')!).linked, '5 linked');
  t.is(cellCounts(matrix.cell('signal', 'server')!).linked, null);
});
