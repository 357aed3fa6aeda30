/**
 * The hot path: what one Double Ratchet message of the reference `signal` costs against the
 * primitives it calls, and how `signal` compares with libsignal-client.
 *
 * - A counting proxy around a backend records every primitive call (and its size) while a
 *   message runs; the primitive benchmarks of the run price each call; the ratio of the
 *   measured message time to that sum is the protocol's own overhead (encoding, copying,
 *   state handling). Measured for the bare ratchet (./ratchet-message.ts, imported when measured), timed as the
 *   rows are; a whole client message (history database, envelope, payload encoding,
 *   provider) is compared too, for information.
 * - `signal` on `node` against `libsignal` on `messages 1KiB alternating`, timed side by side:
 *   rounds in which each target sends a batch in turn (see `sideBySide`).
 *
 * This module gathers the findings in order; each is measured in its own module:
 * side-by-side.ts (`signal` against `libsignal`) and primitive-overhead.ts (a message against
 * its primitive calls, which primitive-calls.ts counts and records and call-pricing.ts prices).
 */
import type { CryptoBackend } from '../harness/crypto/backend.ts';
import type { BenchResult, Timing } from './core.ts';
import { OWN_CRYPTO, PROTOCOL_TASKS } from './protocol.ts';
import type { Finding } from './finding.ts';
import { signalAgainstLibsignal, type SideBySidePlan } from './side-by-side.ts';
import { clientOverhead, ratchetOverhead } from './primitive-overhead.ts';

// Importers have found these here since before the hot path was split into modules.
export { countingBackend, recordingBackend, replayCalls, summariseCalls, type PrimitiveCall, type RecordedCall } from './primitive-calls.ts';
export { pricer } from './call-pricing.ts';
export { formatFinding, type Finding } from './finding.ts';
export { median, SIDE_BY_SIDE, sideBySide, type SideBySide, type SideBySidePlan } from './side-by-side.ts';
export { countRatchetMessage, pricedTogether } from './primitive-overhead.ts';

export interface HotPathOptions {
  backends: readonly CryptoBackend[];
  /** How the bare ratchet message is timed (as the rows are, with a longer budget). */
  timing: Timing;
  /** How `signal` and `libsignal` are timed side by side. */
  sideBySide: SideBySidePlan;
  quick: boolean;
}

/** The findings, in order: the side-by-side ratio, then per backend the ratchet's and the client message's overhead. */
export async function hotPath(results: readonly BenchResult[], options: HotPathOptions): Promise<Finding[]> {
  const findings: Finding[] = [];
  const alternating = (target: string, crypto: string) =>
    results.find((r) => r.group === 'protocol' && r.task === PROTOCOL_TASKS.alternating && r.target === target && r.crypto === crypto);

  // signal on node against libsignal, timed side by side when both rows were measured.
  findings.push(await signalAgainstLibsignal(alternating('signal', 'node'), alternating('libsignal', OWN_CRYPTO), options));
  for (const crypto of options.backends) {
    findings.push(await ratchetOverhead(results, crypto, options.quick));
    findings.push(await clientOverhead(results, crypto, alternating('signal', crypto.name)));
  }
  return findings;
}
