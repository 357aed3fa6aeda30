/**
 * A device's Double Ratchet sessions, one current (and a few archived) per peer device:
 * started with PQXDH on a peer's fetched bundle (§3.3) or on a peer's first message to this
 * device's prekeys (§3.4); messages sealed and opened in them; what this device sent opened
 * again from its own sending chains (an image of it); and a recorded session start derived
 * again from the prekeys alone.
 */
import type { Envelope } from '../../harness/provider/api.ts';
import type { DeviceAddress } from '../../harness/scenario/types.ts';
import { equalBytes, pack, unpack } from '../shared/codec.ts';
import { userOf } from '../shared/pairwise-client.ts';
import type { ClientContext } from '../types.ts';
import { SignalError } from './errors.ts';
import type { DevicesOf, Identities } from './identities.ts';
import { initiate, prekeySignedBytes, respond, type OneTimeKyberPrekey, type OneTimePrekey, type PrekeyBundle, type PrekeyHeader } from './pqxdh.ts';
import type { Prekeys } from './prekeys.ts';
import { LABELS, LIMITS, type IdentityPublic } from './primitives.ts';
import * as ratchet from './ratchet.ts';
import { decodeWireMessage, type WireMessage } from './wire-message.ts';

/** One Double Ratchet session with a peer device. */
export interface Session {
  ratchet: ratchet.RatchetState;
  /** The initiator's PQXDH header, sent with every message until the peer replies. */
  pending: PrekeyHeader | null;
  baseKey: Uint8Array;
  remoteIdentity: IdentityPublic;
}

export interface SessionOptions {
  /** Mix PQXDH's ML-KEM shared secret into every session key (`SignalOptions.postQuantum`). */
  postQuantum: boolean;
  /** The client's own step for a user's devices (a design built on it may override it). */
  devicesOf: DevicesOf;
  /** A session start used up a one-time prekey: refill them if the provider runs low. */
  oneTimePrekeyUsed: () => Promise<void>;
}

export class Sessions {
  /** Peer device -> sessions, current first. */
  readonly #sessions = new Map<string, Session[]>();

  constructor(
    private readonly context: ClientContext,
    private readonly identities: Identities,
    private readonly prekeys: Prekeys,
    private readonly options: SessionOptions,
  ) {}

  /** Encrypt for a device in its current session, started first if there is none. */
  async seal(to: DeviceAddress, plaintext: Uint8Array): Promise<Uint8Array> {
    let session = this.#sessions.get(to)?.[0];
    if (!session) session = await this.#start(to);
    const message = ratchet.encrypt(session.ratchet, this.context.crypto, plaintext, this.context.rng);
    return pack({ prekey: session.pending, message } satisfies WireMessage);
  }

  /** Decrypt a message from a device: in the session its header names, a new one it starts, or any kept. */
  async open(envelope: Envelope, wire: WireMessage = decodeWireMessage(envelope.body)): Promise<Uint8Array> {
    const sessions = this.#sessions.get(envelope.from) ?? [];
    if (wire.prekey) {
      const existing = sessions.find((s) => equalBytes(s.baseKey, wire.prekey!.baseKey));
      if (existing) return this.#decryptIn(existing, wire);
      return this.#accept(envelope.from, wire.prekey, wire.message);
    }
    let lastError: unknown = null;
    for (const session of sessions) {
      try {
        return this.#decryptIn(session, wire);
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError ?? new SignalError('no-session', `no session with ${envelope.from}`);
  }

  /** With this device's sending chains (an image of it), open what it sent later to `to`. */
  openOwn(to: DeviceAddress, wire: WireMessage): Uint8Array | null {
    const { privateKeyOf } = this.context;
    for (const session of this.#sessions.get(to) ?? []) {
      try {
        return privateKeyOf
          ? ratchet.decryptOwnFollowing(session.ratchet, this.context.crypto, wire.message, privateKeyOf)
          : ratchet.decryptOwn(session.ratchet, this.context.crypto, wire.message);
      } catch {
        // not this session's sending chain
      }
    }
    return null;
  }

  /** With this device's prekeys alone: a session start's first message, derived again as if there were no session (none is changed). */
  rederive(wire: WireMessage): Uint8Array | null {
    const started = wire.prekey && this.#respond(wire.prekey, 'a recorded session start');
    return started ? ratchet.decrypt(started, this.context.crypto, this.context.rng, wire.message, this.context.privateKeyOf) : null;
  }

  /** A peer user's identity changed: its devices' sessions belong to the old one. */
  forgetUser(user: string): void {
    this.#sessions.forEach((_, device) => {
      if (userOf(device) === user) this.#sessions.delete(device);
    });
  }

  export(): [string, Session[]][] {
    return [...this.#sessions];
  }

  import(sessions: [string, Session[]][]): void {
    for (const [device, kept] of sessions) this.#sessions.set(device, kept);
  }

  /** PQXDH §3.3 with a fresh bundle: verify its signatures and identity, then start a ratchet. */
  async #start(to: DeviceAddress): Promise<Session> {
    const { crypto, rng } = this.context;
    const response = await this.context.provider.fetchBundle(to);
    const bundle = unpack<PrekeyBundle>(response.bundle, 'prekey bundle');
    this.identities.checkBundle(to, bundle.identity);
    this.#verifyPrekey(bundle.identity, LABELS.signedPrekey, bundle.signedPrekey);
    const oneTime = response.oneTimeKeys['prekey'] ? unpack<OneTimePrekey>(response.oneTimeKeys['prekey'], 'one-time prekey') : null;
    const oneTimeKyber = response.oneTimeKeys['kyber'] ? unpack<OneTimeKyberPrekey>(response.oneTimeKeys['kyber'], 'one-time kyber prekey') : null;
    const kyber = oneTimeKyber ?? bundle.kyberPrekey;
    const { postQuantum } = this.options;
    if (postQuantum) this.#verifyPrekey(bundle.identity, LABELS.kyberPrekey, kyber);
    const kem = postQuantum ? { id: kyber.id, publicKey: kyber.publicKey, oneTime: oneTimeKyber !== null } : null;
    const agreement = initiate(crypto, rng, this.identities.own, bundle, oneTime, kem);
    const session: Session = {
      ratchet: ratchet.initInitiator(crypto, rng, agreement.sharedSecret, agreement.remoteRatchetKey, agreement.associatedData),
      pending: agreement.header,
      baseKey: agreement.header.baseKey,
      remoteIdentity: bundle.identity,
    };
    this.#store(to, session);
    return session;
  }

  /** PQXDH §3.4: a first message from a device; its prekeys are consumed only if it decrypts. */
  async #accept(from: DeviceAddress, header: PrekeyHeader, message: ratchet.RatchetMessage): Promise<Uint8Array> {
    await this.identities.checkSessionStart(from, header.identity, this.options.devicesOf);
    const started = this.#respond(header, from);
    if (!started) throw new SignalError('invalid-prekey', `${from} used a prekey this device no longer has`);
    const session: Session = { ratchet: started, pending: null, baseKey: header.baseKey, remoteIdentity: header.identity };
    const plaintext = ratchet.decrypt(session.ratchet, this.context.crypto, this.context.rng, message, this.context.privateKeyOf);
    // One-time prekeys are deleted once used (PQXDH §3.4); the last-resort ML-KEM key stays.
    this.prekeys.consume(header.oneTimePrekeyId, header.kyberPrekeyId);
    this.#store(from, session);
    if (header.oneTimePrekeyId !== null) await this.options.oneTimePrekeyUsed();
    return plaintext;
  }

  /** PQXDH §3.4 with the prekeys a header names: the responder's new ratchet, or null if one of them is gone. */
  #respond(header: PrekeyHeader, from: string): ratchet.RatchetState | null {
    const signedPrekey = this.prekeys.signed(header.signedPrekeyId);
    const oneTime = header.oneTimePrekeyId === null ? null : this.prekeys.oneTime(header.oneTimePrekeyId);
    // Without the post-quantum KEM (a test design: X3DH alone), no KEM prekey takes part.
    const kyber = this.options.postQuantum ? this.prekeys.kyber(header.kyberPrekeyId) : null;
    if (!signedPrekey || oneTime === undefined || kyber === undefined || (kyber && kyber.oneTime !== header.kyberOneTime)) return null;
    if (kyber && header.kyberCiphertext.length === 0) {
      // PQXDH §3.4: the KEM ciphertext is part of every session start; none would be a downgrade to X3DH.
      throw new SignalError('malformed-message', `${from} started a session without the ML-KEM ciphertext`);
    }
    const agreement = respond(this.context.crypto, this.identities.own, header, signedPrekey, oneTime, kyber?.pair ?? null);
    return ratchet.initResponder(agreement.sharedSecret, signedPrekey, agreement.associatedData);
  }

  #decryptIn(session: Session, wire: WireMessage): Uint8Array {
    const plaintext = ratchet.decrypt(session.ratchet, this.context.crypto, this.context.rng, wire.message, this.context.privateKeyOf);
    if (!wire.prekey) session.pending = null; // the peer answered on this session: no need to resend the header
    return plaintext;
  }

  #store(device: DeviceAddress, session: Session): void {
    const sessions = [session, ...(this.#sessions.get(device) ?? []).filter((s) => s !== session)];
    this.#sessions.set(device, sessions.slice(0, LIMITS.archivedSessions + 1));
  }

  #verifyPrekey(identity: IdentityPublic, label: Uint8Array, prekey: { id: number; publicKey: Uint8Array; signature: Uint8Array }): void {
    const valid = prekey.signature?.length === 64 && this.context.crypto.ed25519Verify(identity.signing, prekeySignedBytes(label, prekey.id, prekey.publicKey), prekey.signature);
    if (!valid) throw new SignalError('bad-signature', `prekey ${prekey.id} is not signed by its identity`);
  }
}
