/**
 * `re-registration`, a `malicious-server` strategy: key substitution in a conversation that
 * began before the provider turned. The provider acts as if each party had registered again
 * (a new phone, the app reinstalled): from then on it serves each party the other's shadow,
 * a fresh identity and prekey bundles of its own under the same device names. A client that
 * takes the new identity drops its sessions with that user and starts new ones on the
 * shadow's bundles, which the provider relays as at first contact.
 *
 * Unlike first contact, the client knew the old key, so its app can say so: Signal shows "your
 * safety number with Bob has changed" in the conversation, and for a contact marked verified
 * asks the user to approve the change before it sends again (signal.org/blog/verified-safety-
 * number-updates; Signal support, "What is a safety number and why do I see that it
 * changed?"). That is the noisy way in, so the provider takes it only where the quiet one
 * failed: once a conversation's messages have passed since the strike without a copy for the
 * ghost device it listed (`ghost-device`), it re-registers that conversation's two users for
 * each other, effective from the next step.
 */

/** The two users of a one-to-one relation, in a fixed order. */
function conversation(a: string, b: string): string {
  return a < b ? `${a} ${b}` : `${b} ${a}`;
}

export class ReRegistration {
  /** Conversations with a message delivered between their users since the strike. */
  readonly #spoken = new Set<string>();
  /** Conversations in which a client sealed a copy to a ghost device: the quiet way works there. */
  readonly #quiet = new Set<string>();
  /** Conversations whose users are now served each other's shadows. */
  readonly #reRegistered = new Set<string>();

  /** A real envelope from one user to another passed the provider while it was hostile. */
  spoke(fromUser: string, toUser: string): void {
    if (fromUser !== toUser) this.#spoken.add(conversation(fromUser, toUser));
  }

  /** A client sealed a copy for `user`'s ghost device. */
  reachedGhost(fromUser: string, user: string): void {
    this.#quiet.add(conversation(fromUser, user));
  }

  /** After a step: every conversation the ghost device did not get into is re-registered. */
  decide(): void {
    for (const key of this.#spoken) if (!this.#quiet.has(key)) this.#reRegistered.add(key);
  }

  /** Whether `requesterUser` is now served `user`'s shadow because of a re-registration. */
  covers(requesterUser: string, user: string): boolean {
    return requesterUser !== user && this.#reRegistered.has(conversation(requesterUser, user));
  }
}
