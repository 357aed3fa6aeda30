/**
 * The statistical disclosure attack on sealed sender (Martiny, Kaptchuk, Aviv, Roche & Sherr,
 * "Improving Signal's Sealed Sender", NDSS 2021, §4), after Danezis' statistical disclosure
 * (2003): a provider that cannot read who sent a sealed message still sees whom it delivers
 * each envelope to, and when. A recipient's app answers every message at once with a
 * delivery receipt, itself sealed, addressed to the sender: so the users that receive
 * something in the epoch right after a message to Bob include its sender. Over Bob's
 * messages, his correspondent turns up in those epochs more often than the background
 * (every epoch) predicts; the user with the highest excess is the guess.
 *
 * Pure: it reads a trace of what the provider observed and returns, message by message, its
 * guess of the sender and after how many of the recipient's messages it made it. An envelope
 * that names its sender (no sealed sender), or whose upload does, gives it away at once.
 */

/** One envelope as the provider saw it, in the order it handled them. */
export interface Observation {
  /** The provider's unit of time (a scenario step: a minute of the run's clock). */
  epoch: number;
  /** The user the envelope is delivered to. */
  recipient: string;
  /** The user the envelope names as its sender (or, sealed, its upload does), or null when nothing names one. */
  sender: string | null;
  /** Set when the sender is named not by the envelope but by another envelope of the same upload (a copy to the sender's own device), or by a group's roster (the member the upload left out). */
  namedBy?: 'upload' | 'roster';
  /** Which message the envelope belongs to, as the provider can tell (one upload); null for a receipt or other control traffic it cannot tell apart. */
  message: number | null;
}

export interface SenderGuess {
  message: number;
  /** The user guessed to have sent it. */
  sender: string;
  /** `envelope`: the envelope named the sender; `upload`: the upload it came in did; `roster`: the group's roster did; `disclosure`: the statistical attack. */
  via: 'envelope' | 'upload' | 'roster' | 'disclosure';
  /** How many messages to this recipient the provider had seen when it made the guess (1 = at the first). */
  after: number;
}

/** The least excess over the background a candidate needs before the attack names it. */
const MIN_EXCESS = 0.5;
/**
 * The receipt window's share of an epoch: receipts follow a delivery within about a second,
 * an epoch (a scenario step) is a minute. A user's background rate is the share of epochs in
 * which it received anything, times this: how often it would turn up in a window by chance.
 */
const WINDOW_SHARE = 1 / 60;

/**
 * Guesses for every message of the trace whose sender the provider can name: at once when its
 * envelope names it; otherwise when, among the recipient's epochs so far, one user leads all
 * others in excess appearances over the background rate (ties are no guess).
 */
export function discloseSenders(trace: readonly Observation[]): SenderGuess[] {
  const guesses: SenderGuess[] = [];
  const seenMessages = new Set<number>();
  // Background: in how many epochs (so far) each user received anything.
  const epochsOf = new Map<string, Set<number>>();
  const allEpochs = new Set<number>();
  for (const o of trace) {
    allEpochs.add(o.epoch);
    let epochs = epochsOf.get(o.recipient);
    if (!epochs) epochsOf.set(o.recipient, (epochs = new Set()));
    epochs.add(o.epoch);
  }
  // Per recipient: how many of its messages were observed, and per candidate in how many of their windows it appeared.
  const targets = new Map<string, { windows: number; counts: Map<string, number> }>();
  trace.forEach((o, index) => {
    if (o.message === null || seenMessages.has(o.message)) return;
    seenMessages.add(o.message);
    const target = targets.get(o.recipient) ?? { windows: 0, counts: new Map<string, number>() };
    targets.set(o.recipient, target);
    target.windows++;
    if (o.sender !== null) {
      guesses.push({ message: o.message, sender: o.sender, via: o.namedBy ?? 'envelope', after: target.windows });
      return;
    }
    // The window: whoever receives something later in the same epoch, the recipient aside.
    const window = new Set<string>();
    for (let j = index + 1; j < trace.length && trace[j]!.epoch === o.epoch; j++) {
      if (trace[j]!.recipient !== o.recipient) window.add(trace[j]!.recipient);
    }
    for (const candidate of window) target.counts.set(candidate, (target.counts.get(candidate) ?? 0) + 1);
    const epochsSoFar = [...allEpochs].filter((e) => e <= o.epoch).length;
    const excess = [...target.counts].map(([candidate, count]) => {
      const background = [...(epochsOf.get(candidate) ?? [])].filter((e) => e <= o.epoch).length / epochsSoFar;
      return { candidate, score: count - target.windows * background * WINDOW_SHARE };
    });
    excess.sort((a, b) => b.score - a.score || (a.candidate < b.candidate ? -1 : 1));
    const [best, second] = excess;
    if (best && window.has(best.candidate) && best.score >= MIN_EXCESS && (!second || best.score > second.score)) {
      guesses.push({ message: o.message, sender: best.candidate, via: 'disclosure', after: target.windows });
    }
  });
  return guesses;
}
