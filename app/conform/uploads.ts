/**
 * What a design's clients send to the provider, as one digest per run: conform's determinism
 * check compares it between two runs with the same seed. A report holds no key or ciphertext,
 * so two reports can agree while the client drew its keys from elsewhere than the random
 * stream keyhole gives it; the bytes it uploads cannot.
 */
import { createHash, type Hash } from 'node:crypto';

import type { ProviderApi } from '../../harness/provider/api.ts';
import type { ClientContext, Design, DesignRun } from '../../targets/types.ts';

/** `design`, with every provider call its clients make fed into `digest` (name and arguments, bytes included). */
export function recordingUploads(design: Design, digest: Hash): Design {
  const wrapClients = (inner: Design): Design => ({
    ...inner,
    createClient: (context: ClientContext) => inner.createClient({ ...context, provider: recordingProvider(context.provider, digest) }),
  });
  if (!design.openRun) return wrapClients(design);
  const openRun = design.openRun.bind(design);
  return {
    ...design,
    openRun: async (): Promise<DesignRun> => {
      const opened = await openRun();
      return { design: wrapClients(opened.design), close: () => opened.close() };
    },
  };
}

export function uploadDigest(): Hash {
  return createHash('sha256');
}

function recordingProvider(provider: ProviderApi, digest: Hash): ProviderApi {
  return new Proxy(provider, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        digest.update(`${String(key)}(`);
        for (const arg of args) feed(digest, arg);
        digest.update(')');
        return value.apply(target, args);
      };
    },
  });
}

/** A value's bytes and structure, in a fixed order (object keys sorted). */
function feed(digest: Hash, value: unknown): void {
  if (value instanceof Uint8Array) digest.update(`b${value.length}:`).update(value);
  else if (Array.isArray(value)) {
    digest.update('[');
    for (const item of value) feed(digest, item);
    digest.update(']');
  } else if (value !== null && typeof value === 'object') {
    digest.update('{');
    for (const key of Object.keys(value).sort()) {
      digest.update(`${key}=`);
      feed(digest, (value as Record<string, unknown>)[key]);
    }
    digest.update('}');
  } else digest.update(`${typeof value}:${String(value)};`);
}
