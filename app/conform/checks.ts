/**
 * The checks of `keyhole conform` (docs/client-protocol.md): the handshake and refusals of bad
 * requests on a raw session, then every operation through built-in scenarios run on the
 * command as a target (one-to-one, groups, a stolen device's image restored and replayed, a
 * restored copy that goes on receiving, a hostile provider's tampering and replays),
 * and determinism (the same seed twice gives the same report and uploads the same bytes).
 */
import { join } from 'node:path';

import { adversaryNamed } from '../../attacks/registry.ts';
import { commandDesign } from '../../targets/command/design.ts';
import { BUILT_IN_SCENARIOS, loadOptions } from '../cli/catalogue.ts';
import { cryptoBackend } from '../../harness/crypto/index.ts';
import { PROTOCOL } from '../../harness/client-protocol/limits.ts';
import type { RunReport } from '../../harness/report/types.ts';
import { executeRun } from '../../harness/runner.ts';
import { loadScenarioFile } from '../../harness/scenario/load.ts';
import { RawSession } from './raw.ts';
import { recordingUploads, uploadDigest } from './uploads.ts';

export interface CheckResult {
  name: string;
  /** What the client did wrong; empty when it passed. */
  failures: string[];
}

export interface ConformOptions {
  timeoutMs: number;
  /** Called as each check finishes. */
  onCheck?(result: CheckResult): void;
}

/** Requests a client must refuse with `bad-request`, keyed by check name. */
const BAD_REQUESTS: Record<string, string> = {
  'bad request: not JSON': '{"id": 90, "op": "create",',
  'bad request: unknown op': '{"id":91,"op":"teleport","client":"c1"}',
  'bad request: unknown client': '{"id":92,"op":"exportState","client":"nobody"}',
  'bad request: missing field': '{"id":93,"op":"safetyNumber"}',
  'bad request: bytes not base64': '{"id":94,"op":"receive","client":"nobody","envelope":{"from":"a.b","to":"c.d","body":"%%%"}}',
};

export async function conformanceChecks(command: readonly string[], options: ConformOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const record = (result: CheckResult) => {
    results.push(result);
    options.onCheck?.(result);
  };
  for (const result of await rawChecks(command, options.timeoutMs)) record(result);
  const design = commandDesign({ name: 'command', command, claims: [], timeoutMs: options.timeoutMs, startTimeoutMs: Math.max(options.timeoutMs, 60_000) });
  const crypto = cryptoBackend('node');
  const run = (scenario: string, adversary: string, seed = 1, using = design) =>
    executeRun({ design: using, scenario: builtIn(scenario), adversary: adversaryNamed(adversary) }, seed, crypto);

  const firstUploads = uploadDigest();
  const oneToOne = await run('first-contact', 'network', 1, recordingUploads(design, firstUploads));
  record({ name: 'one-to-one: register, provisionDevice, send, receive, safetyNumber, recordVerification', failures: runProblems(oneToOne, true) });
  const groups = await run('family-group', 'network');
  record({ name: 'groups: createGroup, addMember, removeMember, send and receive in a group', failures: runProblems(groups, true) });
  const stolen = await run('stolen-phone', 'stolen-device');
  record({ name: 'device image: exportState, restore, openSent, deleteMessages', failures: runProblems(stolen, false) });
  const cloned = await run('stolen-phone', 'clone');
  record({ name: 'restored image: a copy restored from an image opens the next message to its device', failures: restoreProblems(cloned) });
  const forged = await run('first-contact', 'malicious-server');
  // Refusals are expected here; a client that answers one as `failed` makes the run an error run.
  record({ name: 'refusals: envelopes a hostile provider tampered with, replayed or forged are refused with a code, not a failure', failures: forged.status === 'ok' ? [] : runProblems(forged, false) });
  const againUploads = uploadDigest();
  const again = await run('first-contact', 'network', 1, recordingUploads(design, againUploads));
  record({
    name: 'determinism: the same random stream and clock give the same run',
    failures:
      oneToOne.status !== 'ok'
        ? ['not checked: the one-to-one run did not complete']
        : JSON.stringify(again) !== JSON.stringify(oneToOne)
          ? ['two runs with seed 1 differ: the client draws randomness or time from elsewhere than random and now']
          : firstUploads.digest('hex') !== againUploads.digest('hex')
            ? ['two runs with seed 1 upload different bytes (keys, envelopes): the client draws randomness or time from elsewhere than random and now']
            : [],
  });
  return results;
}

/** A built-in scenario, from the package folder (compiled code in dist/ has no scenarios beside it). */
function builtIn(name: string) {
  return loadScenarioFile(join(BUILT_IN_SCENARIOS, `${name}.yaml`), loadOptions);
}

/**
 * The clone restored from bob.phone's image at `seizure` (stolen-phone) receives `after-1`, the
 * next message to that device: a copy restored from an image holds the sessions as they stood,
 * so it opens it, as every built-in design's does. A client whose restored copies open nothing
 * would make every seizure look harmless.
 */
function restoreProblems(run: RunReport): string[] {
  // The clone and the real device desynchronise, so refusals are expected here.
  if (run.status !== 'ok') return runProblems(run, false);
  const next = run.messages.find((m) => m.id === 'after-1');
  return next?.leaked ? [] : ['a copy restored from bob.phone\'s image at seizure did not open after-1, the next message sent to bob.phone: restore must bring back the keys and sessions the image holds'];
}

function runProblems(run: RunReport, allDelivered: boolean): string[] {
  if (run.status !== 'ok') return [run.error ?? run.notes?.[0] ?? `the run is ${run.status}`];
  const problems = (run.notes ?? []).filter((note) => note.startsWith('clients rejected'));
  if (allDelivered) {
    const undelivered = run.messages.filter((m) => !m.delivered).map((m) => m.id);
    if (undelivered.length > 0) problems.push(`messages not delivered with no adversary in the way: ${undelivered.join(', ')}`);
    const unreadable = run.messages.filter((m) => m.delivered && m.unreadable).map((m) => `${m.id} (on ${m.unreadable!.join(', ')})`);
    if (unreadable.length > 0) problems.push(`messages delivered but unreadable with no adversary in the way: ${unreadable.join(', ')}`);
  }
  return problems;
}

async function rawChecks(command: readonly string[], timeoutMs: number): Promise<CheckResult[]> {
  const session = new RawSession(command);
  const results: CheckResult[] = [];
  try {
    session.send(JSON.stringify({ id: 1, op: 'hello', protocol: PROTOCOL }));
    const hello = await session.next(Math.max(timeoutMs, 60_000));
    const helloFailures: string[] = [];
    if ('missing' in hello) helloFailures.push(`hello: ${String(hello.missing)}`);
    else if (hello.id !== 1 || hello.ok !== true) helloFailures.push(`hello: expected {"id":1,"ok":true,...}, got ${JSON.stringify(hello).slice(0, 200)}`);
    else if (hello.protocol !== PROTOCOL) helloFailures.push(`hello: expected protocol ${PROTOCOL}, got ${JSON.stringify(hello.protocol)}`);
    results.push({ name: 'hello: answers with the protocol it speaks', failures: helloFailures });
    if (helloFailures.length > 0) return results;
    for (const [name, line] of Object.entries(BAD_REQUESTS)) {
      session.send(line);
      const answer = await session.next(timeoutMs);
      const failures: string[] = [];
      if ("missing" in answer) failures.push(String(answer.missing));
      else if (answer.ok !== false || (answer.error as { code?: unknown } | undefined)?.code !== 'bad-request') {
        failures.push(`expected an answer with ok false and error code bad-request, got ${JSON.stringify(answer).slice(0, 200)}`);
      }
      results.push({ name, failures });
      if ('missing' in answer) break;
    }
  } finally {
    await session.close();
  }
  return results;
}
