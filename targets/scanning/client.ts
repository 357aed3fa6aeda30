/**
 * The scanning client: the reference client, plus a matcher between the user and the
 * encryption. Before a message is encrypted, its text is fingerprinted and compared with the
 * match list the provider distributes; on a match, a report to the authority rides along
 * with the message's first envelope (as Apple's safety vouchers ride along with each upload).
 * Nothing is added on a non-match. The account's sharing polynomial (threshold mode) moves to
 * linked devices with the provisioning, so all devices of a user count towards one threshold.
 */
import { RejectionError } from '../../harness/errors.ts';
import type { Envelope, KeyUpload, OutgoingEnvelope } from '../../harness/provider/api.ts';
import type { Addressee, DeviceAddress } from '../../harness/scenario/types.ts';
import { pack, unpack } from '../shared/codec.ts';
import { decodePayload } from '../shared/pairwise-client.ts';
import { SignalClient } from '../signal/client.ts';
import type { ClientContext } from '../types.ts';
import { fingerprint, matchesList } from './fingerprint.ts';
import { makeReport, type ReportMode } from './reports.ts';
import { createPolynomial, type SharingPolynomial } from './threshold.ts';

/** The reference's envelope body, and the report to the authority when the message matched. */
export interface ScannedMessage {
  message: Uint8Array;
  report: Uint8Array | null;
}

interface ScanningKeys {
  signal: unknown;
  polynomial: SharingPolynomial | null;
}

interface ScanningProvisioning {
  signal: Uint8Array;
  polynomial: SharingPolynomial | null;
}

export class ScanningClient extends SignalClient {
  #polynomial: SharingPolynomial | null = null;

  constructor(
    context: ClientContext,
    private readonly mode: ReportMode,
  ) {
    // Envelopes name their sender (no sealed sender): reports identify the account anyway, and
    // the proposals concern what is matched, not how envelopes are routed.
    super(context, { secureDelete: true, sealedSender: false });
  }

  protected override async createKeys(provisioning?: Uint8Array): Promise<KeyUpload> {
    if (!provisioning) {
      if (this.mode.kind === 'threshold') this.#polynomial = createPolynomial(this.context.rng, this.mode.threshold);
      return super.createKeys();
    }
    const provisioned = unpack<ScanningProvisioning>(provisioning, 'provisioning');
    this.#polynomial = provisioned.polynomial;
    return super.createKeys(provisioned.signal);
  }

  override async provisionDevice(device: string): Promise<Uint8Array> {
    return pack({ signal: await super.provisionDevice(device), polynomial: this.#polynomial } satisfies ScanningProvisioning);
  }

  /** Match the message against the list before encrypting; on a match, the report rides with the first envelope. */
  protected override async sealAll(devices: readonly DeviceAddress[], plaintext: Uint8Array, to: Addressee, users: readonly string[]): Promise<OutgoingEnvelope[]> {
    const report = this.#scan(plaintext);
    const envelopes = await super.sealAll(devices, plaintext, to, users);
    return envelopes.map((envelope, i) => ({ to: envelope.to, body: pack({ message: envelope.body, report: i === 0 ? report : null } satisfies ScannedMessage) }));
  }

  #scan(plaintext: Uint8Array): Uint8Array | null {
    const authority = this.context.scanAuthority;
    if (!authority) throw new Error('scanning clients need the authority and its match list');
    const { body } = decodePayload(plaintext);
    if (!matchesList(fingerprint(new TextDecoder().decode(body)), authority.matchList())) return null;
    return makeReport(this.context.crypto, this.context.rng, authority.publicKey, this.mode, this.context.user, this.#polynomial, body);
  }

  protected override async open(envelope: Envelope): Promise<Uint8Array> {
    return super.open({ ...envelope, body: unwrapScanned(envelope.body).message });
  }

  override async openSent(envelope: Envelope): Promise<Uint8Array | null> {
    return super.openSent({ ...envelope, body: unwrapScanned(envelope.body).message });
  }

  override async openSessionStart(envelope: Envelope): Promise<Uint8Array | null> {
    return super.openSessionStart({ ...envelope, body: unwrapScanned(envelope.body).message });
  }

  protected override exportKeys(): unknown {
    return { signal: super.exportKeys(), polynomial: this.#polynomial } satisfies ScanningKeys;
  }

  /** An image of this design, or (rebuilt for the quantum adversary) the reference's keys alone. */
  protected override importKeys(state: unknown): void {
    const keys = state as Partial<ScanningKeys>;
    if (keys && 'signal' in keys) {
      this.#polynomial = keys.polynomial ?? null;
      super.importKeys(keys.signal);
    } else {
      super.importKeys(state);
    }
  }
}

export function unwrapScanned(body: Uint8Array): ScannedMessage {
  const wrapped = unpack<Partial<ScannedMessage> | null>(body, 'scanned message');
  if (!(wrapped?.message instanceof Uint8Array) || !(wrapped.report === null || wrapped.report instanceof Uint8Array)) {
    throw new RejectionError('malformed-message', 'malformed scanned message');
  }
  return wrapped as ScannedMessage;
}
