/**
 * The KeyPackages of an `mls` device (RFC 9420 §10): its leaf signature key, the KeyPackages
 * it publishes (a last-resort one as its bundle and a pool of one-time ones) kept with their
 * private keys until a Welcome uses them, and the KeyPackages it fetches to add other devices,
 * each checked to be the device's own.
 */
import {
  decodeMlsMessage,
  defaultLifetime,
  encodeMlsMessage,
  generateKeyPackageWithKey,
  type KeyPackage,
  type PrivateKeyPackage,
  type Welcome,
} from 'ts-mls';

import type { DeviceAddress } from '../../harness/scenario/types.ts';
import { hex, MlsError, type MlsDevice } from './device.ts';
import { makeCredential, openCredential, type IdentityKey } from './identity.ts';
import { makeKeyPackageRef } from './internals.ts';
import { CAPABILITIES } from './suite.ts';
import type { MlsTrust } from './trust.ts';

/** One-time KeyPackages each device publishes. */
export const ONE_TIME_KEY_PACKAGES = 4;
const POOL = 'key-package';

export interface StoredKeyPackage {
  /** The KeyPackage as an encoded MLSMessage. */
  message: Uint8Array;
  private: PrivateKeyPackage;
  lastResort: boolean;
}

export class KeyPackages {
  readonly #device: MlsDevice;
  readonly #trust: MlsTrust;
  /** This device's leaf signature key. */
  signing: IdentityKey | null = null;
  /** KeyPackageRef (hex) -> the KeyPackage and its private keys, until a Welcome uses it. */
  readonly stored = new Map<string, StoredKeyPackage>();

  constructor(device: MlsDevice, trust: MlsTrust) {
    this.#device = device;
    this.#trust = trust;
  }

  /** A new leaf signature key, and the KeyPackages made with it published: the last-resort bundle and the one-time pool. */
  async publishNew(): Promise<void> {
    const { crypto, rng, provider } = this.#device.context;
    const signingSeed = rng.bytes(32);
    this.signing = { seed: signingSeed, publicKey: crypto.ed25519PublicKey(signingSeed) };
    const bundle = await this.#newKeyPackage(true);
    const oneTime: Uint8Array[] = [];
    for (let i = 0; i < ONE_TIME_KEY_PACKAGES; i++) oneTime.push(await this.#newKeyPackage(false));
    await provider.publishKeys({ bundle, oneTimeKeys: { [POOL]: oneTime } });
  }

  /** A KeyPackage of this device's leaf, with its private keys (a group's creator's own leaf). */
  async generate(): Promise<{ publicPackage: KeyPackage; privatePackage: PrivateKeyPackage }> {
    const { context } = this.#device;
    const signing = this.signing!;
    const credential = makeCredential(context.crypto, this.#trust.requireIdentity(), context.address, signing.publicKey);
    return generateKeyPackageWithKey(credential, CAPABILITIES, defaultLifetime, [], { signKey: signing.seed, publicKey: signing.publicKey }, await this.#device.cs());
  }

  /** A device's KeyPackage from the directory (a one-time one while the pool lasts), checked to be that device's. */
  async fetch(device: DeviceAddress): Promise<KeyPackage> {
    const { context } = this.#device;
    const response = await context.provider.fetchBundle(device);
    const bytes = response.oneTimeKeys[POOL] ?? response.bundle;
    const decoded = decodeMlsMessage(bytes, 0)?.[0];
    if (decoded?.wireformat !== 'mls_key_package') throw new MlsError(`${device}'s bundle is not a KeyPackage`);
    const leaf = decoded.keyPackage.leafNode;
    const claims = openCredential(context.crypto, leaf.credential, leaf.signaturePublicKey);
    if (!claims || claims.address !== device) throw new MlsError(`the KeyPackage handed out for ${device} is not ${device}'s`);
    return decoded.keyPackage;
  }

  /** The one of this device's KeyPackages a Welcome is for. */
  forWelcome(welcome: Welcome): { ref: string; entry: StoredKeyPackage; keyPackage: KeyPackage } {
    const ref = welcome.secrets.map((s) => hex(s.newMember)).find((r) => this.stored.has(r));
    if (!ref) throw new MlsError('a Welcome for none of this device\'s KeyPackages', 'invalid-prekey');
    const entry = this.stored.get(ref)!;
    return { ref, entry, keyPackage: decodeKeyPackage(entry.message) };
  }

  /** A KeyPackage a Welcome used: a one-time one is deleted, the last-resort one replaced. */
  async used(ref: string, entry: StoredKeyPackage): Promise<void> {
    if (!entry.lastResort) this.stored.delete(ref);
    else await this.#rotateLastResort(ref);
  }

  /** A used last-resort KeyPackage is replaced, so a later copy of this device cannot join from old Welcomes. */
  async #rotateLastResort(ref: string): Promise<void> {
    try {
      const bundle = await this.#newKeyPackage(true);
      await this.#device.context.provider.publishKeys({ bundle });
      this.stored.delete(ref);
    } catch {
      // A restored copy cannot publish; it keeps what the image held.
    }
  }

  /** A fresh KeyPackage, kept with its private keys; returns it encoded for the directory. */
  async #newKeyPackage(lastResort: boolean): Promise<Uint8Array> {
    const { publicPackage, privatePackage } = await this.generate();
    const message = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: publicPackage });
    const ref = hex(await makeKeyPackageRef(publicPackage, (await this.#device.cs()).hash));
    this.stored.set(ref, { message, private: privatePackage, lastResort });
    return message;
  }
}

function decodeKeyPackage(message: Uint8Array): KeyPackage {
  const decoded = decodeMlsMessage(message, 0)?.[0];
  if (decoded?.wireformat !== 'mls_key_package') throw new MlsError('a stored KeyPackage does not decode');
  return decoded.keyPackage;
}
