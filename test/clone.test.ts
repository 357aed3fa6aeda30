/**
 * `clone`: a seized phone's image run beside the phone, registered as it by a cooperating
 * provider (Cremers, Fairoze, Kiesl and Naska, "Clone Detection in Secure Messaging", CCS
 * 2020). The clone reads and answers as the device; the Double Ratchet's fresh keys split
 * the conversation between the two copies, and whoever answered last keeps it.
 */
import test from 'ava';
import { targets } from '../targets/registry.ts';
import { renderMarkdown } from '../reports/md.ts';
import { unnoticedCount } from '../reports/matrix.ts';
import type { Report } from '../harness/report/types.ts';
import { builtIn, message, property, run } from './helpers/audit.ts';

const stolenPhone = builtIn('stolen-phone');
const offlineLaptop = builtIn('offline-laptop');

const reportOf = (run: Report['runs'][number]): Report => ({
  schema: 'keyhole-report/1',
  tool: { name: 'keyhole', version: '0.1.0' },
  seed: 1,
  timing: { startedAt: new Date(0).toISOString(), durationMs: 1 },
  runs: [run],
  violations: [],
});

const ids = (report: { messages: { id: string }[] }, keep: (m: any) => boolean) => report.messages.filter(keep).map((m) => m.id);

for (const target of ['signal', 'libsignal']) {
  test(`${target}: the clone reads Alice's messages and answers as Bob's phone; from its first answer on Alice follows the clone and the real phone is cut off`, async (t) => {
    const report = await run(target, stolenPhone, 'clone');
    t.is(report.status, 'ok');
    t.deepEqual(ids(report, (m) => m.leaked && m.class !== 'exposed'), ['after-1', 'after-3', 'after-5']);
    t.is(message(report, 'after-1').via, 'clone');
    t.is(message(report, 'plan').leaked, false, 'deleted before the seizure');
    // Alice took the clone's answers as Bob's phone's ...
    const authentication = property(report, 'authentication');
    t.is(authentication.verdict, 'violated');
    for (const forged of ['clone-1', 'clone-2', 'clone-3']) t.regex(authentication.detail, new RegExp(`alice\\.phone accepted "${forged}" as from bob\\.phone, but nobody sent it`));
    // ... and so followed the clone's ratchet: the real phone's messages no longer open for
    // her, nor hers for the real phone. Each was delivered (SPEC §5: nothing dropped it) and
    // is unreadable where it arrived.
    t.true(report.messages.every((m) => m.delivered));
    t.is(message(report, 'after-1').delivered, true, 'before the clone spoke, both copies read the same chain');
    // Each was handed to its recipient, which could not decrypt it.
    t.deepEqual(
      report.messages.filter((m) => m.unreadable).map((m) => [m.id, m.unreadable]),
      [['after-2', ['alice.phone']], ['after-3', ['bob.phone']], ['after-4', ['alice.phone']], ['after-5', ['bob.phone']], ['after-6', ['alice.phone']]],
    );
    // What the apps showed: only that messages could not be decrypted, once the two copies had
    // split; no alert names a second device acting as Bob's phone (Cremers et al., CCS 2020 §3).
    t.deepEqual([...new Set(report.alerts.map((a) => a.kind))], ['decryption-failed']);
    t.true(report.alerts.every((a) => a.step >= message(report, 'after-2').step), 'nothing before the split');
    t.is(property(report, 'detection').verdict, 'violated');
    // Each answer Alice took for Bob's is on record, with the step and whether anything warned her.
    t.deepEqual(
      report.forgeries?.map((f) => [f.id, f.acceptedBy, f.claimedFrom, f.sentBy, f.step, f.noticed]),
      [
        ['clone-1', 'alice.phone', 'bob.phone', null, message(report, 'after-1').step, false],
        ['clone-2', 'alice.phone', 'bob.phone', null, message(report, 'after-3').step, false],
        ['clone-3', 'alice.phone', 'bob.phone', null, message(report, 'after-5').step, false],
      ],
    );
    // Three read and three forged, none with a warning: the matrix cell's unnoticed count.
    t.is(unnoticedCount(report), 6);
    const md = renderMarkdown(reportOf(report));
    t.regex(md, /\| clone-2 \| alice\.phone \| \d+ \| bob\.phone \| the adversary \|  \| \*\*no\*\* \|/);
    // What the apps showed is in report.md too, and each read message says it went unnoticed.
    const first = report.alerts[0]!;
    t.true(md.includes(`**Alerts** (${report.alerts.length}): step ${first.step} ${first.user}.${first.device} ${first.kind} about ${first.about}`));
    t.regex(md, /^\| after-1 \| alice\.phone \| bob \| \d+ \| after \| yes \| no \| \*\*leaked\*\* \| clone \| \*\*no\*\* \|$/m);
    t.true((report.notes ?? []).some((n) => n === 'clone of bob.phone: read 3 message(s) delivered to the device; sent clone-1 (to alice), clone-2 (to alice), clone-3 (to alice)'));
  });
}

test("signal: a cloned laptop reads what reaches Bob's laptop, and Bob's own phone takes its answers as the laptop's", async (t) => {
  const report = await run('signal', offlineLaptop, 'clone');
  t.deepEqual(ids(report, (m) => m.leaked && m.class !== 'exposed'), ['after-2', 'after-3', 'after-4', 'after-6', 'after-7', 'after-8']);
  t.is(message(report, 'after-3').via, 'clone', "bob.phone's copy for his laptop");
  t.regex(property(report, 'authentication').detail, /bob\.phone accepted "clone-2" as from bob\.laptop, but nobody sent it/);
  t.deepEqual(ids(report, (m) => m.unreadable !== undefined), ['after-4', 'after-5', 'after-6', 'after-7', 'after-8']);
  t.true(report.messages.every((m) => m.delivered), 'delivered, though not readable everywhere (SPEC §5)');
});

test('static-e2ee: without a ratchet nothing splits: the clone reads and speaks and every message still reaches both copies', async (t) => {
  const report = await run('static-e2ee', stolenPhone, 'clone');
  t.deepEqual(ids(report, (m) => m.leaked && m.class !== 'exposed'), ['after-1', 'after-3', 'after-5']);
  t.deepEqual(ids(report, (m) => !m.delivered), []);
  t.is(property(report, 'authentication').verdict, 'violated');
});

test("mls: the real laptop's own commit locks the clone out: it opens nothing sent after the imaging", async (t) => {
  const report = await run('mls', offlineLaptop, 'clone');
  t.deepEqual(ids(report, (m) => m.leaked && m.class !== 'exposed'), []);
  t.true((report.notes ?? []).some((n) => n.startsWith('clone of bob.laptop: could not open 12 envelope(s)')));
  t.is(property(report, 'authentication').verdict, 'holds');
});

test('the clone runs on every design', async (t) => {
  for (const target of Object.keys(targets)) {
    const report = await run(target, stolenPhone, 'clone');
    t.is(report.status, 'ok', target);
    t.true(message(report, 'ack').leaked, `${target}: the image holds the stored history`);
  }
});

test("matrix-invisible: the red shield the app showed on Bob's phone before the seizure is no notice of the clone: after-1, after-3, after-5 read unnoticed", async (t) => {
  const report = await run('matrix-invisible', stolenPhone, 'clone');
  t.deepEqual(ids(report, (m) => m.leaked && m.class !== 'exposed'), ['after-1', 'after-3', 'after-5']);
  const seizure = stolenPhone.marks['seizure']!;
  // Element's shield for an unverified user, on every message from the first one on.
  t.true(report.alerts.some((a) => a.kind === 'unverified-sender' && a.user === 'alice' && a.about === 'bob.phone' && a.step < seizure));
  for (const id of ['after-1', 'after-3', 'after-5']) t.is(message(report, id).noticed, false, id);
  t.is(property(report, 'detection').verdict, 'violated');
});

// SPEC §4: a composite's parts act together. The provider that relays Alice and Bob through
// its shadows lets its own clone's answers pass untouched (they reach Alice sealed for a
// shadow, and she refuses them), so the clone splits no session the relay holds, and the
// composite still reads Bob's after-2, after-4 and after-6, as the provider alone does.
test("signal: malicious-server+clone: the clone's answers do not split the sessions the provider relays, so it reads all the provider alone reads", async (t) => {
  const report = await run('signal', stolenPhone, 'malicious-server+clone');
  t.is(report.status, 'ok');
  for (const id of ['after-2', 'after-4', 'after-6']) t.like(message(report, id), { leaked: true, via: 'key-substitution' }, id);
  t.deepEqual(
    (report.forgeries ?? []).filter((f) => f.id.startsWith('clone-')),
    [],
    "alice took none of the clone's answers: they were sealed for the provider's shadow of her",
  );
  t.true((report.notes ?? []).some((n) => n.startsWith('clone of bob.phone: read ')));
});

// Harvest now, decrypt later against a phone and its clone: WhatsApp's sessions have no
// post-quantum secret, so the oracle opens both. The clone's connection is its own on the
// wire, and each copy ratchets on its own randomness, so the rebuilt phone follows each
// connection apart: Bob's after-2, after-4 and after-6, which Alice could no longer read,
// open as the real phone sent them, and the clone's answers as the clone sent them.
test("whatsapp: clone+quantum: the oracle follows the phone and its clone each along its own connection, and opens Bob's messages Alice could no longer read", async (t) => {
  const report = await run('whatsapp', stolenPhone, 'clone+quantum');
  t.is(report.status, 'ok');
  for (const id of ['after-2', 'after-4', 'after-6']) t.like(message(report, id), { leaked: true, via: 'quantum', unreadable: ['alice.phone'] }, id);
  for (const id of ['after-1', 'after-3', 'after-5']) t.like(message(report, id), { leaked: true, via: 'clone' }, id);
});
