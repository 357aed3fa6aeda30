/**
 * Sealed sender (Signal, "Technology preview: Sealed sender for Signal", 2018; the design of
 * libsignal's `sealed_sender.rs`, v1): the sender's address and identity travel inside the
 * encryption, and the envelope names only the recipient. Two layers, as in v1:
 *
 * - the certificate (the sender's address and identity key) sealed to the recipient's
 *   identity key with a fresh ephemeral X25519 key: only the recipient learns who sent it;
 * - the content, encrypted under a key from the static Diffie-Hellman value of the sender's
 *   and the recipient's identity keys: it proves the sender holds its identity key.
 *
 * Unlike v1, the content key is not salted with the ephemeral layer's chain key, so that an
 * image of the sender's device still opens what it sent (as it opens its sending chains);
 * Signal's servers issue the sender certificate, here the identity key stands for it.
 */
import type { CryptoBackend } from '../../harness/crypto/backend.ts';
import type { DeviceAddress } from '../../harness/scenario/types.ts';
import type { Rng } from '../../harness/rng.ts';
import { pack, unpack, utf8 } from '../shared/codec.ts';
import * as box from '../shared/sealed-box.ts';
import { SignalError } from './errors.ts';
import type { IdentityKeyPair, IdentityPublic } from './primitives.ts';

export { SEALED_SENDER } from '../../harness/provider/api.ts';

const CERTIFICATE_INFO = utf8.encode('keyhole sealed sender certificate v1');
const CONTENT_INFO = 'keyhole sealed sender content v1';
const NONCE_LENGTH = 12;

/** What a sealed envelope body holds. */
export interface SealedBody {
  sealedSender: { certificate: Uint8Array; nonce: Uint8Array; content: Uint8Array };
}

/** Inside: a message body, or a delivery receipt for a message id. */
export interface SealedContent {
  body: Uint8Array | null;
  receipt: string | null;
}

interface Certificate {
  sender: DeviceAddress;
  identity: IdentityPublic;
}

function contentKey(crypto: CryptoBackend, ownDh: Uint8Array, theirDh: Uint8Array, sender: DeviceAddress, recipient: DeviceAddress): Uint8Array {
  return crypto.hkdfSha256(crypto.x25519(ownDh, theirDh), new Uint8Array(0), utf8.encode(`${CONTENT_INFO}|${sender}>${recipient}`), 32);
}

export function sealSender(
  crypto: CryptoBackend,
  rng: Rng,
  own: { address: DeviceAddress; identity: IdentityKeyPair; identityPublic: IdentityPublic },
  recipient: { address: DeviceAddress; identity: IdentityPublic },
  content: SealedContent,
): Uint8Array {
  const certificate = box.seal(crypto, rng, { x25519: recipient.identity.dh }, CERTIFICATE_INFO, pack({ sender: own.address, identity: own.identityPublic } satisfies Certificate), utf8.encode(recipient.address));
  const nonce = rng.bytes(NONCE_LENGTH);
  const key = contentKey(crypto, own.identity.dh.privateKey, recipient.identity.dh, own.address, recipient.address);
  const sealed = crypto.aes256GcmEncrypt(key, nonce, pack(content), certificate);
  return pack({ sealedSender: { certificate, nonce, content: sealed } } satisfies SealedBody);
}

/** The sealed layer of a body, or null for a body that is not sealed. */
export function sealedLayer(body: Uint8Array): SealedBody['sealedSender'] | null {
  const decoded = unpack<Partial<SealedBody> | null>(body, 'signal message');
  const layer = decoded?.sealedSender;
  if (layer === undefined) return null;
  if (!(layer?.certificate instanceof Uint8Array) || !(layer.nonce instanceof Uint8Array) || !(layer.content instanceof Uint8Array)) {
    throw new SignalError('invalid-message', 'malformed sealed-sender message');
  }
  if (layer.nonce.length !== NONCE_LENGTH) throw new SignalError('invalid-message', `malformed sealed-sender message: "sealedSender.nonce" expected ${NONCE_LENGTH} bytes, got ${layer.nonce.length}`);
  return layer;
}

/** The recipient's side: who sent it (its address and identity, as the certificate says) and what. */
export function unsealAsRecipient(crypto: CryptoBackend, own: { address: DeviceAddress; identity: IdentityKeyPair }, layer: SealedBody['sealedSender']): { sender: DeviceAddress; identity: IdentityPublic; content: SealedContent } {
  const keys = { x25519: own.identity.dh.privateKey, x25519Public: own.identity.dh.publicKey };
  const certificate = unpack<Certificate>(box.open(crypto, keys, CERTIFICATE_INFO, layer.certificate, utf8.encode(own.address)), 'sender certificate');
  if (typeof certificate?.sender !== 'string' || !(certificate.identity?.dh instanceof Uint8Array)) {
    throw new SignalError('invalid-message', 'malformed sender certificate');
  }
  const key = contentKey(crypto, own.identity.dh.privateKey, certificate.identity.dh, certificate.sender, own.address);
  return { sender: certificate.sender, identity: certificate.identity, content: decodeContent(crypto.aes256GcmDecrypt(key, layer.nonce, layer.content, layer.certificate)) };
}

/** The sender's side (an image of its device): what it sealed to `recipient`. */
export function unsealAsSender(crypto: CryptoBackend, own: { address: DeviceAddress; identity: IdentityKeyPair }, recipient: { address: DeviceAddress; identity: IdentityPublic }, layer: SealedBody['sealedSender']): SealedContent {
  const key = contentKey(crypto, own.identity.dh.privateKey, recipient.identity.dh, own.address, recipient.address);
  return decodeContent(crypto.aes256GcmDecrypt(key, layer.nonce, layer.content, layer.certificate));
}

/**
 * A holder of the discrete-log oracle: the recipient's identity key is X25519 and published,
 * so the sealed layer (certificate and content alike) opens to it (sealed sender has no
 * post-quantum layer). The content's body, or null.
 */
export function unsealWithOracle(crypto: CryptoBackend, to: DeviceAddress, body: Uint8Array, recipientIdentities: readonly Uint8Array[], privateKeyOf: (publicKey: Uint8Array) => Uint8Array | null): Uint8Array | null {
  let layer;
  try {
    layer = sealedLayer(body);
  } catch {
    return null;
  }
  if (!layer) return null;
  for (const publicKey of recipientIdentities) {
    const privateKey = privateKeyOf(publicKey);
    if (!privateKey) continue;
    try {
      const identity = { dh: { privateKey, publicKey }, signing: { seed: new Uint8Array(32), publicKey: new Uint8Array(32) } };
      return unsealAsRecipient(crypto, { address: to, identity }, layer).content.body;
    } catch {
      // not this identity
    }
  }
  return null;
}

function decodeContent(bytes: Uint8Array): SealedContent {
  const content = unpack<Partial<SealedContent> | null>(bytes, 'sealed content');
  const body = content?.body ?? null;
  const receipt = content?.receipt ?? null;
  if (!(body === null || body instanceof Uint8Array) || !(receipt === null || typeof receipt === 'string') || (body === null) === (receipt === null)) {
    throw new SignalError('invalid-message', 'malformed sealed content');
  }
  return { body, receipt };
}

