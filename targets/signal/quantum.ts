/**
 * What the `quantum` adversary's discrete-log oracle makes of this design (and the designs
 * built on its client): a device rebuilt from its published bundle and one-time prekeys, and
 * the sealed-sender layer of envelopes on the wire, opened.
 */
import type { CryptoBackend } from '../../harness/crypto/backend.ts';
import type { Envelope, KeyUpload } from '../../harness/provider/api.ts';
import { unpack } from '../shared/codec.ts';
import type { SignalClient } from './client.ts';
import type { SignalKeys } from './device-image.ts';
import type { OneTimePrekey, PrekeyBundle } from './pqxdh.ts';
import type { DhKeyPair } from './primitives.ts';
import { SEALED_SENDER, unsealWithOracle } from './sealed-sender.ts';

/**
 * A device rebuilt from its published bundle and one-time prekeys, with every X25519 private
 * half the oracle gives. The identity's signing seed and the ML-KEM secret keys cannot be
 * recovered from a discrete-log oracle, so they are absent.
 */
export async function reconstructSignalDevice(
  client: SignalClient,
  upload: KeyUpload,
  privateKeyOf: (publicKey: Uint8Array) => Uint8Array | null,
): Promise<SignalClient> {
  const bundle = unpack<PrekeyBundle>(upload.bundle, 'prekey bundle');
  const recover = (publicKey: Uint8Array): DhKeyPair => {
    const privateKey = privateKeyOf(publicKey);
    if (!privateKey) throw new Error('a published key was not captured');
    return { privateKey, publicKey };
  };
  const oneTimePrekeys: [number, DhKeyPair][] = (upload.oneTimeKeys?.['prekey'] ?? []).map((bytes) => {
    const prekey = unpack<OneTimePrekey>(bytes, 'one-time prekey');
    return [prekey.id, recover(prekey.publicKey)];
  });
  const keys: SignalKeys = {
    identity: { dh: recover(bundle.identity.dh), signing: { seed: new Uint8Array(32), publicKey: bundle.identity.signing } },
    signedPrekey: { id: bundle.signedPrekey.id, pair: recover(bundle.signedPrekey.publicKey) },
    oneTimePrekeys,
    kyberPrekeys: [],
    nextPrekeyId: 1,
    sessions: [],
    identities: [],
    verifiedIdentities: [],
    deviceList: null,
    ownSenderKeys: [],
    peerSenderKeys: [],
  };
  return client.adopt(keys);
}

/** `Design.openOuterLayer` for sealed sender: the sealed layer, opened with the recipient's published identity key and the oracle. */
export function openSealedLayer(crypto: CryptoBackend, envelope: Envelope, recipientBundles: readonly Uint8Array[], privateKeyOf: (publicKey: Uint8Array) => Uint8Array | null): Uint8Array | null {
  if (envelope.from !== SEALED_SENDER) return null;
  const identities: Uint8Array[] = [];
  for (const bytes of recipientBundles) {
    try {
      const dh = unpack<PrekeyBundle>(bytes, 'prekey bundle')?.identity?.dh;
      if (dh instanceof Uint8Array) identities.push(dh);
    } catch {
      // not a bundle of this design
    }
  }
  return unsealWithOracle(crypto, envelope.to, envelope.body, identities, privateKeyOf);
}
