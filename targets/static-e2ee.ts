/**
 * `static-e2ee`: end-to-end encryption with long-term keys only, no ratchet (PGP-style).
 * Each user has one X25519 key pair, copied to every device it links. A message key is
 * HKDF(X25519(sender, recipient)) over the two users' long-term keys, so whoever later
 * holds either private key opens every message of the pair, past and future.
 */
import type { Envelope, KeyUpload } from '../harness/provider/api.ts';
import type { DeviceAddress } from '../harness/scenario/types.ts';
import { PairwiseClient, userOf } from './shared/pairwise-client.ts';
import { concatBytes, pack, unpack, utf8 } from './shared/codec.ts';
import { safetyNumber } from './shared/safety-number.ts';
import { rejectingCryptoErrors, unpackFields, WIRE_SIZES, wireBytes } from './shared/wire.ts';
import type { ClientContext, Design } from './types.ts';

const KDF_INFO = utf8.encode('keyhole static-e2ee message key v1');
const NONCE_LENGTH = WIRE_SIZES.aesGcmNonce;

interface Keys {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

interface Bundle {
  identity: Uint8Array;
}

interface Sealed {
  nonce: Uint8Array;
  ciphertext: Uint8Array;
}

class StaticE2eeClient extends PairwiseClient {
  #keys: Keys | null = null;
  /** Peer user -> public key, pinned at first contact. */
  readonly #keyring = new Map<string, Uint8Array>();
  readonly #pairKeys = new Map<string, Uint8Array>();

  protected async createKeys(provisioning?: Uint8Array): Promise<KeyUpload> {
    if (provisioning && provisioning.length > 0) {
      this.#keys = unpack<Keys>(provisioning, 'provisioning');
    } else {
      const privateKey = this.context.rng.bytes(32);
      this.#keys = { privateKey, publicKey: this.context.crypto.x25519PublicKey(privateKey) };
    }
    return { bundle: pack({ identity: this.#keys.publicKey } satisfies Bundle) };
  }

  override async provisionDevice(_device: string): Promise<Uint8Array> {
    return pack(this.#requireKeys());
  }

  protected async seal(to: DeviceAddress, plaintext: Uint8Array): Promise<Uint8Array> {
    const key = await this.#pairKey(userOf(to));
    const nonce = this.context.rng.bytes(NONCE_LENGTH);
    const ciphertext = this.context.crypto.aes256GcmEncrypt(key, nonce, plaintext, associatedData(this.context.address, to));
    return pack({ nonce, ciphertext } satisfies Sealed);
  }

  protected async open(envelope: Envelope): Promise<Uint8Array> {
    return this.#decrypt(envelope, userOf(envelope.from));
  }

  /** The same pair key opens what this user sent: the state works in both directions. */
  override async openSent(envelope: Envelope): Promise<Uint8Array | null> {
    if (userOf(envelope.from) !== this.context.user) return null;
    return this.#decrypt(envelope, userOf(envelope.to));
  }

  override async safetyNumber(peer: string): Promise<string | null> {
    const own = this.#requireKeys().publicKey;
    return safetyNumber(this.context.crypto, { user: this.context.user, key: own }, { user: peer, key: await this.#peerKey(peer) });
  }

  protected exportKeys(): unknown {
    return { keys: this.#keys, keyring: [...this.#keyring] };
  }

  protected importKeys(state: unknown): void {
    const { keys, keyring } = state as { keys: Keys; keyring: [string, Uint8Array][] };
    this.#keys = keys;
    for (const [user, key] of keyring) this.#keyring.set(user, key);
  }

  async #decrypt(envelope: Envelope, peer: string): Promise<Uint8Array> {
    const sealed = decodeSealed(envelope.body);
    const key = await this.#pairKey(peer);
    return rejectingCryptoErrors(() => this.context.crypto.aes256GcmDecrypt(key, sealed.nonce, sealed.ciphertext, associatedData(envelope.from, envelope.to)));
  }

  async #pairKey(peer: string): Promise<Uint8Array> {
    let key = this.#pairKeys.get(peer);
    if (!key) {
      const own = this.#requireKeys();
      const theirs = await this.#peerKey(peer);
      const [first, second] = [own.publicKey, theirs].sort(compareBytes);
      const shared = this.context.crypto.x25519(own.privateKey, theirs);
      key = this.context.crypto.hkdfSha256(shared, concatBytes(first!, second!), KDF_INFO, 32);
      this.#pairKeys.set(peer, key);
    }
    return key;
  }

  /** Trust on first use: the directory's key for a user is pinned the first time it is fetched. */
  async #peerKey(user: string): Promise<Uint8Array> {
    if (user === this.context.user) return this.#requireKeys().publicKey;
    let key = this.#keyring.get(user);
    if (!key) {
      const listing = await this.context.provider.fetchDevices(user);
      const primary = `${user}.${listing.devices[0]}` as DeviceAddress;
      const bundle = unpack<Bundle>((await this.context.provider.fetchBundle(primary)).bundle, 'bundle');
      key = wireBytes(bundle?.identity, 'bundle.identity', WIRE_SIZES.x25519PublicKey);
      this.#keyring.set(user, key);
    }
    return key;
  }

  #requireKeys(): Keys {
    if (!this.#keys) throw new Error(`${this.context.address} has no keys yet`);
    return this.#keys;
  }
}

function decodeSealed(body: Uint8Array): Sealed {
  const sealed = unpackFields(body, 'static-e2ee message');
  return {
    nonce: wireBytes(sealed['nonce'], 'static-e2ee message.nonce', NONCE_LENGTH),
    ciphertext: wireBytes(sealed['ciphertext'], 'static-e2ee message.ciphertext'),
  };
}

function associatedData(from: string, to: string): Uint8Array {
  return utf8.encode(`${from}>${to}`);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

export const staticE2ee: Design = {
  name: 'static-e2ee',
  description: 'end-to-end encryption with long-term keys only, no ratchet (PGP-style)',
  claims: [{ property: 'confidentiality', adversaries: ['network', 'server'] }],
  createClient: (context: ClientContext) => new StaticE2eeClient(context),
  restoreClient: (context: ClientContext, image: Uint8Array) => new StaticE2eeClient(context).restore(image),
  async reconstructDevice(context, upload, privateKeyOf) {
    const { identity } = unpack<Bundle>(upload.bundle, 'bundle');
    const privateKey = privateKeyOf(identity);
    if (!privateKey) throw new Error(`the identity key of ${context.address} was not captured`);
    return new StaticE2eeClient(context).adopt({ keys: { privateKey, publicKey: identity }, keyring: [] });
  },
};
