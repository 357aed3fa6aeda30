/**
 * The audit: every (target, scenario, adversary) of the matrix, each run on its own world
 * and fully determined by the seed, then judged. A target that throws is recorded as an
 * `error` run; the other runs go on.
 */
import type { Adversary, Attack, Holding } from '../attacks/types.ts';
import type { Design } from '../targets/types.ts';
import type { CryptoBackend } from './crypto/backend.ts';
import { HarnessDefect, UnsupportedError } from './errors.ts';
import { recordingBackend, type KeyTable } from './crypto/key-table.ts';
import { SEALED_SENDER, type Envelope, type KeyUpload, type OutgoingEnvelope } from './provider/api.ts';
import { byteStringsSeen, decodeWire, type WireRecord } from './provider/wire.ts';
import { judge } from './judge/judge.ts';
import {
  PROPERTY_NAMES,
  REPORT_SCHEMA,
  type Report,
  type RunReport,
  type Violation,
} from './report/types.ts';
import { isClaimViolation } from './report/verdicts.ts';
import { Rng } from './rng.ts';
import type { Scenario } from './scenario/types.ts';
import { TOOL_VERSION } from './version.ts';
import { World, errorMessage } from './world.ts';

export interface RunSpec {
  design: Design;
  scenario: Scenario;
  adversary: Adversary<any>;
}

export interface AuditOptions {
  targets: readonly Design[];
  scenarios: readonly Scenario[];
  adversaries: readonly Adversary<any>[];
  seed: number;
  crypto: CryptoBackend;
  /** Called as each run finishes (progress, streaming reporters). */
  onRun?(run: RunReport, index: number, total: number): void;
}

/** The run matrix, in report order: target, then scenario, then adversary. */
export function runMatrix(options: Pick<AuditOptions, 'targets' | 'scenarios' | 'adversaries'>): RunSpec[] {
  return options.targets.flatMap((design) =>
    options.scenarios.flatMap((scenario) => options.adversaries.map((adversary) => ({ design, scenario, adversary }))),
  );
}

export async function runAudit(options: AuditOptions): Promise<Report> {
  const startedAt = new Date();
  const matrix = runMatrix(options);
  const runs: RunReport[] = [];
  for (const [index, spec] of matrix.entries()) {
    const run = await executeRun(spec, options.seed, options.crypto);
    runs.push(run);
    options.onRun?.(run, index, matrix.length);
  }
  return assembleReport(runs, options.seed, startedAt, Date.now() - startedAt.getTime());
}

export function assembleReport(runs: RunReport[], seed: number, startedAt: Date, durationMs: number): Report {
  return {
    schema: REPORT_SCHEMA,
    tool: { name: 'keyhole', version: TOOL_VERSION },
    seed,
    timing: { startedAt: startedAt.toISOString(), durationMs },
    runs,
    violations: violationsOf(runs),
  };
}

export function violationsOf(runs: readonly RunReport[]): Violation[] {
  return runs.flatMap((run) =>
    run.properties
      .filter(isClaimViolation)
      .map((p) => ({ target: run.target, scenario: run.scenario, adversary: run.adversary, property: p.property, detail: p.detail })),
  );
}

/** How long one run may take before it is recorded as an error (a target that hangs). */
export const RUN_TIME_LIMIT_MS = 300_000;

export async function executeRun(
  spec: RunSpec,
  seed: number,
  crypto: CryptoBackend,
  timeLimitMs: number = RUN_TIME_LIMIT_MS,
): Promise<RunReport> {
  const run = await executeOneRun(spec, seed, crypto, timeLimitMs);
  if (spec.adversary.parts && run.status === 'ok') await checkMonotonicity(run, spec, seed, crypto, timeLimitMs);
  return run;
}

/**
 * The monotonicity self-check (SPEC §4): a composite holds every capability of each part, so
 * it recovers at least what each part recovers alone with the same seed. A run where it does
 * not is a defect of the harness (an attack that uses a capability badly), never a finding;
 * except what a part obtains through a way in it declares it forgoes in a composite
 * (`forgoneInComposite`), which the composite's notes name.
 */
async function checkMonotonicity(composite: RunReport, spec: RunSpec, seed: number, crypto: CryptoBackend, timeLimitMs: number): Promise<void> {
  const recovered = new Set(composite.messages.filter((m) => m.leaked).map((m) => m.id));
  for (const part of spec.adversary.parts!) {
    const alone = await executeOneRun({ ...spec, adversary: part }, seed, crypto, timeLimitMs);
    if (alone.status !== 'ok') {
      // Nothing to compare with; the report says so rather than passing over it.
      const why = alone.status === 'error' ? `it failed alone: ${alone.error}` : `it is not applicable alone: ${alone.notes?.[0] ?? ''}`;
      (composite.notes ??= []).push(`not checked to recover at least what ${part.name} recovers alone (SPEC §4): ${why}`);
      continue;
    }
    const lost = alone.messages.filter((m) => m.leaked && !recovered.has(m.id));
    // What the part reads alone through a way in it forgoes in a composite is named, not hidden.
    const forgone = new Set(part.forgoneInComposite ?? []);
    const left = lost.filter((m) => m.via !== null && forgone.has(m.via));
    if (left.length > 0) {
      (composite.notes ??= []).push(
        `${part.name} alone also obtains ${left.map((m) => m.id).join(', ')} (via ${[...new Set(left.map((m) => m.via))].join(', ')}), ` +
          `a way in it does not take in a composite, where it would stop the other parts' messages`,
      );
    }
    const missed = lost.filter((m) => !left.includes(m)).map((m) => m.id);
    if (missed.length > 0) {
      throw new HarnessDefect(
        `${spec.adversary.name} recovered fewer messages than its part ${part.name} alone ` +
          `(${spec.design.name} · ${spec.scenario.name}, seed ${seed}): it missed ${missed.join(', ')}`,
      );
    }
  }
}

/** The parameters of an adversary (of each part, for a composite) in a scenario, or why it cannot run there. */
function paramsIn(adversary: Adversary<any>, scenario: Scenario): { params: unknown } | { missing: string } {
  if (adversary.parts) {
    const params: Record<string, unknown> = {};
    for (const part of adversary.parts) {
      const found = paramsIn(part, scenario);
      if ('missing' in found) return found;
      params[part.name] = found.params;
    }
    return { params };
  }
  const raw = scenario.adversaries[adversary.name];
  if (adversary.params && raw === undefined && !adversary.paramsOptional) {
    const wanted = Object.keys((adversary.params as { shape?: object }).shape ?? {}).join(', ');
    return { missing: `${adversary.name} needs parameters (${wanted}) that scenario ${scenario.name} does not give` };
  }
  return { params: adversary.params ? adversary.params.parse(raw ?? {}) : raw };
}

/**
 * One run; a design with `openRun` (a command target) is opened for it and closed after it,
 * and what broke its processes makes the run an `error` run even where the run went on.
 */
async function executeOneRun(spec: RunSpec, seed: number, crypto: CryptoBackend, timeLimitMs: number): Promise<RunReport> {
  if (!spec.design.openRun) return executeOnDesign(spec, seed, crypto, timeLimitMs);
  const base = { target: spec.design.name, scenario: spec.scenario.name, adversary: spec.adversary.name };
  let opened;
  try {
    opened = await withTimeLimit(spec.design.openRun(), timeLimitMs);
  } catch (error) {
    return failedRun(base, errorMessage(error), spec.scenario, null);
  }
  let run: RunReport;
  let broken: Error | null;
  try {
    run = await executeOnDesign({ ...spec, design: opened.design }, seed, crypto, timeLimitMs);
  } finally {
    broken = await opened.close();
  }
  return broken && run.status !== 'error' ? failedRun(base, broken.message, spec.scenario, run) : run;
}

/** An `error` run; `after`: what the run had recorded before it was found broken. */
function failedRun(base: Pick<RunReport, 'target' | 'scenario' | 'adversary'>, error: string, scenario: Scenario, after: RunReport | null): RunReport {
  return {
    ...base,
    status: 'error',
    error,
    notes: after?.notes ?? [],
    marks: scenario.marks,
    strikeStep: after?.strikeStep ?? null,
    messages: [],
    properties: [],
    alerts: after?.alerts ?? [],
    summary: { messages: after?.summary.messages ?? 0, leaked: 0, breached: 0 },
  };
}

async function executeOnDesign(
  { design, scenario, adversary }: RunSpec,
  seed: number,
  crypto: CryptoBackend,
  timeLimitMs: number,
): Promise<RunReport> {
  const base = { target: design.name, scenario: scenario.name, adversary: adversary.name };
  const given = paramsIn(adversary, scenario);
  if ('missing' in given) return notApplicable(base, given.missing, design);
  const { params } = given;
  const rng = Rng.fromSeed(seed, 'run', scenario.name, design.name);
  const capabilities = new Set(adversary.capabilities);
  // The oracle needs every key pair the run creates remembered.
  const keyTable = capabilities.has('discrete-log-oracle') ? recordingBackend(crypto) : null;
  const world = new World({ design, scenario, crypto: keyTable?.backend ?? crypto, rng, seed });
  let attack: Attack | null = null;
  let holdings: Iterable<Holding>;
  try {
    const prepared = adversary.prepare({ scenario, params, rng: Rng.fromSeed(seed, 'adversary', scenario.name, design.name, adversary.name), seed });
    attack = prepared;
    let concluding = false;
    const view = world.view(design, Rng.fromSeed(seed, 'attacker', scenario.name, design.name, adversary.name), {
      capabilities,
      ...(keyTable && { discreteLog: oracle(keyTable, design, world, () => concluding) }),
    });
    holdings = await withTimeLimit(
      (async () => {
        await prepared.start?.(view);
        await world.setUp();
        for (const [index, step] of scenario.steps.entries()) {
          await world.perform(index, step);
          await prepared.afterStep?.(index, view);
        }
        concluding = true;
        return prepared.conclude(view);
      })(),
      timeLimitMs,
    );
  } catch (error) {
    if (error instanceof UnsupportedError) return notApplicable(base, error.message, design);
    return {
      ...base,
      status: 'error',
      error: errorMessage(error),
      notes: world.ledger.notes,
      marks: scenario.marks,
      strikeStep: attack?.position.strikeStep ?? null,
      messages: [],
      properties: [],
      alerts: world.ledger.alerts,
      summary: { messages: world.ledger.messages.length, leaked: 0, breached: 0 },
    };
  }
  const judgement = judge({
    ledger: world.ledger,
    holdings,
    position: attack.position,
    adversary,
    claims: design.claims,
    inconclusive: attack.inconclusive ?? null,
    untriedSender: design.cannotOpenSent ? attack.position.compromisedDevice : null,
    listed: attack.listed ? withNearDuplicates(scenario, attack.listed) : null,
    senderLinks: attack.senderLinks ?? null,
    attribution: attack.attribution ?? null,
  });
  const notes = [...world.ledger.notes, ...(attack.notes ?? [])];
  if (world.ledger.rejections.length > 0) {
    notes.push(`clients rejected ${world.ledger.rejections.length} envelope(s); first: ${world.ledger.rejections[0]!.device} at step ${world.ledger.rejections[0]!.step}: ${world.ledger.rejections[0]!.reason}`);
  }
  return {
    ...base,
    status: 'ok',
    error: null,
    notes,
    marks: scenario.marks,
    strikeStep: attack.position.strikeStep,
    messages: judgement.messages,
    ...(judgement.forgeries && { forgeries: judgement.forgeries }),
    properties: judgement.properties,
    alerts: world.ledger.alerts,
    summary: judgement.summary,
    ...(judgement.scan && { scan: judgement.scan }),
  };
}

/** Message ids and every scenario message that is a near-duplicate (`like:`) of one of them, transitively. */
function withNearDuplicates(scenario: Scenario, ids: readonly string[]): string[] {
  const listed = new Set(ids);
  for (const step of scenario.steps) {
    if (step.kind !== 'send') continue;
    for (const message of step.messages) if (message.like !== undefined && listed.has(message.like)) listed.add(message.id);
  }
  return [...listed];
}

class TimeLimitError extends Error {}

/** Settle with `work`, or fail once `ms` have passed (a hung run cannot hold up the audit). */
function withTimeLimit<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeLimitError(`the run exceeded its time limit of ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}

/**
 * The oracle answers only at the end of the run (SPEC §4), and only about public keys that
 * crossed the wire: in clear, or inside an outer layer that X25519 alone protects (a design's
 * `openOuterLayer`: sealed sender), which the oracle opens as well.
 */
function oracle(keyTable: KeyTable, design: Design, world: World, ended: () => boolean): (publicKey: Uint8Array) => Uint8Array | null {
  let captured: Set<string> | null = null;
  const answer = (publicKey: Uint8Array) => (captured!.has(Buffer.from(publicKey).toString('hex')) ? keyTable.privateKeyOf(publicKey) : null);
  return (publicKey) => {
    if (!ended()) return null;
    if (!captured) {
      captured = byteStringsSeen(world.wire.records, 32);
      if (design.openOuterLayer) {
        const inner = outerLayersOpened(design, world, keyTable.backend, answer);
        for (const key of byteStringsSeen(inner, 32)) captured.add(key);
      }
    }
    return answer(publicKey);
  };
}

/** What the oracle reads inside the outer layers of the envelopes on the wire, as records to scan. */
function outerLayersOpened(design: Design, world: World, crypto: CryptoBackend, privateKeyOf: (publicKey: Uint8Array) => Uint8Array | null): WireRecord[] {
  const bundles = new Map<string, Uint8Array[]>();
  for (const record of world.wire.records) {
    if (record.op === 'publish-keys') bundles.set(record.device, [...(bundles.get(record.device) ?? []), decodeWire<KeyUpload>(record.bytes).bundle]);
  }
  const opened: WireRecord[] = [];
  for (const record of world.wire.records) {
    const envelopes = record.op === 'deliver' ? [decodeWire<Envelope>(record.bytes)] : record.op === 'send' ? decodeWire<OutgoingEnvelope[]>(record.bytes).map(({ to, body, sealed }) => ({ from: sealed ? SEALED_SENDER : record.device, to, body })) : [];
    for (const envelope of envelopes) {
      const inner = design.openOuterLayer!(crypto, envelope, bundles.get(envelope.to) ?? [], privateKeyOf);
      if (inner) opened.push({ ...record, bytes: inner });
    }
  }
  return opened;
}

/** A run that could not take place; the design's claims are marked so reporters can show what went untested. */
function notApplicable(base: Pick<RunReport, 'target' | 'scenario' | 'adversary'>, reason: string, design: Design): RunReport {
  const claimed = (property: string) => design.claims.some((c) => c.property === property && c.adversaries.includes(base.adversary));
  return {
    ...base,
    status: 'not-applicable',
    error: null,
    notes: [reason],
    messages: [],
    properties: PROPERTY_NAMES.map((property) => ({ property, verdict: 'not-applicable', claimed: claimed(property), detail: reason })),
    alerts: [],
    summary: { messages: 0, leaked: 0, breached: 0 },
  };
}
