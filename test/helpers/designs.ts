/**
 * Test-only designs: variants of the built-in ones that isolate one mechanism, run through
 * the same runner and judge as the built-ins.
 */
import { adversaryNamed } from '../../attacks/registry.ts';
import { cryptoBackend } from '../../harness/crypto/index.ts';
import type { RunReport } from '../../harness/report/types.ts';
import { executeRun } from '../../harness/runner.ts';
import type { Scenario } from '../../harness/scenario/types.ts';
import { LibsignalClient } from '../../targets/libsignal/client.ts';
import { libsignal } from '../../targets/libsignal/design.ts';
import { SignalClient, type SignalOptions } from '../../targets/signal/client.ts';
import { reconstructSignalDevice } from '../../targets/signal/quantum.ts';
import { SIGNAL_OPTIONS, signal } from '../../targets/signal.ts';
import type { Design } from '../../targets/types.ts';

const X3DH_OPTIONS: SignalOptions = { secureDelete: true, postQuantum: false };

/**
 * `signal` with the ML-KEM part of PQXDH removed: X3DH and the Double Ratchet alone, every
 * session key made of X25519 values only (WhatsApp's published design has this shape).
 */
export const signalWithoutPostQuantum: Design = {
  ...signal,
  name: 'signal-without-ml-kem',
  description: 'signal with X3DH instead of PQXDH: no ML-KEM secret in any session key',
  createClient: (context) => new SignalClient(context, X3DH_OPTIONS),
  restoreClient: (context, image) => new SignalClient(context, X3DH_OPTIONS).restore(image),
  reconstructDevice: (context, upload, privateKeyOf) => reconstructSignalDevice(new SignalClient(context, X3DH_OPTIONS), upload, privateKeyOf),
};

const UNSEALED: SignalOptions = { ...SIGNAL_OPTIONS, sealedSender: false };

/**
 * `signal` and `libsignal` with sealed sender off: their envelopes carry the session's own
 * message in the clear, so malformed and fuzzed fields reach the session's parsing (inside
 * the sealed layer, which authenticates its contents, the message is the same).
 */
export const unsealedDesigns: readonly Design[] = [
  {
    ...signal,
    name: 'signal-unsealed',
    createClient: (context) => new SignalClient(context, UNSEALED),
    restoreClient: (context, image) => new SignalClient(context, UNSEALED).restore(image),
    reconstructDevice: (context, upload, privateKeyOf) => reconstructSignalDevice(new SignalClient(context, UNSEALED), upload, privateKeyOf),
  },
  {
    ...libsignal,
    name: 'libsignal-unsealed',
    createClient: (context) => new LibsignalClient(context, { sealedSender: false }),
    restoreClient: (context, image) => new LibsignalClient(context, { sealedSender: false }).restore(image),
  },
];

/** A run of a design that is not in the registry, against a built-in adversary or composite. */
export function runDesign(design: Design, scenario: Scenario, adversary: string, seed = 1): Promise<RunReport> {
  return executeRun({ design, scenario, adversary: adversaryNamed(adversary) }, seed, cryptoBackend('node'));
}

/** The ids of the messages that leaked, in report order. */
export function leakedIds(run: RunReport): string[] {
  return run.messages.filter((m) => m.leaked).map((m) => m.id);
}
