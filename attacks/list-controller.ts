/**
 * `list-controller`: whoever controls a scanning design's match list (the provider, a
 * government that hands it the list, an intruder in either) puts on it content that has
 * nothing to do with the list's stated purpose: the texts of the messages `targets` (a
 * leaked document, a call to protest), from `at` on (default: the start). It fingerprints
 * them with the design's own public fingerprint, and reads the reports the clients send the
 * authority for every message that matches, near-duplicates included. It holds what the
 * authority's key opens: `via: scan-report`. Each report comes from the account whose client
 * matched the message, so it names the sender of what it reports too (`senderLinked`, `via:
 * scan-report`): the point of a report is to say who sent it. On a design without a list it
 * learns nothing.
 */
import { z } from 'zod';
import { generatedText } from '../harness/markers.ts';
import type { Scenario } from '../harness/scenario/types.ts';
import { NO_POSITION } from './capture.ts';
import type { Adversary, AdversaryView, Attack, Holding, SenderLink } from './types.ts';

const params = z.strictObject({
  targets: z.array(z.string(), { error: 'expected a list of message ids' }).min(1, { error: 'expected at least one message id' }).describe('message ids whose content goes on the list'),
  at: z.string().optional().describe('the mark from which the list holds them (default: the start)'),
});

type Params = z.infer<typeof params>;

/** The text of a scenario message as its sender wrote it (without the harness's marker). */
function textOf(scenario: Scenario, id: string, seed: number): string | null {
  for (const step of scenario.steps) {
    if (step.kind !== 'send') continue;
    const message = step.messages.find((m) => m.id === id);
    if (message) return message.text ?? generatedText(seed, scenario.name, id);
  }
  return null;
}

export const listController: Adversary<Params> = {
  name: 'list-controller',
  description: "control of a scanning design's match list from `at`: puts the content of `targets` on it and reads the reports",
  params,
  metadata: ['sender', 'timing'],
  active: false,
  capabilities: ['match-list'],
  prepare({ scenario, params: { targets, at }, seed = 1 }) {
    const strikeStep = at === undefined ? null : scenario.marks[at]!;
    const insert = (view: AdversaryView) => {
      const seat = view.scanAuthority();
      const side = view.design.scanning;
      if (!seat || !side) return;
      for (const id of targets) {
        const text = textOf(scenario, id, seed);
        if (text !== null) seat.addToList(side.fingerprint(text));
      }
    };
    const attack: Attack = {
      position: { ...NO_POSITION, strikeStep },
      listed: targets,
      senderLinks: [],
      async start(view) {
        if (strikeStep === null) insert(view);
      },
      async afterStep(index, view) {
        if (index === strikeStep) insert(view);
      },
      async conclude(view): Promise<Holding[]> {
        const seat = view.scanAuthority();
        const side = view.design.scanning;
        if (!seat || !side) return [];
        const opened = side.openReports(view.crypto, seat.privateKey, seat.reports());
        attack.senderLinks = opened.map(({ account, content }): SenderLink => ({ content, sender: account, via: 'scan-report', after: 1 }));
        return opened.map(({ content }) => ({ bytes: content, via: 'scan-report' }));
      },
    };
    return attack;
  },
};
