/**
 * Which messages of a run a human-facing report (md, html) lists one by one. A scenario of a
 * few dozen messages shows them all; a long one (thousands of messages) shows the ones that
 * tell something, the leaked and the undelivered, up to a limit, and says how many it left
 * out. Every message is always in report.json.
 */
import type { MessageReport } from '../harness/report/types.ts';

export const MESSAGES_LISTED_IN_FULL = 500;

export interface MessageSelection {
  /** In the run's order. */
  shown: MessageReport[];
  /** Why some are not shown, for the reader; null when all are. */
  note: string | null;
}

export function selectMessages(messages: readonly MessageReport[], limit = MESSAGES_LISTED_IN_FULL): MessageSelection {
  if (messages.length <= limit) return { shown: [...messages], note: null };
  const telling = messages.filter((m) => m.leaked || !m.delivered || m.unreadable !== undefined);
  const shown = telling.slice(0, limit);
  const what =
    telling.length === 0
      ? `none of the ${messages.length.toLocaleString('en-US')} messages leaked, went undelivered or was unreadable, so none is listed`
      : telling.length > limit
        ? `the first ${limit.toLocaleString('en-US')} of ${telling.length.toLocaleString('en-US')} leaked, undelivered or unreadable messages are listed, of ${messages.length.toLocaleString('en-US')}`
        : `the ${telling.length.toLocaleString('en-US')} leaked, undelivered or unreadable messages are listed, of ${messages.length.toLocaleString('en-US')}`;
  return { shown, note: `${what}; every message is in report.json` };
}
