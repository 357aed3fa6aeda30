/**
 * Exceptional access as a design: whoever holds the escrow key reads everything, the past
 * included; the reference messenger gives a thief of that key nothing.
 */
import test from 'ava';
import { builtIn, leakPattern, property, run } from './helpers/audit.ts';

const stolenPhone = builtIn('stolen-phone');

test('escrow vs escrow-thief: every message leaks, those before the theft included', async (t) => {
  const report = await run('escrow', stolenPhone, 'escrow-thief');
  t.deepEqual(
    leakPattern(report),
    ['plan', 'ack', 'source', 'kept'].map((id) => `${id}:before:leaked(escrow)`).concat(
      [1, 2, 3, 4, 5, 6].map((n) => `after-${n}:after:leaked(escrow)`),
    ),
  );
  t.is(property(report, 'forward-secrecy').verdict, 'violated');
  t.false(property(report, 'confidentiality').claimed);
});

test('escrow vs escrow-agent: every message leaks', async (t) => {
  const report = await run('escrow', stolenPhone, 'escrow-agent');
  t.true(report.messages.every((m) => m.leaked && m.via === 'escrow'));
  t.is(report.summary.leaked, 10);
});

test('escrow vs network, server and quantum: nothing leaks, as in the reference', async (t) => {
  for (const adversary of ['network', 'server', 'quantum']) {
    const report = await run('escrow', stolenPhone, adversary);
    t.is(report.summary.leaked, 0, adversary);
    t.is(property(report, 'confidentiality').verdict, 'holds', adversary);
    t.true(property(report, 'confidentiality').claimed, adversary);
  }
});

test('signal vs escrow-thief and escrow-agent: nothing leaks, the claim holds', async (t) => {
  for (const adversary of ['escrow-thief', 'escrow-agent']) {
    const report = await run('signal', stolenPhone, adversary);
    t.is(report.summary.leaked, 0, adversary);
    t.is(property(report, 'confidentiality').verdict, 'holds');
    t.true(property(report, 'confidentiality').claimed);
  }
});
