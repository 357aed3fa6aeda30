/**
 * Markers: a unique random token the harness adds to every message body. A message leaked
 * when its marker is among what an adversary holds (SPEC §5). Markers derive from the seed,
 * the scenario and the message id, so the same message carries the same marker on every
 * target.
 */
import { Rng } from './rng.ts';

const MARKER_PREFIX = Buffer.from('kh-', 'latin1');
const MARKER_LENGTH = MARKER_PREFIX.length + 16;

export function markerFor(seed: number, scenario: string, messageId: string): string {
  return `kh-${Rng.fromSeed(seed, 'marker', scenario, messageId).hex(16)}`;
}

/**
 * Every marker that stands in clear in `bytes`: `kh-` and 16 lowercase hex digits, anywhere in
 * any byte string. Searched in the bytes themselves, without making a string of each
 * (the judge searches every byte an adversary holds: millions of records in a long run).
 */
export function findMarkers(bytes: Uint8Array): string[] {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found: string[] = [];
  let at = buffer.indexOf(MARKER_PREFIX);
  while (at !== -1 && at + MARKER_LENGTH <= buffer.length) {
    if (isLowerHex(buffer, at + MARKER_PREFIX.length, MARKER_LENGTH - MARKER_PREFIX.length)) {
      found.push(buffer.toString('latin1', at, at + MARKER_LENGTH));
      at = buffer.indexOf(MARKER_PREFIX, at + MARKER_LENGTH);
    } else {
      at = buffer.indexOf(MARKER_PREFIX, at + 1);
    }
  }
  return found;
}

function isLowerHex(bytes: Uint8Array, from: number, length: number): boolean {
  for (let i = from; i < from + length; i++) {
    const c = bytes[i]!;
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
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
