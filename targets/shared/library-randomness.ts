/**
 * A library's randomness, drawn from the run's seed, for a library that makes its own keys
 * and takes no random source: matrix-sdk-crypto's WebAssembly draws through WebCrypto's
 * `crypto.getRandomValues` (Rust's getrandom). (ts-mls takes one: `targets/mls/suite.ts`
 * hands it the device's stream directly.) Once routed, a draw made while
 * `drawingFrom(rng, call)` runs comes from `rng` (the device's `ClientContext.rng`); any other
 * draw goes to the system's generator as before. So a process that makes the same calls draws
 * the same bytes.
 *
 * A library may keep a generator of its own, seeded by its first draws (Rust's `thread_rng`):
 * in a process that ran other devices before, its bytes depend on them too. And a library
 * may read the wall clock (matrix-sdk-crypto does: it picks among Olm sessions by when each
 * was last used), which is not the run's: calls that straddle a millisecond differently can
 * choose differently on a loaded machine. Verdicts never depend on which random bytes a key
 * got.
 *
 * Calls are taken one at a time, as the harness makes them: a call nested in another (a
 * receipt sent while a message is received) draws from its own device and hands back.
 */

export interface RandomSource {
  bytes(length: number): Uint8Array;
}

/** The stream of the call that is running, if any. */
let current: RandomSource | null = null;
let routed = false;

export function routeLibraryRandomness(): void {
  if (routed) return;
  routed = true;
  const webcrypto = globalThis.crypto;
  const system = webcrypto.getRandomValues.bind(webcrypto);
  webcrypto.getRandomValues = <T extends ArrayBufferView | null>(array: T): T => {
    if (current === null || array === null) return system(array as never) as T;
    const view = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    view.set(current.bytes(view.length));
    return array;
  };
}

/**
 * Runs `call` with the library drawing from `rng`: until the promise it returns settles, or
 * until it returns a value (which is returned as it is, not as a promise).
 */
export function drawingFrom<T>(rng: RandomSource, call: () => T): T {
  const previous = current;
  current = rng;
  const restore = () => {
    current = previous;
  };
  let result: T;
  try {
    result = call();
  } catch (error) {
    restore();
    throw error;
  }
  if (!(result instanceof Promise)) {
    restore();
    return result;
  }
  return result.finally(restore) as T;
}
