/**
 * The legend of index.html: what the message chips' classes, flags and marks mean, and how
 * each leaked message of this report was recovered (its `via`).
 */
import type { MessageClass, Report } from '../harness/report/types.ts';
import { escapeHtml, plural } from './html-text.ts';

const CLASS_LABELS: Record<MessageClass, string> = {
  exposed: 'exposed: the adversary was entitled to it (a recipient, or still stored on the seized device)',
  before: 'before: sent before the strike point',
  after: 'after: sent after the strike point',
  unrelated: 'unrelated: the adversary has no strike point',
};

const KNOWN_VIA: Record<string, string> = {
  decrypt: 'recovered by running the design’s own code on captured state',
  cleartext: 'the marker stood in clear in captured bytes',
  'device-image': 'found in clear in the seized device image (its message database file, deleted pages included)',
  quantum: 'opened with private keys from the discrete-log oracle, through the design’s own code',
  escrow: 'opened with the escrow key',
  'ghost-device': 'sent to a device the provider slipped in',
  'key-substitution': 'encrypted to a key the provider substituted',
  clone: 'read by a clone of the seized device, delivered to it as the device',
};

export function legendSection(report: Report): string {
  const classes = (Object.keys(CLASS_LABELS) as MessageClass[])
    .map((c) => `<span class="item"><span class="chip c-${c}">${escapeHtml(c)}</span></span>`)
    .join('');
  const via = new Map<string, number>();
  for (const run of report.runs) for (const m of run.messages) if (m.leaked && m.via !== null) via.set(m.via, (via.get(m.via) ?? 0) + 1);
  const viaRows = [...via.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, count]) => `<dt><span class="via">${escapeHtml(name)}</span></dt><dd>${escapeHtml(`${KNOWN_VIA[name] ?? 'recovered this way'} (${plural(count, 'message')})`)}</dd>`);
  return [
    '<section id="legend">',
    '<h2>Legend</h2>',
    '<div class="legend">',
    `<span class="item">class:</span>${classes}`,
    '<span class="item"><span class="chip c-before">m1</span> not leaked</span>',
    '<span class="item"><span class="chip c-before leaked">m1<span class="via">via</span></span> leaked, with how</span>',
    '<span class="item"><span class="chip c-before undelivered"><span class="id">m1</span><span class="flag">⊘</span></span> not delivered</span>',
    '<span class="item"><span class="chip c-before unreadable"><span class="id">m1</span><span class="flag">?</span></span> delivered, unreadable on a device</span>',
    '<span class="item"><span class="chip c-before">m1<span class="flag">✓</span></span> verified (safety numbers compared)</span>',
    '<span class="item"><span class="strike">⚡ strike</span> the adversary’s strike point</span>',
    '<span class="item"><span class="mark">⚑ mark</span> a named point of the scenario</span>',
    '<dl>',
    ...Object.values(CLASS_LABELS).map((label) => {
      const [name, ...rest] = label.split(': ');
      return `<dt>${escapeHtml(name)}</dt><dd>${escapeHtml(rest.join(': '))}</dd>`;
    }),
    ...(viaRows.length > 0 ? ['<dt>via</dt><dd>how a leaked message was recovered; hover a chip for its details</dd>', ...viaRows] : []),
    '</dl>',
    '</div>',
    '</section>',
  ].join('\n');
}
