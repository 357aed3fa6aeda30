/**
 * The library, loaded only when a `matrix` target runs (the WebAssembly module is large):
 * `@matrix-org/matrix-sdk-crypto-wasm` at one of its installed releases. The releases' APIs
 * differ in small ways (what `receiveSyncChanges` returns, which numbers the shield and
 * decryption error codes have); everything version-specific is read here, and enum values
 * are handed on by name, never by number.
 */
import type * as Sdk from '@matrix-org/matrix-sdk-crypto-wasm';
import { drawingFrom, routeLibraryRandomness, type RandomSource } from '../shared/library-randomness.ts';

/** The releases installed side by side: the newest under its own name, older ones as npm aliases. */
export const RELEASES = {
  '18.9.0': () => import('@matrix-org/matrix-sdk-crypto-wasm'),
  '14.2.0': () => import('matrix-sdk-crypto-wasm-14') as unknown as Promise<typeof Sdk>,
} as const;

export type Release = keyof typeof RELEASES;
export type Library = typeof Sdk;

const loaded = new Map<Release, Promise<Library>>();

export function loadLibrary(release: Release): Promise<Library> {
  let library = loaded.get(release);
  if (!library) {
    library = (async () => {
      // The machine keeps its store in IndexedDB; under Node that is fake-indexeddb's, in memory.
      await import('fake-indexeddb/auto' as string); // installs the global `indexedDB`; it has no types
      routeLibraryRandomness();
      const module = await RELEASES[release]();
      await module.initAsync();
      return module;
    })();
    loaded.set(release, library);
  }
  return library;
}

/** An enum value's name in the release that produced it (wasm-bindgen enums map numbers back to names). */
export function enumName(enumeration: object, value: number | undefined): string | null {
  if (value === undefined || value === null) return null;
  const name = (enumeration as Record<number, string>)[value];
  return typeof name === 'string' ? name : String(value);
}

/** One to-device event as the machine reports it after `receiveSyncChanges`. */
export interface ProcessedToDevice {
  /** `Decrypted`, `UnableToDecrypt`, `PlainText` or `Invalid`; for 14.x, which returns the events as JSON, `Decrypted` or `PlainText` by their type. */
  kind: string;
  event: { type?: string; sender?: string; content?: Record<string, unknown> } | null;
}

/** `receiveSyncChanges` returns a JSON string of events in 14.x and `ProcessedToDeviceEvent` objects in 18.x. */
export function processedToDevice(library: Library, result: unknown): ProcessedToDevice[] {
  if (typeof result === 'string') {
    const events = JSON.parse(result) as { type?: string }[];
    return events.map((event) => ({ kind: event.type === 'm.room.encrypted' ? 'UnableToDecrypt' : 'Decrypted', event }));
  }
  const events = (result ?? []) as { type: number; rawEvent: string }[];
  return events.map((processed) => ({
    kind: enumName(library.ProcessedToDeviceEventType, processed.type) ?? 'Invalid',
    event: parseOrNull(processed.rawEvent),
  }));
}

function parseOrNull(text: string): ProcessedToDevice['event'] {
  try {
    return JSON.parse(text) as ProcessedToDevice['event'];
  } catch {
    return null;
  }
}

/** One device's `OlmMachine`, at whichever release. */
export type Machine = InstanceType<Library['OlmMachine']>;

/**
 * The machine, each of its method calls drawing its randomness from `rng` (the WebAssembly
 * draws through `crypto.getRandomValues`: Rust's getrandom, which seeds the generator that
 * vodozemac and matrix-sdk-crypto use for keys, sessions and nonces; see
 * `targets/shared/library-randomness.ts`). A call that returns a promise draws from it until
 * the promise settles, one that returns a value until it returns.
 */
export function machineDrawingFrom(machine: Machine, rng: RandomSource): Machine {
  return new Proxy(machine, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => drawingFrom(rng, () => (value as (...a: unknown[]) => unknown).apply(target, args));
    },
  });
}
