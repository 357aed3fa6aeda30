/**
 * `server-side`: transport encryption to the provider only, as in classic cloud chats or
 * mail over TLS. Uploads are sealed to the provider's pinned X25519 key with a fresh
 * ephemeral key; the provider opens them, stores the plaintext, and seals each delivery to
 * the recipient device's transport key with a fresh ephemeral of its own. The network sees
 * only ciphertext; the provider sees everything.
 */
import type { Envelope, KeyUpload } from '../harness/provider/api.ts';
import type { ServerLogic } from '../harness/provider/provider.ts';
import type { CryptoBackend } from '../harness/crypto/backend.ts';
import type { Rng } from '../harness/rng.ts';
import type { DeviceAddress } from '../harness/scenario/types.ts';
import { PairwiseClient } from './shared/pairwise-client.ts';
import { concatBytes, pack, unpack, utf8 } from './shared/codec.ts';
import type { ClientContext, Design, ServerContext } from './types.ts';

const UPLOAD_INFO = utf8.encode('keyhole server-side upload v1');
const DELIVERY_INFO = utf8.encode('keyhole server-side delivery v1');

/** One transport record: the sender's ephemeral key, a nonce and the AEAD ciphertext. */
interface TransportRecord {
  ephemeral: Uint8Array;
  nonce: Uint8Array;
  ciphertext: Uint8Array;
}

interface Bundle {
  transportKey: Uint8Array;
}

/** Seal `plaintext` to `recipientKey` with a fresh ephemeral key (an ECIES-style record). */
function sealTransport(crypto: CryptoBackend, rng: Rng, recipientKey: Uint8Array, info: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const ephemeralPrivate = rng.bytes(32);
  const ephemeral = crypto.x25519PublicKey(ephemeralPrivate);
  const key = crypto.hkdfSha256(crypto.x25519(ephemeralPrivate, recipientKey), concatBytes(ephemeral, recipientKey), info, 32);
  ephemeralPrivate.fill(0);
  const nonce = rng.bytes(12);
  return pack({ ephemeral, nonce, ciphertext: crypto.aes256GcmEncrypt(key, nonce, plaintext, aad) } satisfies TransportRecord);
}

function openTransport(crypto: CryptoBackend, privateKey: Uint8Array, publicKey: Uint8Array, info: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  const record = unpack<TransportRecord>(sealed, 'transport record');
  const key = crypto.hkdfSha256(crypto.x25519(privateKey, record.ephemeral), concatBytes(record.ephemeral, publicKey), info, 32);
  return crypto.aes256GcmDecrypt(key, record.nonce, record.ciphertext, aad);
}

function routing(envelope: { from: string; to: string }): Uint8Array {
  return utf8.encode(`${envelope.from}>${envelope.to}`);
}

class ServerSideClient extends PairwiseClient {
  #transport: { privateKey: Uint8Array; publicKey: Uint8Array } | null = null;

  protected async createKeys(): Promise<KeyUpload> {
    const privateKey = this.context.rng.bytes(32);
    this.#transport = { privateKey, publicKey: this.context.crypto.x25519PublicKey(privateKey) };
    return { bundle: pack({ transportKey: this.#transport.publicKey } satisfies Bundle) };
  }

  protected async seal(to: DeviceAddress, plaintext: Uint8Array): Promise<Uint8Array> {
    const providerKey = this.context.serverConfig;
    if (!providerKey) throw new Error('server-side clients need the provider key');
    return sealTransport(this.context.crypto, this.context.rng, providerKey, UPLOAD_INFO, plaintext, routing({ from: this.context.address, to }));
  }

  protected async open(envelope: Envelope): Promise<Uint8Array> {
    const own = this.#transport;
    if (!own) throw new Error(`${this.context.address} has no transport key`);
    return openTransport(this.context.crypto, own.privateKey, own.publicKey, DELIVERY_INFO, envelope.body, routing(envelope));
  }

  protected exportKeys(): unknown {
    return this.#transport;
  }

  protected importKeys(keys: unknown): void {
    this.#transport = keys as { privateKey: Uint8Array; publicKey: Uint8Array };
  }
}

/** The provider opens each upload, keeps the plaintext, and re-seals it for the recipient. */
function createServer(context: ServerContext): ServerLogic {
  const privateKey = context.rng.bytes(32);
  const publicKey = context.crypto.x25519PublicKey(privateKey);
  return {
    clientConfig: publicKey,
    async acceptUpload(envelope) {
      return openTransport(context.crypto, privateKey, publicKey, UPLOAD_INFO, envelope.body, routing(envelope));
    },
    async prepareDelivery(envelope) {
      const bundle = unpack<Bundle>(context.bundleOf(envelope.to), 'bundle');
      return sealTransport(context.crypto, context.rng, bundle.transportKey, DELIVERY_INFO, envelope.body, routing(envelope));
    },
  };
}

export const serverSide: Design = {
  name: 'server-side',
  description: 'transport encryption to the provider only (classic cloud chats, mail over TLS)',
  claims: [{ property: 'confidentiality', adversaries: ['network'] }],
  createClient: (context: ClientContext) => new ServerSideClient(context),
  restoreClient: (context: ClientContext, image: Uint8Array) => new ServerSideClient(context).restore(image),
  async reconstructDevice(context, upload, privateKeyOf) {
    const { transportKey } = unpack<Bundle>(upload.bundle, 'bundle');
    const privateKey = privateKeyOf(transportKey);
    if (!privateKey) throw new Error(`the transport key of ${context.address} was not captured`);
    return new ServerSideClient(context).adopt({ privateKey, publicKey: transportKey });
  },
  createServer,
};
