/**
 * `server-side`: transport encryption to the provider only, as in classic cloud chats or
 * mail over TLS. Uploads are sealed to the provider's pinned X25519 key with a fresh
 * ephemeral key; the provider opens them, stores the plaintext, and seals each delivery to
 * the recipient device's transport key with a fresh ephemeral of its own. The network sees
 * only ciphertext; the provider sees everything.
 */
import type { Envelope, KeyUpload } from '../harness/provider/api.ts';
import type { ServerLogic } from '../harness/provider/provider.ts';
import type { DeviceAddress } from '../harness/scenario/types.ts';
import { PairwiseClient } from './shared/pairwise-client.ts';
import { pack, unpack, utf8 } from './shared/codec.ts';
import * as box from './shared/sealed-box.ts';
import type { ClientContext, Design, ServerContext } from './types.ts';

const UPLOAD_INFO = utf8.encode('keyhole server-side upload v1');
const DELIVERY_INFO = utf8.encode('keyhole server-side delivery v1');

/** A device's directory entry: the key deliveries are sealed to. */
interface Bundle {
  transportKey: Uint8Array;
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
    return box.seal(this.context.crypto, this.context.rng, { x25519: providerKey }, UPLOAD_INFO, plaintext, routing({ from: this.context.address, to }));
  }

  protected async open(envelope: Envelope): Promise<Uint8Array> {
    const own = this.#transport;
    if (!own) throw new Error(`${this.context.address} has no transport key`);
    return box.open(this.context.crypto, { x25519: own.privateKey, x25519Public: own.publicKey }, DELIVERY_INFO, envelope.body, routing(envelope));
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
      return box.open(context.crypto, { x25519: privateKey, x25519Public: publicKey }, UPLOAD_INFO, envelope.body, routing(envelope));
    },
    async prepareDelivery(envelope) {
      const bundle = unpack<Bundle>(context.bundleOf(envelope.to), 'bundle');
      return box.seal(context.crypto, context.rng, { x25519: bundle.transportKey }, DELIVERY_INFO, envelope.body, routing(envelope));
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
