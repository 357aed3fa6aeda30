/**
 * Sealed sender in the client (`SignalOptions.sealedSender`; the format is sealed-sender.ts):
 * envelopes to other users sealed with the sender's address and identity inside, a sealed
 * envelope's sender checked against the identity pinned for that user, the sealed delivery
 * receipt the app sends for each message received, and this device's own sealed uploads
 * opened again (an image of it).
 */
import type { Envelope, OutgoingEnvelope } from '../../harness/provider/api.ts';
import type { DeviceAddress } from '../../harness/scenario/types.ts';
import { userOf } from '../shared/pairwise-client.ts';
import type { ClientContext } from '../types.ts';
import { SignalError } from './errors.ts';
import type { DevicesOf, Identities } from './identities.ts';
import type { IdentityPublic } from './primitives.ts';
import { sealedLayer, sealSender, unsealAsRecipient, unsealAsSender, type SealedContent } from './sealed-sender.ts';

/** A sealed envelope opened: who sent it (checked), under which identity, and what. */
export interface Unsealed {
  sender: DeviceAddress;
  identity: IdentityPublic;
  content: SealedContent;
}

export class SealedDelivery {
  constructor(
    private readonly context: ClientContext,
    private readonly identities: Identities,
    /** The client's own step for a user's devices (a design built on it may override it). */
    private readonly devicesOf: DevicesOf,
  ) {}

  /** An envelope to another user, its sender sealed inside; copies to this user's own devices stay as they are. */
  seal(envelope: OutgoingEnvelope): OutgoingEnvelope {
    const user = userOf(envelope.to);
    const identity = this.identities.pinned(user);
    if (user === this.context.user || !identity) return envelope;
    return { to: envelope.to, body: this.#sealTo(envelope.to, identity, { body: envelope.body, receipt: null }), sealed: true };
  }

  /** The app acknowledges delivery at once, sealed, to the device that sent the message. */
  receipt(to: DeviceAddress, identity: IdentityPublic, messageId: string): OutgoingEnvelope {
    return { to, body: this.#sealTo(to, identity, { body: null, receipt: messageId }), sealed: true };
  }

  /** A sealed envelope: who sent it, checked against the identity pinned for that user, and what. */
  async unseal(envelope: Envelope): Promise<Unsealed> {
    const layer = sealedLayer(envelope.body);
    if (!layer) throw new SignalError('invalid-message', 'an envelope without a sender that is not sealed');
    const opened = unsealAsRecipient(this.context.crypto, { address: this.context.address, identity: this.identities.own }, layer);
    await this.identities.checkSealedSender(opened.sender, opened.identity, this.devicesOf);
    return opened;
  }

  /**
   * An envelope this device uploaded, as it was before sealing (a sealed upload names no
   * sender: this device sent it); the envelope itself if it is not sealed; null if this state
   * cannot open it.
   */
  async unsealSent(envelope: Envelope): Promise<Envelope | null> {
    const layer = sealedLayer(envelope.body);
    if (!layer) return envelope;
    // The recipient's identity, from the directory if this state never pinned it (the device met that user later).
    const user = userOf(envelope.to);
    if (!this.identities.identityOf(user)) await this.devicesOf(user).catch(() => null);
    const identity = this.identities.identityOf(user);
    if (!identity) return null;
    let content: SealedContent;
    try {
      content = unsealAsSender(this.context.crypto, { address: this.context.address, identity: this.identities.own }, { address: envelope.to, identity }, layer);
    } catch {
      return null;
    }
    return content.body ? { ...envelope, from: this.context.address, body: content.body } : null;
  }

  #sealTo(to: DeviceAddress, identity: IdentityPublic, content: SealedContent): Uint8Array {
    const own = this.identities.own;
    return sealSender(this.context.crypto, this.context.rng, { address: this.context.address, identity: own, identityPublic: this.identities.ownPublic }, { address: to, identity }, content);
  }
}
