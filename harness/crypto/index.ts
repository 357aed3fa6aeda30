/**
 * The crypto backends by name. Both implement the same standards byte for byte (RFC 7748,
 * RFC 8032, FIPS 180-4, RFC 2104/4231, RFC 5869, NIST SP 800-38A/38D, RFC 8439, FIPS 203);
 * see ./backend.ts for the interface, ./checked.ts for the checks every backend shares and
 * ./node.ts, ./noble.ts for the implementations.
 */

import type { CryptoBackend, CryptoBackendName } from './backend.ts';
import { nobleBackend } from './noble.ts';
import { nodeBackend } from './node.ts';

export const cryptoBackends = { node: nodeBackend, noble: nobleBackend } as const satisfies Record<
  CryptoBackendName,
  CryptoBackend
>;

/** The backend called `name`; throws for any other name, listing the valid ones. */
export function cryptoBackend(name: string): CryptoBackend {
  if (Object.hasOwn(cryptoBackends, name)) return cryptoBackends[name as CryptoBackendName];
  const valid = Object.keys(cryptoBackends).map((n) => `"${n}"`).join(', ');
  throw new Error(`unknown crypto backend "${name}": expected one of ${valid}`);
}
