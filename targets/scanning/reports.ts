/**
 * What a scanning client sends the authority on a match, and how the authority opens it.
 *
 * - `threshold` (Apple's design, Bhowmick et al., "The Apple PSI System", 2021, §3): a
 *   safety voucher. Its inner layer is the content encrypted under the account's inner key;
 *   beside it travels one Shamir share of that key. The authority opens the outer layer of
 *   every voucher, but the inner layers of an account only once it holds `threshold` shares
 *   from that account; then all of them, earlier ones included.
 * - `each` (the EU proposal for a regulation to prevent and combat child sexual abuse,
 *   COM(2022) 209, Art. 12: providers report every detection): the matched content itself.
 *
 * Both are sealed to the authority's public key, so the provider that forwards them and the
 * network that carries them learn only that a report went out.
 */
import type { CryptoBackend } from '../../harness/crypto/backend.ts';
import type { Rng } from '../../harness/rng.ts';
import { pack, unpack, utf8 } from '../shared/codec.ts';
import * as box from '../shared/sealed-box.ts';
import { recover, share, secretOf, type Share, type SharingPolynomial } from './threshold.ts';

export type ReportMode = { kind: 'threshold'; threshold: number } | { kind: 'each' };

const REPORT_INFO = utf8.encode('keyhole scan report v1');
const INNER_KEY_INFO = utf8.encode('keyhole voucher inner key v1');
const NO_AAD = new Uint8Array(0);
const NONCE_LENGTH = 12;

/** What the authority reads once it has opened the outer layer. */
interface OpenedReport {
  account: string;
  /** `each`: the content; null in a voucher. */
  content: Uint8Array | null;
  /** `threshold`: the voucher's share and inner layer. */
  share: Share | null;
  nonce: Uint8Array | null;
  inner: Uint8Array | null;
}

function innerKey(crypto: CryptoBackend, secret: Uint8Array): Uint8Array {
  return crypto.hkdfSha256(secret, new Uint8Array(0), INNER_KEY_INFO, 32);
}

/** The report for one matched message of `account`. */
export function makeReport(
  crypto: CryptoBackend,
  rng: Rng,
  authority: box.BoxPublicKey,
  mode: ReportMode,
  account: string,
  polynomial: SharingPolynomial | null,
  content: Uint8Array,
): Uint8Array {
  let opened: OpenedReport;
  if (mode.kind === 'each') {
    opened = { account, content, share: null, nonce: null, inner: null };
  } else {
    if (!polynomial) throw new Error('a threshold voucher needs the account polynomial');
    const nonce = rng.bytes(NONCE_LENGTH);
    const inner = crypto.aes256GcmEncrypt(innerKey(crypto, secretOf(polynomial)), nonce, content, utf8.encode(account));
    opened = { account, content: null, share: share(polynomial, rng), nonce, inner };
  }
  return box.seal(crypto, rng, authority, REPORT_INFO, pack(opened), NO_AAD);
}

/**
 * The authority's side: every report it can read with its private key. `each` reports at
 * once; threshold vouchers only for accounts with `threshold` shares or more.
 */
export function openReports(crypto: CryptoBackend, key: box.BoxPrivateKey, mode: ReportMode, reports: Iterable<Uint8Array>): { account: string; content: Uint8Array }[] {
  const byAccount = new Map<string, OpenedReport[]>();
  const readable: { account: string; content: Uint8Array }[] = [];
  for (const report of reports) {
    let opened: OpenedReport;
    try {
      opened = unpack<OpenedReport>(box.open(crypto, key, REPORT_INFO, report, NO_AAD), 'scan report');
    } catch {
      continue;
    }
    if (typeof opened?.account !== 'string') continue;
    if (mode.kind === 'each') {
      if (opened.content instanceof Uint8Array) readable.push({ account: opened.account, content: opened.content });
      continue;
    }
    byAccount.set(opened.account, [...(byAccount.get(opened.account) ?? []), opened]);
  }
  if (mode.kind === 'threshold') {
    for (const [account, vouchers] of byAccount) {
      const shares = vouchers.flatMap((v) => (v.share?.x instanceof Uint8Array && v.share.y instanceof Uint8Array ? [v.share] : []));
      const secret = recover(shares, mode.threshold);
      if (!secret) continue; // below the threshold: the inner layers stay closed
      const key = innerKey(crypto, secret);
      for (const voucher of vouchers) {
        if (!(voucher.inner instanceof Uint8Array) || !(voucher.nonce instanceof Uint8Array)) continue;
        try {
          readable.push({ account, content: crypto.aes256GcmDecrypt(key, voucher.nonce, voucher.inner, utf8.encode(account)) });
        } catch {
          // not under this account's key
        }
      }
    }
  }
  return readable;
}
