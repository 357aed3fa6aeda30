/**
 * A run's conversation in index.html: its messages as chips in step order, with the strike
 * point and the scenario's marks between them.
 */
import type { MessageReport, RunReport } from '../harness/report/types.ts';
import { selectMessages } from './message-selection.ts';
import { escapeHtml } from './html-text.ts';

interface Marker {
  step: number;
  html: string;
}

export function timeline(run: RunReport): string {
  const markers: Marker[] = Object.entries(run.marks ?? {})
    .filter(([, step]) => Number.isFinite(step))
    .map(([name, step]) => ({ step, html: `<li class="mark" title="${escapeHtml(`mark ${name} at step ${step}`)}">⚑ ${escapeHtml(name)}</li>` }));
  if (run.strikeStep !== undefined && run.strikeStep !== null) {
    markers.push({
      step: run.strikeStep,
      html: `<li class="strike" title="${escapeHtml(`the adversary strikes at step ${run.strikeStep}`)}">⚡ strike · step ${escapeHtml(run.strikeStep)}</li>`,
    });
  }
  // Marks before the strike at the same step: the strike happens at the mark.
  markers.sort((a, b) => a.step - b.step);
  const { shown, note } = selectMessages(run.messages);
  const messages = shown.map((m, i) => ({ m, i })).sort((a, b) => a.m.step - b.m.step || a.i - b.i);
  const items: string[] = [];
  let next = 0;
  for (const { m } of messages) {
    while (next < markers.length && markers[next]!.step <= m.step) items.push(markers[next++]!.html);
    items.push(chip(m));
  }
  while (next < markers.length) items.push(markers[next++]!.html);
  const list = `<ol class="timeline" aria-label="messages in step order">${items.join('')}</ol>`;
  return note === null ? list : `<p class="selection">${escapeHtml(note)}</p>${list}`;
}

function chip(m: MessageReport): string {
  const classes = ['chip', `c-${m.class}`, m.leaked ? 'leaked' : 'safe'];
  if (m.noticed === false) classes.push('unnoticed');
  if (!m.delivered) classes.push('undelivered');
  if (m.unreadable) classes.push('unreadable');
  if (m.verified) classes.push('verified');
  const title = [
    m.id,
    `${m.from} → ${m.to}`,
    `step ${m.step}`,
    m.class,
    m.delivered ? 'delivered' : 'not delivered',
    ...(m.unreadable ? [`unreadable for ${m.unreadable.join(', ')} (could not decrypt)`] : []),
    m.verified ? 'verified' : 'not verified',
    m.leaked ? `leaked via ${m.via ?? 'unknown'}` : 'not leaked',
    ...(m.noticed === null ? [] : [m.noticed ? 'an alert came first' : 'no alert came first (unnoticed)']),
  ].join(' · ');
  let inner = `<span class="id">${escapeHtml(m.id)}</span>`;
  if (m.verified) inner += '<span class="flag" aria-label="verified">✓</span>';
  if (!m.delivered) inner += '<span class="flag" aria-label="not delivered">⊘</span>';
  if (m.unreadable) inner += '<span class="flag" aria-label="unreadable where delivered">?</span>';
  if (m.leaked) inner += `<span class="via">${escapeHtml(m.via ?? 'leaked')}</span>`;
  return `<li class="${escapeHtml(classes.join(' '))}" title="${escapeHtml(title)}">${inner}</li>`;
}
