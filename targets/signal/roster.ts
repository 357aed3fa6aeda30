/**
 * Group rosters signed by the group's admin: members encrypt only to, and accept messages
 * only from, members the admin vouches for, so a provider cannot slip in a member of its own
 * (the attack Rösler, Mainka and Schwenk showed on WhatsApp groups in 2018).
 */
import type { CryptoBackend } from '../../harness/crypto/backend.ts';
import { concatBytes, pack, unpack } from '../shared/codec.ts';
import { SignalError } from './errors.ts';
import { LABELS, type IdentityKeyPair, type IdentityPublic } from './primitives.ts';

export interface SignedRosterContent {
  group: string;
  admin: string;
  members: string[];
}

interface SignedRoster {
  roster: Uint8Array;
  signature: Uint8Array;
}

export function signRoster(crypto: CryptoBackend, admin: IdentityKeyPair, content: SignedRosterContent): Uint8Array {
  const roster = pack(content);
  return pack({ roster, signature: crypto.ed25519Sign(admin.signing.seed, concatBytes(LABELS.roster, roster)) } satisfies SignedRoster);
}

/** Opens a signed roster of `group` and checks it against the admin's identity. */
export function openRoster(crypto: CryptoBackend, signed: Uint8Array, group: string, admin: IdentityPublic): SignedRosterContent {
  const { roster, signature } = unpack<SignedRoster>(signed, 'signed roster');
  const content = unpack<SignedRosterContent>(roster, 'roster');
  if (content?.group !== group || !Array.isArray(content.members)) throw new SignalError('bad-signature', `the roster is not ${group}'s`);
  if (!(signature instanceof Uint8Array) || signature.length !== 64 || !crypto.ed25519Verify(admin.signing, concatBytes(LABELS.roster, roster), signature)) {
    throw new SignalError('bad-signature', `${group}'s roster is not signed by its admin`);
  }
  return content;
}
