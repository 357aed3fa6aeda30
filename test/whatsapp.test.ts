/**
 * `whatsapp`, WhatsApp's published design: a recording opened later by a quantum computer
 * (X3DH without a post-quantum KEM), a provider that adds a member to a group it manages
 * (shown to the members, not prevented), a contact who links a device (shown), and otherwise
 * the reference's guarantees.
 */
import { readdirSync } from 'node:fs';
import test from 'ava';
import { HEALING_STOLEN_PHONE_PATTERN, builtIn, leakPattern, message, property, run, scenarioFromYaml } from './helpers/audit.ts';

const leakedIds = (report: { messages: { id: string; leaked: boolean }[] }) => report.messages.filter((m) => m.leaked).map((m) => m.id);

test('harvest now, decrypt later: the quantum adversary opens every message of every built-in scenario', async (t) => {
  const names = readdirSync(new URL('../attacks/scenarios/', import.meta.url)).filter((file) => file.endsWith('.yaml')).map((file) => file.slice(0, -'.yaml'.length));
  t.true(names.includes('family-group'));
  for (const name of names) {
    const report = await run('whatsapp', builtIn(name), 'quantum');
    t.true(report.messages.length > 0, name);
    t.deepEqual(leakedIds(report), report.messages.map((m) => m.id), name);
    const confidentiality = property(report, 'confidentiality');
    t.is(confidentiality.verdict, 'violated', name);
    t.false(confidentiality.claimed, 'the white paper names no post-quantum protection');
  }
  const stolen = await run('whatsapp', builtIn('stolen-phone'), 'quantum');
  t.is(message(stolen, 'source').via, 'quantum');
});

test('quantum, groups: a sender key handed over once opens every later message under it, and a clone reads the roster as it stood at each envelope (WhatsApp white paper, "Group Messages")', async (t) => {
  // family-group: after bob's removal alice.laptop makes a fresh sender key and sends twice;
  // only party-detail.1 carries the key (sealed on pairwise X3DH sessions the oracle breaks).
  // bob.tablet wrote while-offline before he was removed: a clone that read the final roster
  // would refuse it as from a non-member.
  const group = await run('whatsapp', builtIn('family-group'), 'quantum');
  for (const id of ['party-detail.1', 'party-detail.2', 'while-offline.1', 'while-offline.2']) {
    t.true(message(group, id).leaked, id);
    t.is(message(group, id).via, 'quantum', id);
  }
});

const groupThenHostile = scenarioFromYaml(`
name: group-then-hostile
users:
  alice: [phone]
  bob: [phone, laptop]
  carol: [phone]
groups:
  team: { admin: alice, members: [alice, bob, carol] }
steps:
  - send: { from: alice, to: team, id: before-1 }
  - send: { from: bob, to: team, id: before-2 }
  - send: { from: bob.laptop, to: team, id: before-3 }
  - send: { from: carol, to: team, id: before-4 }
  - send: { from: carol, to: alice, id: direct-before }
  - mark: server-turns
  - send: { from: carol, to: team, id: after-1 }
  - send: { from: alice, to: team, id: after-2 }
  - send: { from: bob.laptop, to: team, id: after-3 }
  - send: { from: carol, to: alice, id: direct-after }
adversaries:
  malicious-server: { at: server-turns }
`);

test('malicious-server adds a member to a group it manages: it reads the later group messages, and every member is shown member-added', async (t) => {
  const report = await run('whatsapp', groupThenHostile, 'malicious-server');
  t.deepEqual(leakedIds(report), ['after-1', 'after-2', 'after-3', 'direct-after']);
  t.is(message(report, 'after-1').via, 'ghost-member');
  // The signed device list keeps a ghost device out of the one-to-one chat; the provider gets
  // in only by re-registering Carol and Alice for each other, which both apps show.
  t.like(message(report, 'direct-after'), { via: 're-registration', noticed: true });
  t.true(report.alerts.some((a) => a.kind === 'identity-changed' && a.user === 'carol' && a.about === 'alice' && a.step <= message(report, 'direct-after').step));
  t.is(property(report, 'membership').verdict, 'violated');
  t.false(property(report, 'membership').claimed, 'the white paper leaves group membership to the server');
  const shown = report.alerts.filter((a) => a.kind === 'member-added' && a.about === 'team');
  t.deepEqual([...new Set(shown.map((a) => `${a.user}.${a.device}`))].sort(), ['alice.phone', 'bob.laptop', 'bob.phone', 'carol.phone']);
  const strike = groupThenHostile.marks['server-turns']!;
  t.true(shown.every((a) => a.step > strike));
  t.true(shown.some((a) => a.user === 'carol' && a.step === strike + 1), 'carol sees the new member when she sends after-1');
});

test('the reference, with rosters signed by the admin, refuses the same added member', async (t) => {
  const report = await run('signal', groupThenHostile, 'malicious-server');
  t.deepEqual(leakedIds(report), ['direct-after'], 'the group stays closed; the one-to-one chat only through a re-registration');
  t.like(message(report, 'direct-after'), { via: 're-registration', noticed: true });
  t.is(property(report, 'membership').verdict, 'holds');
});

test('a contact who links a device mid-conversation is shown as new-device to the other side', async (t) => {
  const scenario = scenarioFromYaml(`
name: new-laptop
users:
  alice: [phone]
  bob: [phone]
steps:
  - send: { from: alice, to: bob, id: hello }
  - link-device: { user: bob, device: laptop }
  - send: { from: alice, to: bob, id: again }
`);
  const report = await run('whatsapp', scenario, 'network');
  t.is(message(report, 'again').delivered, true);
  t.deepEqual(report.alerts.map((a) => `${a.step}:${a.user}.${a.device}:${a.kind}:${a.about}`), ['2:alice.phone:new-device:bob.laptop']);
});

test('everything else as the reference: a seized phone heals, forward secrecy holds, nothing leaks to network or server', async (t) => {
  const stolen = await run('whatsapp', builtIn('stolen-phone'), 'stolen-device');
  t.deepEqual(leakPattern(stolen), HEALING_STOLEN_PHONE_PATTERN);
  t.is(property(stolen, 'forward-secrecy').verdict, 'holds');
  t.is(property(stolen, 'post-compromise-security').verdict, 'holds');
  for (const adversary of ['network', 'server']) {
    const report = await run('whatsapp', builtIn('family-group'), adversary);
    t.deepEqual(leakedIds(report), [], adversary);
  }
  const verified = await run('whatsapp', builtIn('verified-chat'), 'malicious-server');
  t.deepEqual(leakedIds(verified), []);
  t.like(property(verified, 'authentication'), { claimed: true, notClaimedFor: 'unverified messages' });
});

test('security code change notifications: in a verified chat the server\'s forgery comes after identity-changed (detection claimed there); at first contact nothing shows', async (t) => {
  const verified = await run('whatsapp', builtIn('verified-chat'), 'malicious-server');
  t.like(property(verified, 'detection'), { verdict: 'holds', claimed: true });
  // Nothing is read; the one forgery Bob's devices accepted came after Bob was shown that Alice's key changed.
  t.deepEqual(verified.messages.filter((m) => m.leaked).map((m) => m.id), []);
  t.deepEqual(verified.forgeries?.map((f) => [f.id, f.acceptedBy, f.noticed]), [['forged-1', 'bob.phone', true], ['forged-1', 'bob.laptop', true]]);
  t.true(verified.alerts.some((a) => a.kind === 'identity-changed' && a.user === 'bob' && a.about === 'alice'));
  const first = await run('whatsapp', builtIn('first-contact'), 'malicious-server');
  t.like(property(first, 'detection'), { verdict: 'violated', claimed: true, notClaimedFor: 'unverified messages' });
  t.deepEqual(first.messages.filter((m) => m.noticed === false).map((m) => m.id), ['hello', 'reply', 'secret', 'from-laptop']);
});

// The app names who joined. The admin's own addition of Dave shows nothing on her phone
// (she made it); the member the server adds later does, and that notice is about the
// server's member, not explained by Dave (who really joined): so after-1 is noticed.
const adminAddsThenServerDoes = scenarioFromYaml(`
name: admin-adds-then-server-does
users: { alice: [phone], bob: [phone], carol: [phone], dave: [phone] }
groups:
  team: { admin: alice, members: [alice, bob, carol] }
steps:
  - send: { from: alice, to: team, id: before-1 }
  - add-member: { group: team, user: dave, by: alice }
  - send: { from: dave, to: team, id: dave-hi }
  - send: { from: bob, to: team, id: before-2 }
  - mark: server-turns
  - send: { from: alice, to: team, id: after-1 }
  - send: { from: bob, to: team, id: after-2 }
adversaries:
  malicious-server: { at: server-turns }
`);

test("member-added names who joined: the admin's notice about the server's member counts as noticed though she added Dave herself", async (t) => {
  const report = await run('whatsapp', adminAddsThenServerDoes, 'malicious-server+network');
  const alice = report.alerts.filter((a) => a.kind === 'member-added' && a.user === 'alice');
  t.deepEqual(alice.map((a) => [a.step, a.members]), [[message(report, 'after-1').step, ['ghost']]], 'nothing for her own addition of Dave');
  t.deepEqual(report.alerts.filter((a) => a.kind === 'member-added' && a.user === 'bob').map((a) => a.members), [['dave'], ['ghost']]);
  t.like(message(report, 'after-1'), { leaked: true, via: 'ghost-member', noticed: true });
  t.like(property(report, 'detection'), { verdict: 'holds' });
});

// The built-in `warrant`: the provider is ordered to add a participant mid-conversation (the
// "ghost user" proposal). WhatsApp's clients take the server's member list (white paper,
// "Group Messages") and show the change: the member reads, and everyone was told first.
test('warrant (built-in): the member the provider adds reads route, contacts and last, every member is shown member-added first, and detection holds where confidentiality does not', async (t) => {
  const warrant = builtIn('warrant');
  const report = await run('whatsapp', warrant, 'malicious-server');
  t.deepEqual(leakedIds(report), ['route', 'contacts', 'private', 'comfort', 'last']);
  for (const id of ['route', 'contacts', 'last']) t.like(message(report, id), { via: 'ghost-member', noticed: true }, id);
  for (const id of ['private', 'comfort']) t.like(message(report, id), { via: 're-registration', noticed: true }, id);
  const told = (user: string) => report.alerts.find((a) => a.kind === 'member-added' && a.about === 'club' && a.user === user);
  for (const user of ['alice', 'bob', 'carol']) {
    t.deepEqual(told(user)?.members, ['ghost'], `${user} was told who joined`);
    t.true(told(user)!.step <= message(report, user === 'bob' ? 'route' : 'contacts').step, `${user} was told before reading on`);
  }
  t.like(property(report, 'detection'), { verdict: 'holds', claimed: true });
  t.is(property(report, 'confidentiality').verdict, 'violated');
  // The reference refuses the member (rosters carry the admin's signature): no group message is read.
  const signal = await run('signal', warrant, 'malicious-server');
  t.deepEqual(leakedIds(signal), ['private', 'comfort']);
  t.like(property(signal, 'detection'), { verdict: 'holds', claimed: true });
});
