/**
 * The ratchet message is priced at the same moment as it is timed, by replaying its recorded
 * primitive calls: the record keeps every call with its arguments, a key passed to several
 * calls is one array in the record too, and a replay makes exactly those calls again, on
 * fresh copies. No assertion depends on speed.
 */
import test from 'ava';
import { recordingBackend, replayCalls } from '../bench/hot-path.ts';
import { cryptoBackends } from '../harness/crypto/index.ts';
import type { CryptoBackend } from '../harness/crypto/backend.ts';

for (const inner of [cryptoBackends.node, cryptoBackends.noble]) {
  test(`a replay of recorded calls makes the same calls with the same bytes (${inner.name})`, (t) => {
    const { backend, calls } = recordingBackend(inner);
    const privateKey = new Uint8Array(32).fill(7);
    const peer = backend.x25519PublicKey(new Uint8Array(32).fill(9));
    backend.x25519PublicKey(privateKey);
    const shared = backend.x25519(privateKey, peer);
    backend.hkdfSha256(shared, new Uint8Array(32), new Uint8Array([1, 2]), 64);
    t.deepEqual(calls.map((c) => c.method), ['x25519PublicKey', 'x25519PublicKey', 'x25519', 'hkdfSha256']);
    t.is(calls[1]!.args[0], calls[2]!.args[0], 'the private key is one array in the record');
    t.not(calls[1]!.args[0], privateKey, 'recorded as a copy');

    const seen: { method: string; args: unknown[] }[] = [];
    const watching = new Proxy(inner, {
      get: (target, property) => {
        const value = Reflect.get(target, property) as unknown;
        return typeof value === 'function' ? (...args: unknown[]) => (seen.push({ method: String(property), args }), (value as (...a: unknown[]) => unknown).apply(target, args)) : value;
      },
    }) as CryptoBackend;
    const replay = replayCalls(watching, calls);
    replay();
    replay();
    t.deepEqual(seen.map((c) => c.method), [...calls, ...calls].map((c) => c.method));
    t.deepEqual(seen.slice(0, 4).map((c) => c.args), calls.map((c) => c.args), 'the same bytes');
    t.not(seen[1]!.args[0], calls[1]!.args[0], 'a fresh copy');
    t.is(seen[1]!.args[0], seen[2]!.args[0], 'one copy per recorded array within a replay');
    t.not(seen[5]!.args[0], seen[1]!.args[0], 'new copies for each replay');
  });
}
