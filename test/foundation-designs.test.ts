/**
 * The two simple designs against the foundation's adversaries, message by message: what a
 * seized phone, the provider and the network recover from a one-to-one chat with deletion.
 */
import test from 'ava';
import { builtIn, leakPattern, message, property, run } from './helpers/audit.ts';

const stolenPhone = builtIn('stolen-phone');

test('static-e2ee: a seized phone opens the deleted earlier messages and every later one', async (t) => {
  const report = await run('static-e2ee', stolenPhone, 'stolen-device');
  t.is(report.status, 'ok');
  t.deepEqual(leakPattern(report), [
    'plan:before:leaked(decrypt)',
    'ack:exposed:leaked(device-image)',
    'source:before:leaked(decrypt)',
    'kept:exposed:leaked(device-image)',
    'after-1:after:leaked(decrypt)',
    'after-2:after:leaked(decrypt)',
    'after-3:after:leaked(decrypt)',
    'after-4:after:leaked(decrypt)',
    'after-5:after:leaked(decrypt)',
    'after-6:after:leaked(decrypt)',
  ]);
  t.is(property(report, 'forward-secrecy').verdict, 'violated');
  t.is(property(report, 'post-compromise-security').verdict, 'violated');
  t.is(property(report, 'post-compromise-security').healedAfter, null);
});

test('static-e2ee: the network and the provider recover nothing', async (t) => {
  for (const adversary of ['network', 'server']) {
    const report = await run('static-e2ee', stolenPhone, adversary);
    t.deepEqual(report.messages.filter((m) => m.leaked).map((m) => m.id), [], adversary);
    t.true(report.messages.every((m) => m.class === 'unrelated' && m.delivered), adversary);
    t.is(property(report, 'confidentiality').verdict, 'holds', adversary);
    t.true(property(report, 'confidentiality').claimed, adversary);
  }
});

test('server-side: the provider reads every message in clear; the network reads none', async (t) => {
  const server = await run('server-side', stolenPhone, 'server');
  t.deepEqual(server.messages.map((m) => `${m.id}:${m.via}`), server.messages.map((m) => `${m.id}:cleartext`));
  t.is(property(server, 'confidentiality').verdict, 'violated');
  t.false(property(server, 'confidentiality').claimed);

  const network = await run('server-side', stolenPhone, 'network');
  t.is(network.summary.leaked, 0);
  t.is(property(network, 'confidentiality').verdict, 'holds');
  t.true(property(network, 'confidentiality').claimed);
});

test('messages still stored on the seized phone are exposed, deleted ones are not', async (t) => {
  const report = await run('static-e2ee', stolenPhone, 'stolen-device');
  t.is(message(report, 'ack').class, 'exposed');
  t.is(message(report, 'kept').class, 'exposed');
  t.is(message(report, 'plan').class, 'before');
  t.is(message(report, 'source').class, 'before');
  t.is(report.strikeStep, stolenPhone.marks['seizure']);
});

test('offline laptop: every message reaches every device once it is back online', async (t) => {
  const scenario = builtIn('offline-laptop');
  for (const target of ['static-e2ee', 'server-side']) {
    const report = await run(target, scenario, 'network');
    t.true(report.messages.length > 0);
    t.deepEqual(report.messages.filter((m) => !m.delivered).map((m) => m.id), [], target);
  }
});

test('a stolen device is judged the same on both cryptography backends', async (t) => {
  const node = await run('static-e2ee', stolenPhone, 'stolen-device', { crypto: 'node' });
  const noble = await run('static-e2ee', stolenPhone, 'stolen-device', { crypto: 'noble' });
  t.deepEqual(noble, node);
});

test('server-side has no safety numbers: a verify step is noted and the conversation goes on unverified', async (t) => {
  const report = await run('server-side', builtIn('verified-chat'), 'server');
  t.is(report.status, 'ok');
  t.true(report.messages.length > 0);
  t.true(report.messages.every((m) => !m.verified && m.leaked && m.via === 'cleartext'));
  t.true((report.notes ?? []).some((n) => /server-side has no safety numbers/.test(n)));
});
