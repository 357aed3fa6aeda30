/**
 * The library's pairwise sessions, as a `libsignal` device starts and uses them: a message
 * encrypted to a device (`signalEncrypt`), after a session started by PQXDH
 * (`processPreKeyBundle`) if there is no current one. The bundle is fetched from the provider;
 * the library checks its prekey signatures, and this that it is under the identity the
 * user's signed device list pinned.
 */
import {
  KEMPublicKey,
  PreKeyBundle,
  ProtocolAddress,
  PublicKey,
  processPreKeyBundle,
  signalEncrypt,
  type CiphertextMessage,
} from '@signalapp/libsignal-client';
import { splitAddress, type DeviceAddress } from '../../harness/scenario/types.ts';
import { unpack } from '../shared/codec.ts';
import type { ClientContext } from '../types.ts';
import { LibsignalError } from './errors.ts';
import { own, type DeviceStores } from './stores.ts';
import type { LibsignalTrust } from './trust.ts';
import type { Bundle, OneTimeKyberPrekey, OneTimePrekey } from './wire-formats.ts';

/** The sending device: its context, its library stores, whom it trusts, and its own address. */
export interface SendingDevice {
  context: ClientContext;
  stores: DeviceStores;
  trust: LibsignalTrust;
  local: ProtocolAddress;
}

/** `plaintext` encrypted to a device on its user's signed list, in a session started now if none is current; and the device's address. */
export async function encryptTo(device: SendingDevice, to: DeviceAddress, plaintext: Uint8Array): Promise<{ message: CiphertextMessage; address: ProtocolAddress }> {
  const { context, stores, trust, local } = device;
  const address = await trust.protocolAddress(to);
  const now = new Date(context.now());
  const session = await stores.sessions.getSession(address);
  if (!session || !session.hasCurrentState(now)) await startSession(device, to, address, now);
  const message = await signalEncrypt(own(plaintext), address, local, stores.sessions, stores.identity, now);
  return { message, address };
}

/** PQXDH with a fresh bundle from the provider: the library checks the prekey signatures and the identity. */
async function startSession({ context, stores, trust, local }: SendingDevice, to: DeviceAddress, address: ProtocolAddress, now: Date): Promise<void> {
  const response = await context.provider.fetchBundle(to);
  const bundle = unpack<Bundle>(response.bundle, 'prekey bundle');
  const identityKey = PublicKey.deserialize(own(bundle.identityKey));
  const expected = trust.identityOf(splitAddress(to).user);
  if (!expected || !expected.equals(identityKey)) {
    throw new LibsignalError('untrusted-identity', `${to}'s bundle is not under ${splitAddress(to).user}'s identity`);
  }
  const oneTime = response.oneTimeKeys['prekey'] ? unpack<OneTimePrekey>(response.oneTimeKeys['prekey'], 'one-time prekey') : null;
  const oneTimeKyber = response.oneTimeKeys['kyber'] ? unpack<OneTimeKyberPrekey>(response.oneTimeKeys['kyber'], 'one-time kyber prekey') : null;
  const kyber = oneTimeKyber ?? bundle.kyberPrekey;
  const prekeyBundle = PreKeyBundle.new(
    bundle.registrationId,
    address.deviceId(),
    oneTime?.id ?? null,
    oneTime ? PublicKey.deserialize(own(oneTime.publicKey)) : null,
    bundle.signedPrekey.id,
    PublicKey.deserialize(own(bundle.signedPrekey.publicKey)),
    own(bundle.signedPrekey.signature),
    identityKey,
    kyber.id,
    KEMPublicKey.deserialize(own(kyber.publicKey)),
    own(kyber.signature),
  );
  await processPreKeyBundle(prekeyBundle, address, local, stores.sessions, stores.identity, now);
}
