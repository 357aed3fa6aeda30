/**
 * The limits of `keyhole-client/1` (docs/client-protocol.md §6), in one place. Both ends of the
 * protocol are untrusted by the other: every line is bounded before it is parsed.
 */

/** The protocol this version of keyhole speaks. */
export const PROTOCOL = 'keyhole-client/1';
/** One JSON line, in bytes (a device image of a long conversation fits many times over). */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;
/** Everything a client process writes in one run, in bytes. */
export const MAX_OUTPUT_BYTES = 1024 * 1024 * 1024;
/** One `random` draw, in bytes. */
export const MAX_RANDOM_BYTES = 1024 * 1024;
/** How long keyhole waits for a line while it waits for an answer. */
export const RESPONSE_TIMEOUT_MS = 30_000;
/** How long keyhole waits for the answer to `hello` (the process starting up). */
export const START_TIMEOUT_MS = 60_000;
/** How long a process may take to exit once its input is closed, before it is killed. */
export const EXIT_GRACE_MS = 2_000;
/** The tail of a process's standard error kept for the error message, in bytes. */
export const STDERR_TAIL_BYTES = 2048;
/** Characters of a string field (a name, a reason, a safety number). */
export const MAX_TEXT_CHARS = 10_000;
