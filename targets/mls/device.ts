/**
 * What the parts of the `mls` client share: the device's context, its seeded cipher suite
 * (made on first use, from the device's random stream), the ts-mls client configuration, and
 * the client's coded rejection.
 */
import type { CiphersuiteImpl, ClientConfig } from 'ts-mls';

import { RejectionError, type RejectionCode } from '../../harness/errors.ts';
import { splitAddress, type DeviceAddress } from '../../harness/scenario/types.ts';
import type { ClientContext } from '../types.ts';

/** This client's rejections: the harness's coded rejection (`invalid-message` unless a site says better). */
export class MlsError extends RejectionError {
  constructor(message: string, code: RejectionCode = 'invalid-message') {
    super(code, message);
    this.name = 'MlsError';
  }
}

export interface MlsDevice {
  readonly context: ClientContext;
  /** The cipher suite, seeded from the device's random stream on first use. */
  cs(): Promise<CiphersuiteImpl>;
  /** The client configuration every group state of this device carries (its authentication service is the device's trust). */
  readonly config: ClientConfig;
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
export const userOf = (address: string): string => splitAddress(address as DeviceAddress).user;
