/**
 * Every property evaluator on hand-built cases: where it must hold and where it must be
 * violated (SPEC §5). Ground truth and adversary holdings are built directly.
 */
import test from 'ava';
import type { Position } from '../attacks/types.ts';
import { judge } from '../harness/judge/judge.ts';
import { Ledger, pairKey, type MessageTruth } from '../harness/ledger.ts';
import type { PropertyName } from '../harness/report/types.ts';
import { isClaimViolation, verdictWording } from '../harness/report/verdicts.ts';
import type { DeviceAddress } from '../harness/scenario/types.ts';
import type { Claim } from '../targets/types.ts';

const NOBODY: Position = { strikeStep: null, compromisedDevice: null, removedMember: null };
const BOB_PHONE_AT_3: Position = { strikeStep: 3, compromisedDevice: 'bob.phone', removedMember: null };
const PASSIVE = { name: 'server', active: false, metadata: [] as const };

/** A two-user ledger: messages m0..m(n-1) at steps 0..n-1, all accepted; a sender is a user (its phone) or a device. */
function chat(senders: string[]): Ledger {
  const ledger = new Ledger();
  for (const user of ['alice', 'bob']) ledger.devices.push({ address: `${user}.phone`, user, addedAt: -1, removedAt: null });
  senders.forEach((sender, step) => {
    const from = (sender.includes('.') ? sender : `${sender}.phone`) as DeviceAddress;
    const recipient = from.startsWith('alice.') ? 'bob' : 'alice';
    addMessage(ledger, { id: `m${step}`, step, from, to: recipient });
    accept(ledger, `${recipient}.phone`, `m${step}`, from, step);
  });
  return ledger;
}

function addMessage(ledger: Ledger, m: { id: string; step: number; from: DeviceAddress; to: string; verified?: boolean; encryptedTo?: DeviceAddress[] }): MessageTruth {
  const truth: MessageTruth = {
    id: m.id,
    marker: markerOf(m.id),
    from: m.from,
    to: m.to,
    toKind: 'user',
    step: m.step,
    recipientUsers: [m.to],
    intended: [`${m.to}.phone`],
    verified: m.verified ?? false,
    refused: null,
    encryptedTo: m.encryptedTo ?? [`${m.to}.phone`],
  };
  ledger.addMessage(truth);
  return truth;
}

function accept(ledger: Ledger, device: DeviceAddress, id: string, claimedFrom: DeviceAddress, step: number, digest = `${id}@${device}`): void {
  ledger.acceptances.push({ device, step, claimedFrom, claimedId: id, group: null, markers: [markerOf(id)], envelopeDigest: digest });
}

function markerOf(id: string): string {
  return `kh-${Buffer.from(id.padEnd(8, '_')).toString('hex').slice(0, 16).padEnd(16, '0')}`;
}

function leakedAs(...ids: string[]) {
  return ids.map((id) => ({ bytes: new TextEncoder().encode(`text [${markerOf(id)}]`), via: 'decrypt' }));
}

function verdict(ledger: Ledger, property: PropertyName, options: { position?: Position; leaked?: string[]; claims?: Claim[]; untriedSender?: DeviceAddress } = {}) {
  const report = judge({
    ledger,
    holdings: leakedAs(...(options.leaked ?? [])),
    position: options.position ?? NOBODY,
    adversary: PASSIVE,
    claims: options.claims ?? [],
    untriedSender: options.untriedSender ?? null,
  });
  return report.properties.find((p) => p.property === property)!;
}

// --- confidentiality ---------------------------------------------------------------

test('confidentiality holds when nothing leaked', (t) => {
  t.is(verdict(chat(['alice', 'bob']), 'confidentiality').verdict, 'holds');
});

test('confidentiality is violated by one leaked message, and names it', (t) => {
  const result = verdict(chat(['alice', 'bob', 'alice']), 'confidentiality', { leaked: ['m1'] });
  t.is(result.verdict, 'violated');
  t.regex(result.detail, /m1 \(decrypt\)/);
});

test('confidentiality ignores leaks of exposed messages (still stored on the seized phone)', (t) => {
  const result = verdict(chat(['alice', 'bob', 'alice', 'bob']), 'confidentiality', { position: BOB_PHONE_AT_3, leaked: ['m0', 'm1', 'm2'] });
  t.is(result.verdict, 'holds');
});

test('an unverified leak violates confidentiality but not a claim limited to verified messages; a verified leak violates both', (t) => {
  const ledger = chat(['alice']);
  addMessage(ledger, { id: 'v1', step: 1, from: 'alice.phone', to: 'bob', verified: true });
  const claims: Claim[] = [{ property: 'confidentiality', adversaries: ['server'], scope: 'verified' }];
  const unverified = verdict(ledger, 'confidentiality', { claims, leaked: ['m0'] });
  t.like(unverified, { verdict: 'violated', claimed: true, notClaimedFor: 'unverified messages' });
  t.false(isClaimViolation(unverified));
  t.regex(unverified.detail, /^1 message leaked: m0 \(decrypt\); within the claim: none of 1 verified message leaked/);
  const verified = verdict(ledger, 'confidentiality', { claims, leaked: ['v1', 'm0'] });
  t.like(verified, { verdict: 'violated', claimed: true });
  t.is(verified.notClaimedFor, undefined);
  t.true(isClaimViolation(verified));
  t.regex(verified.detail, /^2 messages leaked: m0 \(decrypt\), v1 \(decrypt\); within the claim: 1 message leaked: v1 \(decrypt\)/);
  t.like(verdict(ledger, 'confidentiality', { leaked: ['m0'] }), { verdict: 'violated', claimed: false });
});

test('confidentiality counts leaks beyond entitlement in summary.breached, exposed leaks apart', (t) => {
  const report = judge({ ledger: chat(['alice', 'bob', 'alice', 'bob']), holdings: leakedAs('m0', 'm1', 'm3'), position: BOB_PHONE_AT_3, adversary: PASSIVE, claims: [] });
  t.deepEqual(report.summary, { messages: 4, leaked: 3, breached: 1 });
  t.deepEqual(report.messages.filter((m) => m.leaked && m.class !== 'exposed').map((m) => m.id), ['m3']);
});

// --- forward secrecy ---------------------------------------------------------------

test('forward secrecy is not applicable without a strike point', (t) => {
  t.is(verdict(chat(['alice', 'bob']), 'forward-secrecy', { leaked: ['m0'] }).verdict, 'not-applicable');
});

test('forward secrecy holds when only later messages leak', (t) => {
  const ledger = chat(['alice', 'bob', 'alice', 'bob', 'alice']);
  ledger.deletions.push({ device: 'bob.phone', step: 2, ids: 'all' });
  t.is(verdict(ledger, 'forward-secrecy', { position: BOB_PHONE_AT_3, leaked: ['m4'] }).verdict, 'holds');
});

test('forward secrecy is violated by a deleted earlier message that leaked', (t) => {
  const ledger = chat(['alice', 'bob', 'alice', 'bob', 'alice']);
  ledger.deletions.push({ device: 'bob.phone', step: 2, ids: ['m0'] });
  const result = verdict(ledger, 'forward-secrecy', { position: BOB_PHONE_AT_3, leaked: ['m0'] });
  t.is(result.verdict, 'violated');
  t.regex(result.detail, /m0/);
});

// --- post-compromise security --------------------------------------------------------

const AFTER = ['alice', 'bob', 'alice', 'bob', 'alice', 'bob', 'alice', 'bob', 'alice', 'bob', 'alice'];

test('post-compromise security holds when leaks stop within two round trips, with healedAfter', (t) => {
  // strike at step 3: m3 (bob), m4 (alice) leak, then nothing.
  const result = verdict(chat(AFTER), 'post-compromise-security', { position: BOB_PHONE_AT_3, leaked: ['m3', 'm4'] });
  t.is(result.verdict, 'holds');
  t.is(result.healedAfter, 2);
});

test('post-compromise security is violated when leaks never stop', (t) => {
  const leaked = ['m3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9', 'm10'];
  const result = verdict(chat(AFTER), 'post-compromise-security', { position: BOB_PHONE_AT_3, leaked });
  t.is(result.verdict, 'violated');
  t.is(result.healedAfter, null);
});

test('post-compromise security is violated when leaks resume after healing', (t) => {
  const result = verdict(chat(AFTER), 'post-compromise-security', { position: BOB_PHONE_AT_3, leaked: ['m3', 'm7'] });
  t.is(result.verdict, 'violated');
  t.regex(result.detail, /resumed/);
});

test('post-compromise security is violated when leaks last beyond two round trips', (t) => {
  const result = verdict(chat(AFTER), 'post-compromise-security', { position: BOB_PHONE_AT_3, leaked: ['m3', 'm4', 'm5', 'm6', 'm7'] });
  t.is(result.verdict, 'violated');
});

test('post-compromise security is inconclusive when the conversation ends still leaking within two round trips', (t) => {
  const result = verdict(chat(['alice', 'bob', 'alice', 'bob', 'alice', 'bob']), 'post-compromise-security', { position: BOB_PHONE_AT_3, leaked: ['m3', 'm4', 'm5'] });
  t.is(result.verdict, 'inconclusive');
});

// The window counts from the compromised device's first send after the strike (SPEC §5):
// healing needs its fresh keys (DR §3.5: a new ratchet key; RFC 9420 §16.6: a commit updating its leaf).

test('a seized phone that never sends again cannot heal: post-compromise security is inconclusive, not violated', (t) => {
  // Strike at 3; Bob answers from his laptop only, and every later message leaks for six legs.
  const ledger = chat(['alice', 'bob', 'alice', 'alice', 'bob.laptop', 'alice', 'bob.laptop', 'alice', 'bob.laptop']);
  const result = verdict(ledger, 'post-compromise-security', { position: BOB_PHONE_AT_3, leaked: ['m3', 'm4', 'm5', 'm6', 'm7', 'm8'] });
  t.is(result.verdict, 'inconclusive');
  t.is(result.healedAfter, null);
  t.regex(result.detail, /bob\.phone sent nothing in bob and alice after the strike/);
  t.regex(result.detail, /m3 \(decrypt\)/);
});

test('a seized phone that never sends again, but nothing leaked: post-compromise security holds', (t) => {
  const ledger = chat(['alice', 'bob', 'alice', 'alice', 'bob.laptop', 'alice']);
  const result = verdict(ledger, 'post-compromise-security', { position: BOB_PHONE_AT_3 });
  t.is(result.verdict, 'holds');
  t.is(result.healedAfter, 0);
});

test('leaks before the seized phone\'s first send are no finding: the window opens at that send, not at the strike', (t) => {
  // m3..m7 leak over five legs (Alice and Bob's laptop) before the phone sends m8; then nothing leaks.
  const ledger = chat(['alice', 'bob', 'alice', 'alice', 'bob.laptop', 'alice', 'bob.laptop', 'alice', 'bob', 'alice', 'bob', 'alice']);
  const result = verdict(ledger, 'post-compromise-security', { position: BOB_PHONE_AT_3, leaked: ['m3', 'm4', 'm5', 'm6', 'm7'] });
  t.is(result.verdict, 'holds', result.detail);
  t.is(result.healedAfter, 5);
});

test('leaks that go on beyond two round trips of the seized phone\'s first send violate post-compromise security', (t) => {
  // The phone sends m4; m4..m8 leak over five legs.
  const ledger = chat(['alice', 'bob', 'alice', 'alice', 'bob', 'alice', 'bob', 'alice', 'bob', 'alice']);
  const result = verdict(ledger, 'post-compromise-security', { position: BOB_PHONE_AT_3, leaked: ['m3', 'm4', 'm5', 'm6', 'm7', 'm8'] });
  t.is(result.verdict, 'violated');
  t.regex(result.detail, /over 5 one-way legs from bob\.phone's first send: m4 \(decrypt\)/);
  t.is(result.healedAfter, null);
});

test('a seized phone that sends once, with no answer yet while leaks go on: the window never closes, inconclusive', (t) => {
  const ledger = chat(['alice', 'bob', 'alice', 'bob', 'bob', 'bob']);
  const result = verdict(ledger, 'post-compromise-security', { position: BOB_PHONE_AT_3, leaked: ['m3', 'm4', 'm5'] });
  t.is(result.verdict, 'inconclusive');
  t.regex(result.detail, /too short to tell/);
});

test('a message its sender refused to send is no evidence of healing', (t) => {
  // Bob's phone sends m3, Alice's m4 leaks, her m5 never left her phone (safety-number mismatch).
  const ledger = chat(['alice', 'bob', 'alice', 'bob', 'alice', 'alice']);
  ledger.messageById('m5')!.refused = 'safety number with bob did not match';
  const result = verdict(ledger, 'post-compromise-security', { position: BOB_PHONE_AT_3, leaked: ['m3', 'm4'] });
  t.is(result.verdict, 'inconclusive', result.detail);
});

test('the seized phone\'s own messages it could not try count as its sends, not as healing', (t) => {
  // A library that cannot open its device's sent messages: m3 and m5 are Bob's, untried.
  const ledger = chat(['alice', 'bob', 'alice', 'bob', 'alice', 'bob', 'alice']);
  const untried = { position: BOB_PHONE_AT_3, untriedSender: 'bob.phone' as DeviceAddress };
  const healed = verdict(ledger, 'post-compromise-security', { ...untried, leaked: ['m4'] });
  t.is(healed.verdict, 'holds', healed.detail);
  t.is(healed.healedAfter, 1);
  const stream = chat(['alice', 'bob', 'alice', 'bob', 'bob', 'bob']);
  const onlyOwn = verdict(stream, 'post-compromise-security', untried);
  t.is(onlyOwn.verdict, 'inconclusive');
  t.regex(onlyOwn.detail, /could not try any later message/);
});

test('post-compromise security is not applicable without a compromised device', (t) => {
  t.is(verdict(chat(AFTER), 'post-compromise-security', { position: { ...BOB_PHONE_AT_3, compromisedDevice: null } }).verdict, 'not-applicable');
});

// --- authentication ------------------------------------------------------------------

test('authentication holds when every accepted message came from its claimed sender', (t) => {
  t.is(verdict(chat(['alice', 'bob']), 'authentication').verdict, 'holds');
});

test('authentication is violated by a message accepted under another sender', (t) => {
  const ledger = chat(['alice']);
  accept(ledger, 'bob.phone', 'm0', 'carol.phone' as DeviceAddress, 1, 'forged');
  const result = verdict(ledger, 'authentication');
  t.is(result.verdict, 'violated');
  t.regex(result.detail, /carol\.phone/);
});

test('authentication is violated by an accepted message nobody sent', (t) => {
  const ledger = chat(['alice']);
  ledger.acceptances.push({ device: 'bob.phone', step: 1, claimedFrom: 'alice.phone', claimedId: 'forged', group: null, markers: [], envelopeDigest: 'x' });
  t.is(verdict(ledger, 'authentication').verdict, 'violated');
});

test('a forgery in an unverified conversation violates authentication but not a claim limited to verified conversations', (t) => {
  const ledger = chat(['alice']);
  accept(ledger, 'bob.phone', 'm0', 'carol.phone' as DeviceAddress, 1, 'forged');
  const claims: Claim[] = [{ property: 'authentication', adversaries: ['server'], scope: 'verified' }];
  const unverified = verdict(ledger, 'authentication', { claims });
  t.like(unverified, { verdict: 'violated', claimed: true, notClaimedFor: 'unverified messages' });
  t.false(isClaimViolation(unverified));
  ledger.verifications.set(pairKey('bob', 'carol'), { step: 0, matched: true });
  const verified = verdict(ledger, 'authentication', { claims });
  t.like(verified, { verdict: 'violated', claimed: true });
  t.true(isClaimViolation(verified));
  t.notRegex(verified.detail, /within the claim/, 'every finding lies within the claim: said once');
});

test('a forgery accepted after the app showed the peer\'s identity changed is outside a verified-only claim: the notice cleared the verification', (t) => {
  const ledger = chat(['alice']);
  ledger.verifications.set(pairKey('bob', 'carol'), { step: 0, matched: true });
  ledger.alerts.push({ step: 2, user: 'bob', device: 'phone', kind: 'identity-changed', about: 'carol' });
  accept(ledger, 'bob.phone', 'm0', 'carol.phone' as DeviceAddress, 2, 'forged');
  const claims: Claim[] = [{ property: 'authentication', adversaries: ['server'], scope: 'verified' }];
  const afterNotice = verdict(ledger, 'authentication', { claims });
  t.like(afterNotice, { verdict: 'violated', claimed: true, notClaimedFor: 'unverified messages' });
  t.false(isClaimViolation(afterNotice));
  // The same notice about someone else leaves the chat with Carol verified.
  ledger.alerts[0] = { ...ledger.alerts[0]!, about: 'dave' };
  t.true(isClaimViolation(verdict(ledger, 'authentication', { claims })));
});

// --- replay --------------------------------------------------------------------------

test('replay holds when each envelope is accepted once', (t) => {
  t.is(verdict(chat(['alice', 'bob', 'alice']), 'replay').verdict, 'holds');
});

test('replay is violated by the same message accepted twice by one device', (t) => {
  const ledger = chat(['alice', 'bob']);
  accept(ledger, 'bob.phone', 'm0', 'alice.phone', 2, 'other-ciphertext');
  const result = verdict(ledger, 'replay');
  t.is(result.verdict, 'violated');
  t.regex(result.detail, /bob\.phone accepted m0 twice/);
});

test('replay is not violated by one message accepted once by each of two devices', (t) => {
  const ledger = chat(['alice']);
  accept(ledger, 'bob.laptop' as DeviceAddress, 'm0', 'alice.phone', 0);
  t.is(verdict(ledger, 'replay').verdict, 'holds');
});

// --- membership ----------------------------------------------------------------------

test('membership holds when messages go only to linked devices', (t) => {
  t.is(verdict(chat(['alice', 'bob']), 'membership').verdict, 'holds');
});

test('membership is violated by a device the user never linked', (t) => {
  const ledger = chat([]);
  addMessage(ledger, { id: 'g', step: 0, from: 'alice.phone', to: 'bob', encryptedTo: ['bob.phone', 'bob.ghost' as DeviceAddress] });
  const result = verdict(ledger, 'membership');
  t.is(result.verdict, 'violated');
  t.regex(result.detail, /bob\.ghost/);
});

test('membership is violated by a member nobody added', (t) => {
  const ledger = chat([]);
  addMessage(ledger, { id: 'g', step: 0, from: 'alice.phone', to: 'bob', encryptedTo: ['bob.phone', 'mallory.phone' as DeviceAddress] });
  t.regex(verdict(ledger, 'membership').detail, /mallory is not a member/);
});

// --- metadata ------------------------------------------------------------------------

test('metadata reports what the adversary saw', (t) => {
  const report = judge({
    ledger: chat(['alice']),
    holdings: [],
    position: NOBODY,
    adversary: { name: 'network', active: false, metadata: ['sender', 'size'] },
    claims: [],
  });
  const result = report.properties.find((p) => p.property === 'metadata')!;
  t.deepEqual(result.seen, ['sender', 'size']);
  t.false(result.claimed);
});

test('a claim is marked on the property it covers only for the adversaries it names', (t) => {
  const claims: Claim[] = [{ property: 'confidentiality', adversaries: ['network'] }];
  t.false(verdict(chat(['alice']), 'confidentiality', { claims }).claimed);
  const report = judge({ ledger: chat(['alice']), holdings: [], position: NOBODY, adversary: { ...PASSIVE, name: 'network' }, claims });
  t.true(report.properties.find((p) => p.property === 'confidentiality')!.claimed);
});

test('a group leak violates confidentiality but not a claim for one-to-one conversations, and a one-to-one leak not one for groups', (t) => {
  const ledger = chat(['alice']);
  const group = addMessage(ledger, { id: 'g', step: 1, from: 'alice.phone', to: 'bob' });
  group.toKind = 'group';
  const oneToOne: Claim[] = [{ property: 'confidentiality', adversaries: ['server'], conversations: 'one-to-one' }];
  const groups: Claim[] = [{ property: 'confidentiality', adversaries: ['server'], conversations: 'groups' }];
  const outside = verdict(ledger, 'confidentiality', { claims: oneToOne, leaked: ['g'] });
  t.like(outside, { verdict: 'violated', claimed: true, notClaimedFor: 'groups' });
  t.regex(outside.detail, /^1 message leaked: g \(decrypt\); within the claim: none of 1 message leaked .* \(claim: one-to-one conversations only\)$/);
  t.true(isClaimViolation(verdict(ledger, 'confidentiality', { claims: oneToOne, leaked: ['m0'] })));
  t.like(verdict(ledger, 'confidentiality', { claims: groups, leaked: ['m0'] }), { verdict: 'violated', notClaimedFor: 'one-to-one conversations' });
  t.true(isClaimViolation(verdict(ledger, 'confidentiality', { claims: groups, leaked: ['g'] })));
});

test('a claim for verified one-to-one messages names what a violation outside it lies in: groups, unverified messages, or both', (t) => {
  const ledger = chat(['alice']);
  const verifiedGroup = addMessage(ledger, { id: 'vg', step: 1, from: 'alice.phone', to: 'bob', verified: true });
  const unverifiedGroup = addMessage(ledger, { id: 'ug', step: 2, from: 'alice.phone', to: 'bob' });
  verifiedGroup.toKind = 'group';
  unverifiedGroup.toKind = 'group';
  const claims: Claim[] = [{ property: 'confidentiality', adversaries: ['server'], scope: 'verified', conversations: 'one-to-one' }];
  const outside = (...leaked: string[]) => verdict(ledger, 'confidentiality', { claims, leaked }).notClaimedFor;
  t.is(outside('m0'), 'unverified messages');
  t.is(outside('vg'), 'groups');
  t.is(outside('m0', 'vg'), 'groups or unverified messages');
  t.is(outside('ug'), 'groups or unverified messages');
});

test('a verdict that holds carries no claim-scope note', (t) => {
  const claims: Claim[] = [{ property: 'confidentiality', adversaries: ['server'], conversations: 'one-to-one' }];
  const result = verdict(chat(['alice']), 'confidentiality', { claims });
  t.is(result.verdict, 'holds');
  t.false('notClaimedFor' in result);
});

test('an incomplete attack that leaked a group message leaves the one-to-one claim inconclusive, not as holding (SPEC §5: a verdict covers every message; without a complete attack only a leak found is a finding)', (t) => {
  const ledger = chat(['alice']);
  const group = addMessage(ledger, { id: 'g', step: 1, from: 'alice.phone', to: 'bob' });
  group.toKind = 'group';
  const claims: Claim[] = [{ property: 'confidentiality', adversaries: ['server'], conversations: 'one-to-one' }];
  const result = judge({
    ledger,
    holdings: leakedAs('g'),
    position: NOBODY,
    adversary: PASSIVE,
    claims,
    inconclusive: 'the attack could not restore the one-to-one sessions',
  }).properties.find((p) => p.property === 'confidentiality')!;
  t.like(result, { verdict: 'violated', notClaimedFor: 'groups', withinClaim: 'inconclusive' });
  t.false(isClaimViolation(result));
  t.is(verdictWording(result), 'violated, not claimed for groups; inconclusive within the claim');
  t.regex(result.detail, /^the attack could not restore the one-to-one sessions; 1 message leaked: g/);
  // With a complete attack the in-scope part holds and needs no mention.
  t.false('withinClaim' in verdict(ledger, 'confidentiality', { claims, leaked: ['g'] }));
});
