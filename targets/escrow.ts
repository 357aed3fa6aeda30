/**
 * `escrow`: the reference messenger plus "exceptional access": every message is also sealed
 * to a government escrow key (hybrid X25519 + ML-KEM-768, so it holds against the quantum
 * adversary as the reference does). The provider does not hold the escrow private key;
 * whoever does (the agency, or whoever steals it) opens every message, past ones included.
 */
import { RejectionError } from '../harness/errors.ts';
import type { Envelope, KeyUpload, OutgoingEnvelope } from '../harness/provider/api.ts';
import type { Addressee, DeviceAddress } from '../harness/scenario/types.ts';
import { pack, unpack, utf8 } from './shared/codec.ts';
import * as box from './shared/sealed-box.ts';
import { SignalClient } from './signal/client.ts';
import { reconstructSignalDevice } from './signal/quantum.ts';
import { SIGNAL_CLAIMS } from './signal.ts';
import type { Claim, ClientContext, Design } from './types.ts';

const ESCROW_INFO = utf8.encode('keyhole escrow access v1');

/** The reference's message, and the same plaintext sealed to the escrow authority. */
interface EscrowedMessage {
  message: Uint8Array;
  escrow: Uint8Array;
}

function routing(from: string, to: string): Uint8Array {
  return utf8.encode(`${from}>${to}`);
}

class EscrowClient extends SignalClient {
  /** Whatever the reference sends to a device, plus the plaintext sealed to the escrow authority. */
  protected override async sealAll(devices: readonly DeviceAddress[], plaintext: Uint8Array, to: Addressee, users: readonly string[]): Promise<OutgoingEnvelope[]> {
    const escrowKey = this.context.escrowKey;
    if (!escrowKey) throw new Error('escrow clients need the escrow public key');
    const envelopes = await super.sealAll(devices, plaintext, to, users);
    return envelopes.map((envelope) => {
      const escrow = box.seal(this.context.crypto, this.context.rng, escrowKey, ESCROW_INFO, plaintext, routing(this.context.address, envelope.to));
      return { to: envelope.to, body: pack({ message: envelope.body, escrow } satisfies EscrowedMessage) };
    });
  }

  protected override async open(envelope: Envelope): Promise<Uint8Array> {
    return super.open({ ...envelope, body: unwrap(envelope.body).message });
  }

  override async openSent(envelope: Envelope): Promise<Uint8Array | null> {
    return super.openSent({ ...envelope, body: unwrap(envelope.body).message });
  }
}

function unwrap(body: Uint8Array): EscrowedMessage {
  const wrapped = unpack<Partial<EscrowedMessage> | null>(body, 'escrowed message');
  if (!(wrapped?.message instanceof Uint8Array) || !(wrapped.escrow instanceof Uint8Array)) {
    throw new RejectionError('malformed-message', 'malformed escrowed message');
  }
  return wrapped as EscrowedMessage;
}

const WITHOUT_ESCROW_ADVERSARIES: readonly Claim[] = SIGNAL_CLAIMS.map((claim) =>
  claim.property === 'confidentiality'
    ? { ...claim, adversaries: claim.adversaries.filter((a) => a !== 'escrow-agent' && a !== 'escrow-thief') }
    : claim,
);

/**
 * Envelopes name their sender (no sealed sender): exceptional-access proposals ask for who
 * talks to whom as well, and the escrow copy is bound to the routing it names (`routing`).
 */
const options = { secureDelete: true, sealedSender: false };

export const escrow: Design = {
  name: 'escrow',
  description: 'signal plus every message sealed to a government escrow key ("exceptional access")',
  claims: WITHOUT_ESCROW_ADVERSARIES,
  escrowAuthority: true,
  createClient: (context: ClientContext) => new EscrowClient(context, options),
  restoreClient: (context: ClientContext, image: Uint8Array) => new EscrowClient(context, options).restore(image),
  reconstructDevice: (context: ClientContext, upload: KeyUpload, privateKeyOf) => reconstructSignalDevice(new EscrowClient(context, options), upload, privateKeyOf),
  openEscrow(crypto, escrowKey, envelope) {
    try {
      return box.open(crypto, escrowKey, ESCROW_INFO, unwrap(envelope.body).escrow, routing(envelope.from, envelope.to));
    } catch {
      return null;
    }
  },
};
