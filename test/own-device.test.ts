/**
 * A device linked to the victim's own account behind their back: a seized phone's image
 * (`clone`'s capabilities: the image, and a registration at the provider beside the phone)
 * provisions a device of the thief's own, as the phone itself would link one. Its signed
 * device list then names the thief's device, so every peer encrypts to it. Signal and
 * WhatsApp tell the account's user that a device was linked ("Linked devices"); the app
 * learns of it when it next reads its own device list: at its next send, or when the new
 * device first writes to it (a linked device syncs with the primary at once).
 */
import test from 'ava';
import type { Adversary, Attack, Holding } from '../attacks/types.ts';
import { adversaries } from '../attacks/registry.ts';
import type { RunReport } from '../harness/report/types.ts';
import { deviceAddress, type DeviceAddress } from '../harness/scenario/types.ts';
import { executeRun } from '../harness/runner.ts';
import { cryptoBackend } from '../harness/crypto/index.ts';
import { loadAllTargets } from '../targets/registry.ts';
import { builtIn, message, property } from './helpers/audit.ts';

const targets = await loadAllTargets();
const THIEF_DEVICE = 'spare';

/** At the seizure, the image of Bob's phone links `bob.spare`, which reads what reaches it; `sync`: it then writes to its own account once. */
function linkedByTheThief(sync: boolean): Adversary {
  const base = adversaries['clone']!;
  return {
    ...base,
    // Under clone's name, so that the scenario's clone parameters (the device, the mark) are its own.
    prepare({ scenario, params }) {
      const { device, at } = base.params!.parse(params) as { device: string; at: string };
      const phone = device as DeviceAddress;
      const strikeStep = scenario.marks[at]!;
      const holdings: Holding[] = [];
      const attack: Attack = {
        position: { strikeStep, compromisedDevice: phone, removedMember: null },
        async afterStep(index, view) {
          if (index !== strikeStep) return;
          const image = await view.imageDevice(phone);
          const copy = await view.design.restoreClient({ ...view.deviceContext(phone), provider: view.registerAs(phone, async () => {}) }, image);
          const provisioning = await copy.provisionDevice(THIEF_DEVICE);
          const address = deviceAddress('bob', THIEF_DEVICE);
          let spareClient: Awaited<ReturnType<typeof view.design.createClient>> | null = null;
          const provider = view.registerAs(address, async (envelope) => {
            const received = await spareClient?.receive(envelope).catch(() => null);
            if (received) holdings.push({ bytes: received.body, via: 'linked-device' });
          });
          spareClient = view.design.createClient({ ...view.deviceContext(address), provider });
          await spareClient.register(provisioning);
          if (sync) await spareClient.send({ id: 'sync-request', to: { kind: 'user', user: 'bob' }, body: new TextEncoder().encode('linked: send me your contacts') });
        },
        async conclude() {
          return holdings;
        },
      };
      return attack;
    },
  };
}

async function runWith(target: string, adversary: Adversary): Promise<RunReport> {
  return executeRun({ design: targets[target]!, scenario: builtIn('stolen-phone'), adversary }, 1, cryptoBackend('node'));
}

const newDevice = (report: RunReport) => report.alerts.filter((a) => a.kind === 'new-device').map((a) => `${a.step} ${a.user}.${a.device} ${a.about}`);

for (const target of ['signal', 'libsignal', 'whatsapp']) {
  test(`${target}: a device the seized phone links reads after-1 to after-6; Bob's phone shows new-device bob.spare at its next send, after-2`, async (t) => {
    const report = await runWith(target, linkedByTheThief(false));
    t.is(report.status, 'ok', report.error ?? '');
    t.deepEqual(report.messages.filter((m) => m.leaked && m.class !== 'exposed').map((m) => `${m.id}:${m.via}`), [
      'after-1:linked-device',
      'after-2:linked-device',
      'after-3:linked-device',
      'after-4:linked-device',
      'after-5:linked-device',
      'after-6:linked-device',
    ]);
    const bobsAlert = newDevice(report).filter((a) => a.includes(' bob.phone '));
    t.deepEqual(bobsAlert, [`${message(report, 'after-2').step} bob.phone bob.spare`]);
    for (const id of ['after-2', 'after-3', 'after-4', 'after-5', 'after-6']) t.like(message(report, id), { noticed: true }, id);
    if (target === 'whatsapp') {
      // WhatsApp also tells Alice that her contact linked a device, before after-1 goes out.
      t.deepEqual(newDevice(report).filter((a) => a.includes(' alice.phone ')), [`${message(report, 'after-1').step} alice.phone bob.spare`]);
      t.like(message(report, 'after-1'), { noticed: true });
      t.is(property(report, 'detection').verdict, 'holds');
    } else {
      // Signal shows a contact's new device nothing (the safety number is the account's).
      t.like(message(report, 'after-1'), { noticed: false });
      t.is(property(report, 'detection').verdict, 'violated');
      t.regex(property(report, 'detection').detail, /^1 message obtained or forged with no alert to the users affected: after-1 \(obtained\)$/);
    }
  });

  test(`${target}: a linked device that syncs with the phone at once, as Signal's do, is shown there before anything is read`, async (t) => {
    const report = await runWith(target, linkedByTheThief(true));
    t.is(report.status, 'ok', report.error ?? '');
    const seizure = builtIn('stolen-phone').marks['seizure']!;
    t.deepEqual(newDevice(report).filter((a) => a.includes(' bob.phone ')), [`${seizure} bob.phone bob.spare`]);
    t.true(message(report, 'after-1').leaked);
    t.like(message(report, 'after-1'), { noticed: true });
    t.is(property(report, 'detection').verdict, 'holds');
  });
}

test("ghost: a device the provider lists for Bob's own account is taken by Bob's phone without a word", async (t) => {
  const report = await executeRun({ design: targets['ghost']!, scenario: builtIn('stolen-phone'), adversary: adversaries['malicious-server']! }, 1, cryptoBackend('node'));
  t.true(report.messages.filter((m) => m.id.startsWith('after-') && m.from === 'bob.phone').every((m) => m.leaked));
  t.deepEqual(newDevice(report), []);
  t.is(property(report, 'membership').verdict, 'violated');
});
