/**
 * Markers: a unique random token the harness adds to every message body. A message leaked
 * when its marker is among what an adversary holds (SPEC §5). Markers derive from the seed,
 * the scenario and the message id, so the same message carries the same marker on every
 * target.
 */
import { Rng } from './rng.ts';

const MARKER_PATTERN = /kh-[0-9a-f]{16}/g;

export function markerFor(seed: number, scenario: string, messageId: string): string {
  return `kh-${Rng.fromSeed(seed, 'marker', scenario, messageId).hex(16)}`;
}

/** Every marker that stands in clear in `bytes` (read as Latin-1, so any byte string can be searched). */
export function findMarkers(bytes: Uint8Array): string[] {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  return text.match(MARKER_PATTERN) ?? [];
}

const WORDS = [
  'meet', 'at', 'six', 'the', 'usual', 'place', 'bring', 'documents', 'call', 'me', 'later',
  'source', 'says', 'vote', 'tomorrow', 'draft', 'attached', 'delete', 'this', 'after', 'reading',
  'contract', 'signed', 'lawyer', 'clinic', 'results', 'are', 'back', 'station', 'train', 'leaves',
];

/** A generated sentence for a message the scenario gave no text. */
export function generatedText(seed: number, scenario: string, messageId: string): string {
  const rng = Rng.fromSeed(seed, 'text', scenario, messageId);
  const length = 4 + rng.int(6);
  const words = Array.from({ length }, () => rng.pick(WORDS));
  return `${words[0]!.charAt(0).toUpperCase()}${words.join(' ').slice(1)}.`;
}
