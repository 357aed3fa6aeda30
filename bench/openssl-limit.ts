/**
 * The physical limit to measure the AEAD rows against: `openssl speed -evp` on one core, the
 * same OpenSSL build's best loop over 16 KiB buffers with nothing of JavaScript in it. Rows
 * with crypto `openssl-speed`, where an `openssl` command exists; none where it does not.
 * Not cross-validated (it is another program's measurement): a reference line, not a contender.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { BenchResult } from './core.ts';

export const OPENSSL_SPEED = 'openssl-speed';
const BYTES = 16 * 1024;
const CIPHERS = [
  { evp: 'aes-256-gcm', task: 'aes-256-gcm encrypt 16KiB' },
  { evp: 'chacha20-poly1305', task: 'chacha20-poly1305 encrypt 16KiB' },
] as const;

/** The `-mr` (machine-readable) figure: `+F:<n>:<name>:<bytes per second>`. */
export function parseSpeed(output: string): number | null {
  const line = output.split('\n').find((l) => l.startsWith('+F:'));
  const value = line === undefined ? NaN : Number(line.split(':').at(-1));
  return Number.isFinite(value) && value > 0 ? value : null;
}

/** One row per cipher the filter selects, measured for `seconds` each; [] without openssl. */
export async function opensslLimitRows(filter: RegExp | null, seconds: number): Promise<BenchResult[]> {
  const rows: BenchResult[] = [];
  for (const { evp, task } of CIPHERS) {
    if (filter && !filter.test(task)) continue;
    let bytesPerSec: number | null;
    try {
      const { stdout } = await promisify(execFile)('openssl', ['speed', '-evp', evp, '-bytes', String(BYTES), '-seconds', String(seconds), '-mr'], { timeout: 60_000 });
      bytesPerSec = parseSpeed(stdout);
    } catch {
      return rows; // no openssl here, or one without that cipher
    }
    if (bytesPerSec === null) continue;
    const opsPerSec = bytesPerSec / BYTES;
    rows.push({ group: 'aead', task, crypto: OPENSSL_SPEED, opsPerSec, bytesPerSec, p50Ns: Math.round(1e9 / opsPerSec), samples: 1 });
  }
  return rows;
}
