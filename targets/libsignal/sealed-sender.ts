/**
 * Sealed sender for the `libsignal` target (the library's sealed_sender v1): the provider's
 * sender-certificate authority, the sealed layer around a session's message or a delivery
 * receipt, and opening it again, the certificate checked against the provider's trust root
 * and the sender's signed device list.
 */
import { sha512 } from '@noble/hashes/sha2.js';
import {
  DecryptionErrorMessage,
  PlaintextContent,
  PrivateKey,
  SenderCertificate,
  ServerCertificate,
  UnidentifiedSenderMessageContent,
  sealedSenderDecryptToUsmc,
  sealedSenderEncrypt,
  type CiphertextMessage,
  type ProtocolAddress,
  type PublicKey,
} from '@signalapp/libsignal-client';
import type { Envelope } from '../../harness/provider/api.ts';
import { equalBytes, pack, utf8 } from '../shared/codec.ts';
import type { ClientContext } from '../types.ts';
import { LibsignalError } from './errors.ts';
import { own, type DeviceStores } from './stores.ts';
import type { LibsignalTrust } from './trust.ts';
import type { WireMessage } from './wire-formats.ts';

/**
 * The provider's sender-certificate authority, as Signal's servers hold one: a trust root
 * every client ships with, and the server certificate it signed. The provider issues each
 * device a sender certificate (its user, device id and identity key) at registration; the
 * keys are fixed, so that every run is alike.
 */
const CERTIFICATE_AUTHORITY = (() => {
  const key = (label: string) => PrivateKey.deserialize(own(sha512(utf8.encode(`keyhole provider ${label}`)).slice(0, 32)));
  const trustRoot = key('sealed sender trust root');
  const serverKey = key('sealed sender server key');
  return { trustRoot: trustRoot.getPublicKey(), serverKey, serverCertificate: ServerCertificate.new(1, serverKey.getPublicKey(), trustRoot) };
})();

/** Sender certificates do not expire within a run. */
const CERTIFICATE_EXPIRATION = Number.MAX_SAFE_INTEGER;

/** A device's sender certificate, as the provider issues it. */
export function senderCertificate(user: string, deviceId: number, identityKey: PublicKey): SenderCertificate {
  const { serverCertificate, serverKey } = CERTIFICATE_AUTHORITY;
  return SenderCertificate.new(user, null, deviceId, identityKey, CERTIFICATE_EXPIRATION, serverCertificate, serverKey);
}

/** A message and the sender's certificate, sealed to the recipient's identity key (`sealedSenderEncrypt`). */
export async function sealMessage(message: CiphertextMessage, certificate: SenderCertificate, to: ProtocolAddress, stores: DeviceStores): Promise<Uint8Array> {
  const content = UnidentifiedSenderMessageContent.new(message, certificate, 0, null);
  return sealedSenderEncrypt(content, to, stores.identity);
}

/**
 * A delivery receipt for a message received. As in `signal`, it travels outside the session
 * (so it moves no ratchet): the library's one sealed content that needs no session is a
 * plaintext content, a decryption-error message naming the message it answers, which
 * carries the receipt here. Signal's app sends receipts through the session.
 */
export function deliveryReceipt(answered: WireMessage, now: number, senderDeviceId: number): CiphertextMessage {
  const receipt = DecryptionErrorMessage.forOriginal(own(answered.body), answered.type, now, senderDeviceId);
  return PlaintextContent.from(receipt).asCiphertextMessage();
}

/**
 * A sealed envelope: the library opens the sealed layer (`sealedSenderDecryptToUsmc`), the
 * certificate must be the provider's and name a device on its user's signed list, and the
 * envelope returned holds the session's message inside, from that device.
 */
export async function unseal(envelope: Envelope, context: ClientContext, stores: DeviceStores, trust: LibsignalTrust): Promise<Envelope> {
  const content = await sealedSenderDecryptToUsmc(own(envelope.body), stores.identity);
  const certificate = content.senderCertificate();
  if (!certificate.validate(CERTIFICATE_AUTHORITY.trustRoot, context.now())) throw new LibsignalError('invalid-message', 'a sender certificate the provider did not issue');
  const user = certificate.senderUuid();
  const device = [...(await trust.deviceIds(user))].find(([, id]) => id === certificate.senderDeviceId())?.[0];
  if (!device) throw new LibsignalError('unknown-device', `a sealed message from device ${certificate.senderDeviceId()} of ${user}, not on ${user}'s signed device list`);
  const pinned = stores.identity.identities.get(user);
  if (pinned && !equalBytes(pinned, certificate.key().serialize())) throw new LibsignalError('untrusted-identity', `a sender certificate for ${device} under an identity that is not ${user}'s`);
  return { from: device, to: envelope.to, body: pack({ type: content.msgType(), body: content.contents() } satisfies WireMessage) };
}
