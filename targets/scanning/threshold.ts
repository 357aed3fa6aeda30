/**
 * Threshold secret sharing (Shamir, "How to share a secret", CACM 1979) over the prime field
 * of 2^255 - 19, as the safety vouchers of "The Apple PSI System" (Bhowmick, Boneh, Myers,
 * Talwar & Tarbe, 2021, §3) use it: every voucher of an account carries one share of the
 * account's inner key, and any `threshold` shares of one account give the key back by
 * Lagrange interpolation at 0, while fewer say nothing about it.
 */
import { Field } from '@noble/curves/abstract/modular.js';
import type { Rng } from '../../harness/rng.ts';

const Fp = Field(2n ** 255n - 19n);

/** One point of the polynomial: `x` random and non-zero, `y = f(x)`; both as field bytes. */
export interface Share {
  x: Uint8Array;
  y: Uint8Array;
}

/** A polynomial of degree `threshold - 1` whose constant term is the secret; coefficients as field bytes. */
export interface SharingPolynomial {
  coefficients: Uint8Array[];
}

/** A random field element: 32 random bytes reduced modulo the prime (the bias, below 2^-250, does not matter here). */
function randomElement(rng: Rng): bigint {
  let value = 0n;
  for (const byte of rng.bytes(32)) value = (value << 8n) | BigInt(byte);
  return Fp.create(value);
}

/** A fresh secret (the constant term) and random coefficients: `threshold` shares recover it. */
export function createPolynomial(rng: Rng, threshold: number): SharingPolynomial {
  if (!Number.isInteger(threshold) || threshold < 1) throw new RangeError(`"threshold" expected an integer >= 1, got ${threshold}`);
  return { coefficients: Array.from({ length: threshold }, () => Fp.toBytes(randomElement(rng))) };
}

/** The secret a polynomial shares (its constant term), as 32 bytes. */
export function secretOf(polynomial: SharingPolynomial): Uint8Array {
  return polynomial.coefficients[0]!;
}

/** A share at a fresh random non-zero point (Horner's rule). */
export function share(polynomial: SharingPolynomial, rng: Rng): Share {
  let x = randomElement(rng);
  while (Fp.is0(x)) x = randomElement(rng);
  let y = Fp.ZERO;
  for (let i = polynomial.coefficients.length - 1; i >= 0; i--) y = Fp.add(Fp.mul(y, x), Fp.fromBytes(polynomial.coefficients[i]!));
  return { x: Fp.toBytes(x), y: Fp.toBytes(y) };
}

/**
 * The secret from shares of distinct points, by Lagrange interpolation at 0; null when there
 * are fewer distinct points than `threshold` (below it, every secret is equally likely).
 */
export function recover(shares: readonly Share[], threshold: number): Uint8Array | null {
  const points = new Map<bigint, bigint>();
  for (const { x, y } of shares) {
    try {
      const px = Fp.fromBytes(x);
      if (!Fp.is0(px)) points.set(px, Fp.fromBytes(y));
    } catch {
      // not a field element: no share
    }
  }
  if (points.size < threshold) return null;
  const chosen = [...points].slice(0, threshold);
  let secret = Fp.ZERO;
  for (const [xi, yi] of chosen) {
    let numerator = Fp.ONE;
    let denominator = Fp.ONE;
    for (const [xj] of chosen) {
      if (xj === xi) continue;
      numerator = Fp.mul(numerator, Fp.neg(xj));
      denominator = Fp.mul(denominator, Fp.sub(xi, xj));
    }
    secret = Fp.add(secret, Fp.mul(yi, Fp.div(numerator, denominator)));
  }
  return Fp.toBytes(secret);
}
