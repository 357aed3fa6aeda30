/**
 * Verification as the app sees it: Matrix compares master keys (SAS emoji or QR codes do
 * that), so the safety number is derived from both users' master keys; a successful
 * verification ends as the SDK's flow ends it, the peer's identity signed with this user's
 * user-signing key and the signature uploaded.
 */
import { safetyNumber } from '../shared/safety-number.ts';
import { masterKeyBytes } from './events.ts';
import { matrixUserId } from './ids.ts';
import type { RoomDevice } from './room-send.ts';

/** The number both users compare, or null while either has no cross-signing identity. */
export async function masterKeySafetyNumber(device: RoomDevice, peer: string): Promise<string | null> {
  const { context, lib, olm } = device;
  await olm.updateTrackedUsers([new lib.UserId(matrixUserId(peer))]);
  await device.flush();
  const mine = await olm.getIdentity(new lib.UserId(matrixUserId(context.user)));
  const theirs = await olm.getIdentity(new lib.UserId(matrixUserId(peer)));
  if (!mine || !theirs) return null;
  return safetyNumber(
    context.crypto,
    { user: context.user, key: masterKeyBytes(mine.masterKey) },
    { user: peer, key: masterKeyBytes(theirs.masterKey) },
  );
}

/** Sign the peer's identity with the user-signing key (`UserIdentity.verify`) and publish the signature. */
export async function signPeerIdentity(device: RoomDevice, peer: string): Promise<void> {
  const { lib, olm, server } = device;
  const identity = await olm.getIdentity(new lib.UserId(matrixUserId(peer)));
  if (identity && 'verify' in identity) {
    const request = await identity.verify();
    await server.uploadSignatures(JSON.parse(request.body));
    await olm.markAllTrackedUsersAsDirty();
    await device.flush();
  }
}
