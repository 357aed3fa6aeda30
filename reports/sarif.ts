/**
 * `sarif`: report.sarif (SARIF 2.1.0) for code-scanning views. One rule per property, one
 * result per violated claim. A finding is named by the scenario as a logical location
 * (the report does not carry the scenario's file) and keeps its identity across runs
 * through a fingerprint of target|scenario|adversary|property.
 * Runs whose target threw are tool execution notifications, not results.
 */
import { createHash } from 'node:crypto';
import { PROPERTY_NAMES, type PropertyName, type Report, type Violation } from '../harness/report/types.ts';
import { fileReporter } from './file-reporter.ts';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
export const FINGERPRINT_KEY = 'keyholeFinding/v1';

interface RuleText {
  name: string;
  short: string;
  full: string;
  help: string;
  severity: string;
}

export const RULES: Record<PropertyName, RuleText> = {
  confidentiality: {
    name: 'Confidentiality',
    short: 'Messages leaked to an adversary the design claims to keep them from',
    full: 'A message the adversary was not entitled to (not a recipient, not stored on a seized device) was recovered by the adversary, in plaintext or by decrypting what it captured.',
    help: 'The design claims confidentiality against this adversary, but at least one message outside the exposed class leaked. Check how it leaked (via): cleartext on the wire, keys held by the provider or an escrow agent, substituted keys or devices the client accepted silently.',
    severity: '9.0',
  },
  authentication: {
    name: 'Authentication',
    short: 'A client accepted a message as from someone who did not send it',
    full: 'Every message a client accepts as from X must have been sent by X. A forged or re-attributed message was accepted.',
    help: 'Bind messages to the sender’s identity key and have clients verify it; after a safety-number comparison, refuse identity changes that were not verified.',
    severity: '8.5',
  },
  membership: {
    name: 'Membership',
    short: 'A device or group member was added by the provider without its owner vouching for it',
    full: 'Every device a message is encrypted to must be vouched for by its user’s identity, and every group member by the group’s admin. The provider slipped in a device or member the sender’s client accepted.',
    help: 'Sign device lists with the user’s identity key and group rosters with the admin’s key, and have clients refuse unsigned additions (no silent "ghost" participants).',
    severity: '8.0',
  },
  'forward-secrecy': {
    name: 'Forward secrecy',
    short: 'Messages sent before a compromise leaked after it',
    full: 'After the adversary seized a device or key at its strike point, it recovered messages sent before that point that were no longer stored on the device.',
    help: 'Derive a fresh key per message and erase used keys and deleted messages (a ratchet with secure deletion), so that state captured later cannot open earlier traffic.',
    severity: '7.5',
  },
  'post-compromise-security': {
    name: 'Post-compromise security',
    short: 'Leaks did not stop after a compromise (no healing)',
    full: 'After the strike point, leaks of later messages must stop within two round trips in every conversation of the compromised device, and never resume.',
    help: 'Mix fresh Diffie-Hellman (or KEM) output into the session regularly, e.g. a DH ratchet step on every reply, so that a stolen state stops being useful.',
    severity: '7.0',
  },
  replay: {
    name: 'Replay',
    short: 'A ciphertext was accepted twice',
    full: 'No ciphertext may be accepted more than once; the provider replayed a message and a client accepted it again.',
    help: 'Keep per-session message counters or used-key records and reject duplicates.',
    severity: '6.5',
  },
  detection: {
    name: 'Detection',
    short: 'An active attack obtained or forged messages without the users being told',
    full: 'Every message an active adversary obtained or forged must be preceded (or accompanied) by an alert about that attack to an affected user: a changed identity, a new device, a membership change, a failed verification.',
    help: 'Show users what changes who they talk to: safety-number changes, devices linked to their own account, group membership changes; never accept a device or member silently.',
    severity: '7.0',
  },
  'sender-anonymity': {
    name: 'SenderAnonymity',
    short: 'The adversary linked messages to their senders',
    full: 'No message may be linked to its sender: by an envelope that names the sender, or statistically (the disclosure attack on sealed sender, Martiny et al., NDSS 2021).',
    help: 'Seal the sender inside the encryption, and break the link delivery receipts make: delay or batch receipts, or use ephemeral sending identities (Martiny et al. 2021).',
    severity: '5.0',
  },
  metadata: {
    name: 'Metadata',
    short: 'The adversary saw metadata (sender, recipient, timing, size)',
    full: 'Informational: which of sender, recipient, timing and size the adversary observed.',
    help: 'Sealed sender, padding and cover traffic reduce what the provider and the network learn.',
    severity: '3.0',
  },
};

export function ruleId(property: string): string {
  return `keyhole/${property}`;
}

/** sha256 (hex) of target|scenario|adversary|property: the same finding, the same id, run after run. */
export function fingerprint(v: Pick<Violation, 'target' | 'scenario' | 'adversary' | 'property'>): string {
  return createHash('sha256').update([v.target, v.scenario, v.adversary, v.property].join('|')).digest('hex');
}

function rule(property: string) {
  const text = (RULES as Record<string, RuleText | undefined>)[property];
  const known = text ?? {
    name: property,
    short: `The ${property} claim was violated`,
    full: `The design claims ${property} against the adversary, and keyhole found it violated.`,
    help: `See the result's message for the detail.`,
    severity: '5.0',
  };
  return {
    id: ruleId(property),
    name: known.name.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : '')),
    shortDescription: { text: known.short },
    fullDescription: { text: known.full },
    help: { text: known.help, markdown: `**${known.name}.** ${known.full}\n\n${known.help}` },
    defaultConfiguration: { level: 'error' },
    properties: { 'security-severity': known.severity, tags: ['security'], precision: 'high', 'problem.severity': 'error' },
  };
}

export function renderSarif(report: Report): string {
  const properties = [...PROPERTY_NAMES] as string[];
  for (const v of report.violations) if (!properties.includes(v.property)) properties.push(v.property);
  const rules = properties.map(rule);
  const ruleIndex = new Map(properties.map((p, i) => [p, i]));

  const results = report.violations.map((v) => {
    const run = report.runs.find((r) => r.target === v.target && r.scenario === v.scenario && r.adversary === v.adversary);
    const leaked = run?.messages.filter((m) => m.leaked) ?? [];
    return {
      ruleId: ruleId(v.property),
      ruleIndex: ruleIndex.get(v.property)!,
      kind: 'fail',
      level: 'error',
      message: {
        text: `${v.target} violates its ${v.property} claim against ${v.adversary} in scenario ${v.scenario}: ${v.detail}`,
      },
      locations: [
        {
          logicalLocations: [
            { name: v.scenario, fullyQualifiedName: `${v.target}/${v.scenario}/${v.adversary}`, kind: 'module' },
          ],
          message: { text: `scenario ${v.scenario}` },
        },
      ],
      partialFingerprints: { [FINGERPRINT_KEY]: fingerprint(v) },
      properties: {
        target: v.target,
        scenario: v.scenario,
        adversary: v.adversary,
        property: v.property,
        ...(run && { leaked: run.summary.leaked, breached: run.summary.breached, messages: run.summary.messages }),
        ...(leaked.length > 0 && { leakedMessages: leaked.map((m) => ({ id: m.id, class: m.class, via: m.via })) }),
      },
    };
  });

  const notifications = report.runs
    .filter((r) => r.status === 'error')
    .map((r) => ({
      level: 'error',
      message: { text: `${r.target} · ${r.scenario} · ${r.adversary}: the target threw: ${r.error ?? 'unknown error'}` },
      locations: [{ logicalLocations: [{ name: r.scenario, fullyQualifiedName: `${r.target}/${r.scenario}/${r.adversary}`, kind: 'module' }] }],
    }));

  const sarif = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: report.tool.name,
            semanticVersion: report.tool.version,
            version: report.tool.version,
            rules,
          },
        },
        automationDetails: { id: 'keyhole/audit/' },
        invocations: [
          {
            executionSuccessful: true,
            startTimeUtc: report.timing.startedAt,
            ...endTime(report),
            ...(notifications.length > 0 && { toolExecutionNotifications: notifications }),
            properties: { seed: report.seed },
          },
        ],
        results,
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}

function endTime(report: Report): { endTimeUtc?: string } {
  const start = Date.parse(report.timing.startedAt);
  return Number.isFinite(start) ? { endTimeUtc: new Date(start + report.timing.durationMs).toISOString() } : {};
}

export const sarifReporter = fileReporter('report.sarif (SARIF 2.1.0), one result per violated claim', 'report.sarif', renderSarif, '"name": "keyhole"');
