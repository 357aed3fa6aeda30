/**
 * ML-KEM-768 (FIPS 203) on @noble/post-quantum, for every backend: node:crypto in Node 20 has
 * none. Inputs are checked by `./checked.ts`.
 */
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';

import type { BackendPrimitives } from './checked.ts';

export const mlKem768: Pick<BackendPrimitives, 'mlKem768Keygen' | 'mlKem768Encapsulate' | 'mlKem768Decapsulate'> = {
  mlKem768Keygen(seed) {
    const { publicKey, secretKey } = ml_kem768.keygen(seed);
    return { publicKey, secretKey };
  },

  mlKem768Encapsulate(publicKey, randomness) {
    const { cipherText, sharedSecret } = ml_kem768.encapsulate(publicKey, randomness);
    return { cipherText, sharedSecret };
  },

  mlKem768Decapsulate(cipherText, secretKey) {
    // A tampered ciphertext does not throw: FIPS 203 implicit rejection returns a pseudorandom key.
    return ml_kem768.decapsulate(cipherText, secretKey);
  },
};
