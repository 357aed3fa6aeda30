/**
 * The Ed25519 public-key rule every backend applies before checking a signature: `A` must be
 * the canonical encoding (RFC 8032 §5.1.3) of a point in the prime-order subgroup, other than
 * the identity. With such an `A` the cofactored check noble runs and the cofactorless check
 * OpenSSL runs accept exactly the same signatures, once noble also insists that `R` is
 * torsion-free. Without the rule they disagree: OpenSSL accepts "signatures" under small-order
 * keys for any message, noble accepts signatures whose `R` carries a torsion component.
 */
import { ed25519 } from '@noble/curves/ed25519.js';

const ED25519_KEY_CACHE_LIMIT = 1024;
const ed25519KeyVerdicts = new Map<string, boolean>();

/** Whether `publicKey` passes the rule. Results are cached per key (bounded): the subgroup check is a full scalar multiplication. */
export function ed25519PublicKeyAcceptable(publicKey: Uint8Array): boolean {
  const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('hex');
  const cached = ed25519KeyVerdicts.get(id);
  if (cached !== undefined) return cached;
  let verdict: boolean;
  try {
    const point = ed25519.Point.fromBytes(publicKey, false);
    verdict = !point.isSmallOrder() && point.isTorsionFree();
  } catch {
    verdict = false;
  }
  if (ed25519KeyVerdicts.size >= ED25519_KEY_CACHE_LIMIT) {
    ed25519KeyVerdicts.delete(ed25519KeyVerdicts.keys().next().value!);
  }
  ed25519KeyVerdicts.set(id, verdict);
  return verdict;
}
