/**
 * Post-compromise security judged from the compromised device (SPEC §5), on the theory
 * scenarios of test/theory/: the Double Ratchet (`signal`) and MLS (`mls`) heal only when the
 * seized device itself sends fresh keys (DR §3.5: a new ratchet key; RFC 9420 §12.4, §16.6: a
 * commit that updates its leaf), so the two-round-trip window opens at its first send after
 * the seizure, and a device that never sends again gives `inconclusive`.
 */
import test from 'ava';
import { loadOptions } from '../app/cli/catalogue.ts';
import { loadScenarioFile } from '../harness/scenario/load.ts';
import { property, run } from './helpers/audit.ts';

const theory = (name: string) => loadScenarioFile(new URL(`./theory/${name}.yaml`, import.meta.url).pathname, loadOptions);
const silentDevice = theory('pcs-silent-device');
const windowFromFirstSend = theory('pcs-window-from-first-send');

/** `id:leaked-or-clean` for every message after the strike. */
const afterStrike = (report: Awaited<ReturnType<typeof run>>): string[] =>
  report.messages.filter((m) => m.class === 'after').map((m) => `${m.id}:${m.leaked ? m.via : 'clean'}`);

for (const target of ['signal', 'mls']) {
  test(`${target}: a seized phone that never sends again leaks every later message, and post-compromise security is inconclusive, not violated`, async (t) => {
    const report = await run(target, silentDevice, 'stolen-device');
    t.is(report.status, 'ok', report.error ?? '');
    t.deepEqual(afterStrike(report), ['after-1:decrypt', 'after-2:decrypt', 'after-3:decrypt', 'after-4:decrypt', 'after-5:decrypt', 'after-6:decrypt']);
    const pcs = property(report, 'post-compromise-security');
    t.is(pcs.verdict, 'inconclusive', pcs.detail);
    t.is(pcs.healedAfter, null);
    t.regex(pcs.detail, /bob\.phone sent nothing in bob and alice after the strike/);
  });

  test(`${target}: leaks stop at the seized phone's first send, two and a half round trips after the seizure, and post-compromise security holds`, async (t) => {
    const report = await run(target, windowFromFirstSend, 'stolen-device');
    t.is(report.status, 'ok', report.error ?? '');
    t.deepEqual(afterStrike(report), [
      'a1:decrypt',
      'l1:decrypt',
      'a2:decrypt',
      'l2:decrypt',
      'a3:decrypt',
      'p1:clean',
      'a4:clean',
      'p2:clean',
      'a5:clean',
      'l3:clean',
      'a6:clean',
    ]);
    const pcs = property(report, 'post-compromise-security');
    t.is(pcs.verdict, 'holds', pcs.detail);
    t.is(pcs.healedAfter, 5);
  });
}
