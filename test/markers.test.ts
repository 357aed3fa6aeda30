/** Markers: found in any byte string exactly where the pattern `kh-` + 16 hex digits stands. */
import test from 'ava';
import fc from 'fast-check';

import { findMarkers, markerFor } from '../harness/markers.ts';

/** The definition: every non-overlapping match of the pattern, reading the bytes as Latin-1. */
function byPattern(bytes: Uint8Array): string[] {
  return Buffer.from(bytes).toString('latin1').match(/kh-[0-9a-f]{16}/g) ?? [];
}

const PIECES = ['kh-', 'kh', 'k', '-', '0123456789abcdef', 'ABCDEF', 'f', '\u0000', 'é', ' ', 'kh-kh-'];

test('findMarkers finds what the pattern finds, in any bytes', (t) => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 4 })), { maxLength: 30 }), fc.nat(8), (pieces, offset) => {
      const text = Buffer.from(pieces.join(''), 'latin1');
      // A view into a larger buffer, as wire records are.
      const padded = new Uint8Array(text.length + offset + 3);
      padded.set(text, offset);
      const view = padded.subarray(offset, offset + text.length);
      t.deepEqual(findMarkers(view), byPattern(view));
    }),
    { numRuns: 2000 },
  );
});

test('markers in a message body are found, one per message, in order', (t) => {
  const markers = [markerFor(1, 's', 'a'), markerFor(1, 's', 'b')];
  t.regex(markers[0]!, /^kh-[0-9a-f]{16}$/);
  const body = new TextEncoder().encode(`hello [${markers[0]}] and [${markers[1]}]; not kh-0123 or kh-0123456789ABCDEF`);
  t.deepEqual(findMarkers(body), markers);
  t.deepEqual(findMarkers(new Uint8Array(0)), []);
});
