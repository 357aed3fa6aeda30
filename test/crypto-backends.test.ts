/**
 * The two crypto backends against published vectors (test/vectors/*.json: RFC 7748, RFC 8032,
 * FIPS 180-4, RFC 4231, RFC 5869, McGrew-Viega GCM, RFC 8439, NIST SP 800-38A), against each
 * other on random inputs (fast-check, fixed seeds), and on the failures the interface promises.
 */

import { deepStrictEqual } from 'node:assert/strict';
import * as nodeCrypto from 'node:crypto';
import { readFileSync } from 'node:fs';

import { ed25519, ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import test from 'ava';
import type { ExecutionContext } from 'ava';
import fc from 'fast-check';

import { CryptoError, type CryptoBackend, type CryptoErrorCode } from '../harness/crypto/backend.ts';
import { cryptoBackend, cryptoBackends } from '../harness/crypto/index.ts';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const backends: readonly CryptoBackend[] = Object.values(cryptoBackends);
const { node, noble } = cryptoBackends;

/** A plain Uint8Array (never a Buffer), so deep equality with backend outputs is exact. */
function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'hex'));
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function load<T>(file: string): T {
  return JSON.parse(readFileSync(new URL(`./vectors/${file}`, import.meta.url), 'utf8')) as T;
}

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  out[(bit >>> 3) % out.length]! ^= 1 << (bit & 7);
  return out;
}

function throwsCrypto(t: ExecutionContext, fn: () => unknown, code: CryptoErrorCode, what: string): void {
  const error = t.throws(fn, { instanceOf: CryptoError }, what);
  t.is(error?.code, code, what);
  t.is(error?.name, 'CryptoError', what);
}

/** The result of a call, or the error it threw, in a form deepStrictEqual compares exactly. */
type Outcome = { ok: unknown } | { threw: string; code: string | undefined; message: string };

function outcome(fn: () => unknown): Outcome {
  try {
    return { ok: fn() };
  } catch (error) {
    const e = error as Error & { code?: string };
    return { threw: e.constructor.name, code: e.code, message: e.message };
  }
}

/** Both backends give the same bytes, or throw the same error, for `call`. */
function agree(call: (backend: CryptoBackend) => unknown): void {
  deepStrictEqual(outcome(() => call(node)), outcome(() => call(noble)));
}

function agreeProperty<Ts extends [unknown, ...unknown[]]>(
  t: ExecutionContext,
  arbitraries: { [K in keyof Ts]: fc.Arbitrary<Ts[K]> },
  call: (backend: CryptoBackend, ...args: Ts) => unknown,
  numRuns: number,
  seed: number,
): void {
  t.notThrows(() =>
    fc.assert(
      fc.property(...arbitraries, (...args: Ts) => agree((backend) => call(backend, ...args))),
      { numRuns, seed },
    ),
  );
}

const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
const anyBytes = (maxLength = 300) => fc.uint8Array({ maxLength });

// ---------------------------------------------------------------------------------------------
// Vector files
// ---------------------------------------------------------------------------------------------

interface X25519Vectors {
  scalarMult: { name: string; scalar: string; u: string; output: string }[];
  iterated: { start: string; after: { iterations: number; k: string }[] };
  diffieHellman: { alicePrivate: string; alicePublic: string; bobPrivate: string; bobPublic: string; shared: string };
  lowOrder: { name: string; u: string }[];
}
interface Ed25519Vectors {
  vectors: { name: string; seed: string; publicKey: string; message: string; signature: string }[];
}
interface Sha2Vectors {
  sha256: { name: string; message: string; digest: string }[];
  sha512: { name: string; message: string; digest: string }[];
}
interface HmacVectors {
  vectors: { name: string; key: string; data: string; mac: string; truncated?: boolean }[];
}
interface HkdfVectors {
  vectors: { name: string; ikm: string; salt: string; info: string; length: number; okm: string }[];
}
interface AeadVectors {
  vectors: {
    name: string;
    key: string;
    iv?: string;
    nonce?: string;
    plaintext: string;
    aad: string;
    ciphertext: string;
    tag: string;
  }[];
}
interface CbcVectors {
  vectors: { name: string; key: string; iv: string; plaintext: string; ciphertext: string }[];
}

const x25519Vectors = load<X25519Vectors>('x25519.json');
const ed25519Vectors = load<Ed25519Vectors>('ed25519.json');
const sha2Vectors = load<Sha2Vectors>('sha2.json');
const hmacVectors = load<HmacVectors>('hmac-sha256.json');
const hkdfVectors = load<HkdfVectors>('hkdf-sha256.json');
const gcmVectors = load<AeadVectors>('aes-256-gcm.json');
const chachaVectors = load<AeadVectors>('chacha20-poly1305.json');
const cbcVectors = load<CbcVectors>('aes-256-cbc.json');

// ---------------------------------------------------------------------------------------------
// Ed25519 signatures that permissive verifiers accept (built here with noble's group arithmetic)
// ---------------------------------------------------------------------------------------------

const { Point } = ed25519;
const Fn = Point.Fn;
const encoder = new TextEncoder();

function challenge(R: Uint8Array, A: Uint8Array, message: Uint8Array): bigint {
  const digest = sha512(new Uint8Array([...R, ...A, ...message]));
  let n = 0n;
  for (let i = digest.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(digest[i]!);
  return Fn.create(n);
}

function rawOpenSslVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const key = nodeCrypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') }, format: 'jwk' });
  return nodeCrypto.verify(null, message, key, signature);
}

interface Crafted {
  name: string;
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
  /** Who accepts it without the backends' public-key rule. */
  acceptedBy: 'openssl' | 'noble-strict' | 'noble-zip215';
}

function craftEd25519EdgeCases(): Crafted[] {
  const crafted: Crafted[] = [];
  const T = Point.fromHex(ED25519_TORSION_SUBGROUP[1]!); // a point of order 8
  const seed = hex(ed25519Vectors.vectors[0]!.seed);
  const { scalar: a } = ed25519.utils.getExtendedPublicKey(seed);

  // 1. A small-order key: S = 0 and R = -[k]A "signs" a message whenever the 1-in-8 hash lands.
  {
    const A = T.toBytes();
    for (let i = 0; ; i++) {
      const message = encoder.encode(`small-order key ${i}`);
      const R = ED25519_TORSION_SUBGROUP.map((h) => Point.fromHex(h)).find((r) =>
        r.add(T.multiplyUnsafe(challenge(r.toBytes(), A, message))).is0(),
      );
      if (R !== undefined) {
        const signature = new Uint8Array([...R.toBytes(), ...new Uint8Array(32)]);
        crafted.push({ name: 'small-order public key, S = 0', publicKey: A, message, signature, acceptedBy: 'openssl' });
        break;
      }
    }
  }
  // 2. A mixed-order key A = [a]B + T, signed so that the cofactorless equation holds (k = 0 mod 8).
  {
    const A = Point.BASE.multiply(a).add(T).toBytes();
    const message = encoder.encode('mixed-order key');
    for (let r = 1n; ; r++) {
      const R = Point.BASE.multiply(r).toBytes();
      const k = challenge(R, A, message);
      if (k % 8n === 0n) {
        const signature = new Uint8Array([...R, ...Fn.toBytes(Fn.create(r + k * a))]);
        crafted.push({ name: 'mixed-order public key', publicKey: A, message, signature, acceptedBy: 'openssl' });
        break;
      }
    }
  }
  // 3. An honest key, R = [r]B + T: only a cofactored verifier accepts.
  {
    const A = Point.BASE.multiply(a).toBytes();
    const message = encoder.encode('torsion in R');
    const R = Point.BASE.multiply(12345n).add(T).toBytes();
    const S = Fn.create(12345n + challenge(R, A, message) * a);
    const signature = new Uint8Array([...R, ...Fn.toBytes(S)]);
    crafted.push({ name: 'R with a torsion component', publicKey: A, message, signature, acceptedBy: 'noble-strict' });
  }
  // 4. The identity as public key (a canonical encoding of a small-order point), R = identity, S = 0.
  {
    const A = Point.ZERO.toBytes();
    const signature = new Uint8Array([...Point.ZERO.toBytes(), ...new Uint8Array(32)]);
    crafted.push({ name: 'identity public key', publicKey: A, message: encoder.encode('anything'), signature, acceptedBy: 'openssl' });
  }
  return crafted;
}

const craftedEd25519 = craftEd25519EdgeCases();

// ---------------------------------------------------------------------------------------------
// Per-backend tests
// ---------------------------------------------------------------------------------------------

for (const backend of backends) {
  const name = backend.name;

  test(`${name}: X25519 RFC 7748 §5.2 scalar multiplication vectors`, (t) => {
    for (const v of x25519Vectors.scalarMult) {
      t.is(toHex(backend.x25519(hex(v.scalar), hex(v.u))), v.output, v.name);
    }
  });

  test(`${name}: X25519 RFC 7748 §5.2 iterated vectors (1 and 1000 iterations)`, (t) => {
    let k = hex(x25519Vectors.iterated.start);
    let u = hex(x25519Vectors.iterated.start);
    let done = 0;
    for (const checkpoint of x25519Vectors.iterated.after) {
      for (; done < checkpoint.iterations; done++) [k, u] = [backend.x25519(k, u), k];
      t.is(toHex(k), checkpoint.k, `after ${checkpoint.iterations} iterations`);
    }
  });

  test(`${name}: X25519 RFC 7748 §6.1 Diffie-Hellman`, (t) => {
    const v = x25519Vectors.diffieHellman;
    t.is(toHex(backend.x25519PublicKey(hex(v.alicePrivate))), v.alicePublic);
    t.is(toHex(backend.x25519PublicKey(hex(v.bobPrivate))), v.bobPublic);
    t.is(toHex(backend.x25519(hex(v.alicePrivate), hex(v.bobPublic))), v.shared);
    t.is(toHex(backend.x25519(hex(v.bobPrivate), hex(v.alicePublic))), v.shared);
  });

  test(`${name}: X25519 with the all-zero public key throws CryptoError bad-key`, (t) => {
    const v = x25519Vectors.diffieHellman;
    throwsCrypto(t, () => backend.x25519(hex(v.alicePrivate), new Uint8Array(32)), 'bad-key', 'all-zero u');
  });

  test(`${name}: X25519 with every low-order public key throws CryptoError bad-key`, (t) => {
    const privateKeys = [hex(x25519Vectors.diffieHellman.alicePrivate), hex(x25519Vectors.diffieHellman.bobPrivate)];
    for (const point of x25519Vectors.lowOrder) {
      // RFC 7748 §5: the top bit of u is ignored, so it must not smuggle a low-order point past.
      const highBit = hex(point.u);
      highBit[31]! |= 0x80;
      for (const u of [hex(point.u), highBit]) {
        for (const privateKey of privateKeys) {
          throwsCrypto(t, () => backend.x25519(privateKey, u), 'bad-key', `${point.name}: ${toHex(u)}`);
        }
      }
    }
  });

  test(`${name}: Ed25519 RFC 8032 §7.1 vectors`, (t) => {
    for (const v of ed25519Vectors.vectors) {
      const seed = hex(v.seed);
      const message = hex(v.message);
      t.is(toHex(backend.ed25519PublicKey(seed)), v.publicKey, `${v.name}: public key`);
      t.is(toHex(backend.ed25519Sign(seed, message)), v.signature, `${v.name}: signature`);
      t.true(backend.ed25519Verify(hex(v.publicKey), message, hex(v.signature)), `${v.name}: verifies`);
      const longer = new Uint8Array([...message, 0]);
      t.false(backend.ed25519Verify(hex(v.publicKey), longer, hex(v.signature)), `${v.name}: other message`);
      for (const bit of [0, 255, 256, 511]) {
        t.false(backend.ed25519Verify(hex(v.publicKey), message, flipBit(hex(v.signature), bit)), `${v.name}: sig bit ${bit}`);
      }
      t.false(backend.ed25519Verify(flipBit(hex(v.publicKey), 3), message, hex(v.signature)), `${v.name}: other key`);
    }
  });

  test(`${name}: Ed25519 rejects S + L (non-canonical S)`, (t) => {
    const v = ed25519Vectors.vectors[1]!;
    const signature = hex(v.signature);
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(signature[i]!);
    s += Fn.ORDER;
    for (let i = 32; i < 64; i++, s >>= 8n) signature[i] = Number(s & 0xffn);
    t.false(backend.ed25519Verify(hex(v.publicKey), hex(v.message), signature));
  });

  test(`${name}: Ed25519 rejects signatures only a permissive verifier accepts`, (t) => {
    t.is(craftedEd25519.length, 4);
    for (const c of craftedEd25519) {
      // The construction really produces what it claims: some verifier takes it.
      const accepted =
        c.acceptedBy === 'openssl'
          ? rawOpenSslVerify(c.publicKey, c.message, c.signature)
          : ed25519.verify(c.signature, c.message, c.publicKey, { zip215: c.acceptedBy === 'noble-zip215' });
      t.true(accepted, `${c.name}: accepted by ${c.acceptedBy}`);
      t.false(backend.ed25519Verify(c.publicKey, c.message, c.signature), c.name);
    }
  });

  test(`${name}: SHA-256 and SHA-512 FIPS 180-4 vectors`, (t) => {
    for (const v of sha2Vectors.sha256) t.is(toHex(backend.sha256(hex(v.message))), v.digest, `SHA-256 ${v.name}`);
    for (const v of sha2Vectors.sha512) t.is(toHex(backend.sha512(hex(v.message))), v.digest, `SHA-512 ${v.name}`);
  });

  test(`${name}: HMAC-SHA256 RFC 4231 test cases 1-7`, (t) => {
    t.is(hmacVectors.vectors.length, 7);
    for (const v of hmacVectors.vectors) {
      const mac = toHex(backend.hmacSha256(hex(v.key), hex(v.data)));
      if (v.truncated) t.is(mac.slice(0, v.mac.length), v.mac, v.name);
      else t.is(mac, v.mac, v.name);
    }
  });

  test(`${name}: HKDF-SHA256 RFC 5869 test cases 1-3`, (t) => {
    for (const v of hkdfVectors.vectors) {
      t.is(toHex(backend.hkdfSha256(hex(v.ikm), hex(v.salt), hex(v.info), v.length)), v.okm, v.name);
    }
  });

  test(`${name}: AES-256-GCM test cases 13-16`, (t) => {
    for (const v of gcmVectors.vectors) {
      const [key, iv, plaintext, aad] = [hex(v.key), hex(v.iv!), hex(v.plaintext), hex(v.aad)];
      const sealed = backend.aes256GcmEncrypt(key, iv, plaintext, v.aad ? aad : undefined);
      t.is(toHex(sealed), v.ciphertext + v.tag, v.name);
      t.deepEqual(backend.aes256GcmDecrypt(key, iv, hex(v.ciphertext + v.tag), v.aad ? aad : undefined), plaintext, v.name);
      // An absent AAD and an empty one are the same thing.
      if (!v.aad) t.is(toHex(backend.aes256GcmEncrypt(key, iv, plaintext, new Uint8Array(0))), v.ciphertext + v.tag);
    }
  });

  test(`${name}: ChaCha20-Poly1305 RFC 8439 §2.8.2`, (t) => {
    for (const v of chachaVectors.vectors) {
      const [key, nonce, plaintext, aad] = [hex(v.key), hex(v.nonce!), hex(v.plaintext), hex(v.aad)];
      t.is(toHex(backend.chacha20Poly1305Encrypt(key, nonce, plaintext, aad)), v.ciphertext + v.tag, v.name);
      t.deepEqual(backend.chacha20Poly1305Decrypt(key, nonce, hex(v.ciphertext + v.tag), aad), plaintext, v.name);
    }
  });

  test(`${name}: AES-256-CBC NIST SP 800-38A F.2.5 with PKCS#7 padding`, (t) => {
    for (const v of cbcVectors.vectors) {
      const [key, iv, plaintext] = [hex(v.key), hex(v.iv), hex(v.plaintext)];
      // Every whole-block prefix of the plaintext encrypts to the same prefix of the ciphertext,
      // followed by one block of padding.
      for (let blocks = 1; blocks <= plaintext.length / 16; blocks++) {
        const sealed = backend.aes256CbcEncrypt(key, iv, plaintext.subarray(0, 16 * blocks));
        t.is(sealed.length, 16 * (blocks + 1), `${v.name}: ${blocks} blocks`);
        t.is(toHex(sealed.subarray(0, 16 * blocks)), v.ciphertext.slice(0, 32 * blocks), `${v.name}: ${blocks} blocks`);
        t.deepEqual(backend.aes256CbcDecrypt(key, iv, sealed), plaintext.slice(0, 16 * blocks), `${v.name}: ${blocks} blocks`);
      }
      // Without the padding block the last plaintext block (…3710) is not valid PKCS#7.
      throwsCrypto(t, () => backend.aes256CbcDecrypt(key, iv, hex(v.ciphertext)), 'bad-padding', `${v.name}: unpadded`);
    }
  });

  test(`${name}: AES-256-CBC bad padding and bad lengths throw CryptoError bad-padding`, (t) => {
    const key = hex(cbcVectors.vectors[0]!.key);
    const iv = hex(cbcVectors.vectors[0]!.iv);
    const sealed = backend.aes256CbcEncrypt(key, iv, encoder.encode('attack at dawn'));
    t.is(sealed.length, 16);
    // Flipping the IV's last byte flips the last plaintext byte, the padding length.
    throwsCrypto(t, () => backend.aes256CbcDecrypt(key, flipBit(iv, 127), sealed), 'bad-padding', 'padding byte changed');
    throwsCrypto(t, () => backend.aes256CbcDecrypt(key, iv, new Uint8Array(0)), 'bad-padding', 'empty');
    throwsCrypto(t, () => backend.aes256CbcDecrypt(key, iv, sealed.subarray(0, 15)), 'bad-padding', '15 bytes');
    throwsCrypto(t, () => backend.aes256CbcDecrypt(key, iv, new Uint8Array([...sealed, 0])), 'bad-padding', '17 bytes');
  });

  for (const aead of ['aes256Gcm', 'chacha20Poly1305'] as const) {
    test(`${name}: tampered ${aead} ciphertexts throw CryptoError auth-failed`, (t) => {
      const encrypt = backend[`${aead}Encrypt`].bind(backend);
      const decrypt = backend[`${aead}Decrypt`].bind(backend);
      const key = hex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
      const nonce = hex('a0a1a2a3a4a5a6a7a8a9aaab');
      const aad = encoder.encode('header');
      const plaintext = encoder.encode('the eagle lands at midnight');
      const sealed = encrypt(key, nonce, plaintext, aad);
      t.is(sealed.length, plaintext.length + 16);
      t.deepEqual(decrypt(key, nonce, sealed, aad), plaintext);
      for (const bit of [0, 7, 100, 8 * plaintext.length, 8 * sealed.length - 1]) {
        throwsCrypto(t, () => decrypt(key, nonce, flipBit(sealed, bit), aad), 'auth-failed', `bit ${bit}`);
      }
      throwsCrypto(t, () => decrypt(key, nonce, sealed, flipBit(aad, 0)), 'auth-failed', 'other aad');
      throwsCrypto(t, () => decrypt(key, nonce, sealed), 'auth-failed', 'aad missing');
      throwsCrypto(t, () => decrypt(key, flipBit(nonce, 5), sealed, aad), 'auth-failed', 'other nonce');
      throwsCrypto(t, () => decrypt(flipBit(key, 200), nonce, sealed, aad), 'auth-failed', 'other key');
      throwsCrypto(t, () => decrypt(key, nonce, sealed.subarray(0, sealed.length - 1), aad), 'auth-failed', 'truncated');
      throwsCrypto(t, () => decrypt(key, nonce, sealed.subarray(0, 15), aad), 'auth-failed', 'shorter than a tag');
      throwsCrypto(t, () => decrypt(key, nonce, new Uint8Array(0), aad), 'auth-failed', 'empty');
      const emptySealed = encrypt(key, nonce, new Uint8Array(0));
      t.is(emptySealed.length, 16);
      t.deepEqual(decrypt(key, nonce, emptySealed), new Uint8Array(0));
      throwsCrypto(t, () => decrypt(key, nonce, flipBit(emptySealed, 9)), 'auth-failed', 'empty plaintext, bad tag');
    });
  }

  test(`${name}: wrong lengths throw RangeError naming the input`, (t) => {
    const b32 = new Uint8Array(32);
    const b12 = new Uint8Array(12);
    const b16 = new Uint8Array(16);
    const cases: [string, () => unknown][] = [
      ['x25519PublicKey.privateKey', () => backend.x25519PublicKey(new Uint8Array(31))],
      ['x25519.privateKey', () => backend.x25519(new Uint8Array(33), b32)],
      ['x25519.publicKey', () => backend.x25519(b32, new Uint8Array(0))],
      ['ed25519PublicKey.seed', () => backend.ed25519PublicKey(new Uint8Array(64))],
      ['ed25519Sign.seed', () => backend.ed25519Sign(new Uint8Array(31), b32)],
      ['ed25519Verify.publicKey', () => backend.ed25519Verify(new Uint8Array(31), b32, new Uint8Array(64))],
      ['ed25519Verify.signature', () => backend.ed25519Verify(b32, b32, new Uint8Array(63))],
      ['hkdfSha256.length', () => backend.hkdfSha256(b32, b32, b32, 255 * 32 + 1)],
      ['hkdfSha256.length', () => backend.hkdfSha256(b32, b32, b32, -1)],
      ['hkdfSha256.length', () => backend.hkdfSha256(b32, b32, b32, 1.5)],
      ['aes256GcmEncrypt.key', () => backend.aes256GcmEncrypt(b16, b12, b16)],
      ['aes256GcmEncrypt.nonce', () => backend.aes256GcmEncrypt(b32, b16, b16)],
      ['aes256GcmDecrypt.key', () => backend.aes256GcmDecrypt(new Uint8Array(24), b12, b32)],
      ['aes256GcmDecrypt.nonce', () => backend.aes256GcmDecrypt(b32, new Uint8Array(8), b32)],
      ['chacha20Poly1305Encrypt.key', () => backend.chacha20Poly1305Encrypt(b16, b12, b16)],
      ['chacha20Poly1305Encrypt.nonce', () => backend.chacha20Poly1305Encrypt(b32, new Uint8Array(24), b16)],
      ['chacha20Poly1305Decrypt.key', () => backend.chacha20Poly1305Decrypt(b12, b12, b32)],
      ['chacha20Poly1305Decrypt.nonce', () => backend.chacha20Poly1305Decrypt(b32, new Uint8Array(8), b32)],
      ['aes256CbcEncrypt.key', () => backend.aes256CbcEncrypt(b16, b16, b16)],
      ['aes256CbcEncrypt.iv', () => backend.aes256CbcEncrypt(b32, b12, b16)],
      ['aes256CbcDecrypt.key', () => backend.aes256CbcDecrypt(new Uint8Array(31), b16, b16)],
      ['aes256CbcDecrypt.iv', () => backend.aes256CbcDecrypt(b32, b32, b16)],
      ['mlKem768Keygen.seed', () => backend.mlKem768Keygen(b32)],
      ['mlKem768Encapsulate.publicKey', () => backend.mlKem768Encapsulate(new Uint8Array(1183), b32)],
      ['mlKem768Encapsulate.randomness', () => backend.mlKem768Encapsulate(new Uint8Array(1184), new Uint8Array(64))],
      ['mlKem768Decapsulate.cipherText', () => backend.mlKem768Decapsulate(new Uint8Array(1087), new Uint8Array(2400))],
      ['mlKem768Decapsulate.secretKey', () => backend.mlKem768Decapsulate(new Uint8Array(1088), new Uint8Array(2399))],
    ];
    for (const [title, call] of cases) {
      t.throws(call, { instanceOf: RangeError, message: (m) => m.includes(`"${title}"`) }, title);
    }
  });

  test(`${name}: wrong types throw TypeError naming the input`, (t) => {
    const b32 = new Uint8Array(32);
    const notBytes = [null, undefined, 'abcd', [1, 2, 3], new Uint16Array(16), new ArrayBuffer(32), 42] as unknown[];
    const cases: [string, (value: Uint8Array) => unknown][] = [
      ['x25519PublicKey.privateKey', (v) => backend.x25519PublicKey(v)],
      ['x25519.publicKey', (v) => backend.x25519(b32, v)],
      ['ed25519Sign.message', (v) => backend.ed25519Sign(b32, v)],
      ['ed25519Verify.message', (v) => backend.ed25519Verify(b32, v, new Uint8Array(64))],
      ['sha256.data', (v) => backend.sha256(v)],
      ['sha512.data', (v) => backend.sha512(v)],
      ['hmacSha256.key', (v) => backend.hmacSha256(v, b32)],
      ['hmacSha256.data', (v) => backend.hmacSha256(b32, v)],
      ['hkdfSha256.ikm', (v) => backend.hkdfSha256(v, b32, b32, 32)],
      ['hkdfSha256.salt', (v) => backend.hkdfSha256(b32, v, b32, 32)],
      ['hkdfSha256.info', (v) => backend.hkdfSha256(b32, b32, v, 32)],
      ['aes256GcmEncrypt.plaintext', (v) => backend.aes256GcmEncrypt(b32, new Uint8Array(12), v)],
      ['chacha20Poly1305Decrypt.ciphertext', (v) => backend.chacha20Poly1305Decrypt(b32, new Uint8Array(12), v)],
      ['aes256CbcDecrypt.ciphertext', (v) => backend.aes256CbcDecrypt(b32, new Uint8Array(16), v)],
    ];
    for (const [title, call] of cases) {
      for (const value of notBytes) {
        t.throws(() => call(value as Uint8Array), { instanceOf: TypeError, message: (m) => m.includes(`"${title}"`) }, `${title} <- ${String(value)}`);
      }
    }
    t.throws(() => backend.aes256GcmEncrypt(b32, new Uint8Array(12), b32, 'aad' as unknown as Uint8Array), {
      instanceOf: TypeError,
      message: (m) => m.includes('"aes256GcmEncrypt.aad"'),
    });
    t.throws(() => backend.hkdfSha256(b32, b32, b32, '32' as unknown as number), {
      instanceOf: TypeError,
      message: (m) => m.includes('"hkdfSha256.length"'),
    });
  });

  test(`${name}: ML-KEM-768 is deterministic and round-trips`, (t) => {
    const seed = Uint8Array.from({ length: 64 }, (_, i) => i);
    const randomness = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
    const keys = backend.mlKem768Keygen(seed);
    t.is(keys.publicKey.length, 1184);
    t.is(keys.secretKey.length, 2400);
    t.deepEqual(backend.mlKem768Keygen(seed), keys);
    t.notDeepEqual(backend.mlKem768Keygen(flipBit(seed, 0)).publicKey, keys.publicKey);
    // FIPS 203: the decapsulation key embeds the encapsulation key at offset 384k = 1152.
    t.deepEqual(keys.secretKey.subarray(1152, 1152 + 1184), keys.publicKey);
    const sealed = backend.mlKem768Encapsulate(keys.publicKey, randomness);
    t.is(sealed.cipherText.length, 1088);
    t.is(sealed.sharedSecret.length, 32);
    t.deepEqual(backend.mlKem768Encapsulate(keys.publicKey, randomness), sealed);
    t.deepEqual(backend.mlKem768Decapsulate(sealed.cipherText, keys.secretKey), sealed.sharedSecret);
    // Implicit rejection: a tampered ciphertext yields an unrelated secret, not an error.
    const rejected = backend.mlKem768Decapsulate(flipBit(sealed.cipherText, 77), keys.secretKey);
    t.is(rejected.length, 32);
    t.notDeepEqual(rejected, sealed.sharedSecret);
    // FIPS 203 §7.2 / §7.3 input checks.
    const badKey = keys.publicKey.slice();
    badKey[0] = 0xff;
    badKey[1] |= 0x0f; // first coefficient 4095 >= q = 3329
    throwsCrypto(t, () => backend.mlKem768Encapsulate(badKey, randomness), 'bad-key', 'public key not reduced mod q');
    throwsCrypto(t, () => backend.mlKem768Decapsulate(sealed.cipherText, flipBit(keys.secretKey, 8 * 2340)), 'bad-key', 'H(ek) mismatch');
  });

  test(`${name}: results are plain Uint8Arrays`, (t) => {
    const b32 = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
    const results: Uint8Array[] = [
      backend.x25519PublicKey(b32),
      backend.x25519(b32, backend.x25519PublicKey(b32.slice().reverse())),
      backend.ed25519PublicKey(b32),
      backend.ed25519Sign(b32, b32),
      backend.sha256(b32),
      backend.sha512(b32),
      backend.hmacSha256(b32, b32),
      backend.hkdfSha256(b32, b32, b32, 42),
      backend.aes256GcmEncrypt(b32, b32.subarray(0, 12), b32),
      backend.aes256GcmDecrypt(b32, b32.subarray(0, 12), backend.aes256GcmEncrypt(b32, b32.subarray(0, 12), b32)),
      backend.chacha20Poly1305Encrypt(b32, b32.subarray(0, 12), b32),
      backend.aes256CbcEncrypt(b32, b32.subarray(0, 16), b32),
      backend.aes256CbcDecrypt(b32, b32.subarray(0, 16), backend.aes256CbcEncrypt(b32, b32.subarray(0, 16), b32.subarray(0, 20))),
    ];
    for (const [i, result] of results.entries()) {
      t.is(Object.getPrototypeOf(result), Uint8Array.prototype, `result ${i}`);
      t.is(result.byteLength, result.buffer.byteLength, `result ${i} owns its buffer`);
    }
  });

  test(`${name}: caches never serve a key whose bytes changed in place`, (t) => {
    const v = x25519Vectors.diffieHellman;
    const privateKey = hex(v.alicePrivate);
    t.is(toHex(backend.x25519(privateKey, hex(v.bobPublic))), v.shared);
    privateKey.set(hex(v.bobPrivate));
    t.is(toHex(backend.x25519PublicKey(privateKey)), v.bobPublic);
    t.is(toHex(backend.x25519(privateKey, hex(v.alicePublic))), v.shared);
    const e = ed25519Vectors.vectors;
    const seed = hex(e[0]!.seed);
    t.is(toHex(backend.ed25519PublicKey(seed)), e[0]!.publicKey);
    seed.set(hex(e[1]!.seed));
    t.is(toHex(backend.ed25519PublicKey(seed)), e[1]!.publicKey);
    t.is(toHex(backend.ed25519Sign(seed, hex(e[1]!.message))), e[1]!.signature);
    // Mutating a returned public key must not corrupt the cache.
    const returned = backend.ed25519PublicKey(seed);
    returned.fill(0);
    t.is(toHex(backend.ed25519PublicKey(seed)), e[1]!.publicKey);
  });
}

// ---------------------------------------------------------------------------------------------
// node and noble agree byte for byte
// ---------------------------------------------------------------------------------------------

test('node = noble: x25519PublicKey and x25519 on random keys', (t) => {
  agreeProperty(t, [bytes(32), bytes(32)], (b, privateKey, other) => {
    const publicKey = b.x25519PublicKey(other);
    return [b.x25519PublicKey(privateKey), b.x25519(privateKey, publicKey), b.x25519(other, b.x25519PublicKey(privateKey))];
  }, 40, 7748);
});

test('node = noble: x25519 on arbitrary public key bytes (top bit, non-canonical, low order)', (t) => {
  const lowOrder = x25519Vectors.lowOrder.map((p) => hex(p.u));
  const publicKeys = fc.oneof(bytes(32), fc.constantFrom(...lowOrder), fc.constantFrom(...lowOrder).map((u) => flipBit(u, 255)));
  agreeProperty(t, [bytes(32), publicKeys], (b, privateKey, publicKey) => b.x25519(privateKey, publicKey), 60, 7749);
});

test('node = noble: Ed25519 public keys, signatures and verification', (t) => {
  agreeProperty(t, [bytes(32), anyBytes(200), fc.nat(511)], (b, seed, message, bit) => {
    const publicKey = b.ed25519PublicKey(seed);
    const signature = b.ed25519Sign(seed, message);
    return [
      publicKey,
      signature,
      b.ed25519Verify(publicKey, message, signature),
      b.ed25519Verify(publicKey, message, flipBit(signature, bit)),
      b.ed25519Verify(flipBit(publicKey, bit), message, signature),
    ];
  }, 30, 8032);
});

test('node = noble: Ed25519 verification of arbitrary bytes and of crafted edge cases', (t) => {
  agreeProperty(t, [bytes(32), anyBytes(64), bytes(64)], (b, publicKey, message, signature) =>
    b.ed25519Verify(publicKey, message, signature), 60, 8033);
  for (const c of craftedEd25519) {
    t.notThrows(() => agree((b) => b.ed25519Verify(c.publicKey, c.message, c.signature)), c.name);
  }
});

test('node = noble: SHA-256, SHA-512, HMAC-SHA256', (t) => {
  agreeProperty(t, [anyBytes(1000), anyBytes(200)], (b, data, key) => [b.sha256(data), b.sha512(data), b.hmacSha256(key, data)], 200, 180);
});

test('node = noble: HKDF-SHA256 (including info over 1024 bytes and extreme lengths)', (t) => {
  const lengths = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.constantFrom(0, 1, 32, 8159, 8160, 8161, -1));
  const info = fc.oneof(anyBytes(100), fc.uint8Array({ minLength: 1000, maxLength: 1100 }));
  agreeProperty(t, [anyBytes(100), anyBytes(100), info, lengths], (b, ikm, salt, inf, length) => b.hkdfSha256(ikm, salt, inf, length), 200, 5869);
});

for (const aead of ['aes256Gcm', 'chacha20Poly1305'] as const) {
  test(`node = noble: ${aead} encryption, decryption and tampering`, (t) => {
    const aad = fc.option(anyBytes(64), { nil: undefined });
    agreeProperty(t, [bytes(32), bytes(12), anyBytes(300), aad, fc.nat(8 * 316 - 1)], (b, key, nonce, plaintext, ad, bit) => {
      const sealed = b[`${aead}Encrypt`](key, nonce, plaintext, ad);
      return [
        sealed,
        b[`${aead}Decrypt`](key, nonce, sealed, ad),
        outcome(() => b[`${aead}Decrypt`](key, nonce, flipBit(sealed, bit % (8 * sealed.length)), ad)),
      ];
    }, 200, 8439);
    agreeProperty(t, [bytes(32), bytes(12), anyBytes(40)], (b, key, nonce, junk) => b[`${aead}Decrypt`](key, nonce, junk), 100, 8440);
  });
}

test('node = noble: AES-256-CBC encryption, decryption and arbitrary ciphertexts', (t) => {
  agreeProperty(t, [bytes(32), bytes(16), anyBytes(300)], (b, key, iv, plaintext) => {
    const sealed = b.aes256CbcEncrypt(key, iv, plaintext);
    return [sealed, b.aes256CbcDecrypt(key, iv, sealed)];
  }, 200, 3800);
  // Random ciphertexts: mostly bad padding, sometimes (about 1 in 256) valid; either way the same.
  const blocks = fc.integer({ min: 0, max: 6 }).chain((n) => bytes(16 * n));
  agreeProperty(t, [bytes(32), bytes(16), fc.oneof(blocks, anyBytes(70))], (b, key, iv, ciphertext) =>
    b.aes256CbcDecrypt(key, iv, ciphertext), 1000, 3801);
});

test('node = noble: ML-KEM-768 keygen, encapsulation and decapsulation', (t) => {
  agreeProperty(t, [bytes(64), bytes(32), fc.nat(8 * 1088 - 1)], (b, seed, randomness, bit) => {
    const { publicKey, secretKey } = b.mlKem768Keygen(seed);
    const { cipherText, sharedSecret } = b.mlKem768Encapsulate(publicKey, randomness);
    const decapsulated = b.mlKem768Decapsulate(cipherText, secretKey);
    if (toHex(decapsulated) !== toHex(sharedSecret)) throw new Error('ML-KEM round trip failed');
    return [publicKey, secretKey, cipherText, sharedSecret, b.mlKem768Decapsulate(flipBit(cipherText, bit), secretKey)];
  }, 20, 203);
});

test('node = noble: the same errors for inputs of any length', (t) => {
  const any = anyBytes(40);
  agreeProperty(t, [any, any, any, fc.integer({ min: -2, max: 9000 })], (b, x, y, z, n) => [
    outcome(() => b.x25519PublicKey(x)),
    outcome(() => b.x25519(x, y)),
    outcome(() => b.ed25519PublicKey(x)),
    outcome(() => b.ed25519Sign(x, y)),
    outcome(() => b.ed25519Verify(x, y, z)),
    outcome(() => b.hkdfSha256(x, y, z, n)),
    outcome(() => b.aes256GcmEncrypt(x, y, z)),
    outcome(() => b.aes256GcmDecrypt(x, y, z)),
    outcome(() => b.chacha20Poly1305Encrypt(x, y, z, x)),
    outcome(() => b.chacha20Poly1305Decrypt(x, y, z, x)),
    outcome(() => b.aes256CbcEncrypt(x, y, z)),
    outcome(() => b.aes256CbcDecrypt(x, y, z)),
    outcome(() => b.mlKem768Keygen(x)),
    outcome(() => b.mlKem768Encapsulate(x, y)),
    outcome(() => b.mlKem768Decapsulate(x, y)),
  ], 300, 1);
});

// ---------------------------------------------------------------------------------------------
// Registry
// ---------------------------------------------------------------------------------------------

test('cryptoBackend() finds both backends by name and names the valid ones otherwise', (t) => {
  t.is(cryptoBackend('node'), cryptoBackends.node);
  t.is(cryptoBackend('noble'), cryptoBackends.noble);
  t.is(cryptoBackends.node.name, 'node');
  t.is(cryptoBackends.noble.name, 'noble');
  for (const bad of ['openssl', 'Node', '', 'toString', '__proto__']) {
    t.throws(() => cryptoBackend(bad), { message: (m) => m.includes(`"${bad}"`) && m.includes('"node"') && m.includes('"noble"') }, bad);
  }
});
