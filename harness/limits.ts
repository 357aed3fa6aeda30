/**
 * Every limit keyhole puts on what it reads and on the work an input may ask for, in one
 * place (the README's "Limits" table lists them). Input files are untrusted: each limit is
 * checked before anything runs, and exceeding one is bad input (exit 2) naming the file, the
 * place in it and the limit, never a crash or hours of work.
 *
 * This module imports nothing, so that any module (also one loaded before the rest of the
 * harness, such as `./worker-pool.ts`) can take its limits from here.
 */

/* Files --------------------------------------------------------------------------------------- */

/** A scenario file, in bytes; larger files are refused before they are read. */
export const MAX_SCENARIO_FILE_BYTES = 10 * 1024 * 1024;
/** A policy file, in bytes. */
export const MAX_POLICY_FILE_BYTES = 1024 * 1024;
/** Lists and mappings inside each other; a scenario needs about 5, a policy 3. */
export const MAX_NESTING = 64;
/** YAML aliases expanded at most, against alias bombs ("billion laughs"). */
export const MAX_YAML_ALIASES = 1000;
/**
 * The size of a YAML document with every alias replaced by what it refers to, in characters
 * of keys and values: one 9 MB string aliased 900 times is 8 GB of data, however few the
 * aliases. A file without anchors never comes near it (it is larger than the largest file).
 */
export const MAX_YAML_EXPANDED_CHARS = 16 * 1024 * 1024;
/** Problems reported per file; more are counted in one last `N more problem(s) not shown`. */
export const MAX_PROBLEMS_PER_FILE = 20;

/* A scenario's work ---------------------------------------------------------------------------- */

/** Characters of a user, device or group name. */
export const MAX_NAME_LENGTH = 64;
/** Characters of a mark, a message id or a scenario name. */
export const MAX_LABEL_LENGTH = 100;
/** The `count` of one send step. */
export const MAX_COUNT = 100_000;
/** The longest single `wait`: ten years, far beyond any key lifetime a design rotates on. */
export const MAX_WAIT_MS = 10 * 365 * 24 * 60 * 60 * 1000;
/**
 * Messages one scenario sends in all (the sum of its steps' counts). A run's time and memory
 * grow with it: a 100,000-message chat takes about 1 GB and a minute and a half per run.
 */
export const MAX_SCENARIO_MESSAGES = 1_000_000;
/**
 * Devices of one scenario: its users' devices plus every device it links. Each one is a client
 * with its own keys, and a message to a group goes to every device of every member.
 */
export const MAX_SCENARIO_DEVICES = 1_000;
/**
 * Copies of messages one scenario delivers in all: each message times the devices it goes to
 * (the recipients' and the sender's other devices). A one-to-one chat delivers one copy a
 * message; a 1,000-device group, a thousand.
 */
export const MAX_SCENARIO_DELIVERIES = 10_000_000;
/**
 * Bytes of message text one scenario sends in all (each send's `text`, in UTF-8, times its
 * `count`); generated texts are not counted. 64 MiB of text take about 750 MB per run.
 */
export const MAX_SCENARIO_TEXT_BYTES = 64 * 1024 * 1024;

/* Output --------------------------------------------------------------------------------------- */

/** Characters of a value from input echoed in a message (a name, a key, an id); longer ones are cut. */
export const MAX_ECHOED_CHARS = 100;
/** Characters of one item listed in a baseline note (a run's name and a message id); longer ones are cut. */
export const MAX_LISTED_ITEM_CHARS = 4 * MAX_ECHOED_CHARS;
/** Characters of one line of text from input printed on the terminal (an error, a note); longer ones are cut. */
export const MAX_PRINTED_LINE_CHARS = 2000;

/* Threads -------------------------------------------------------------------------------------- */

/** `--workers`: threads at most, whatever the machine; fewer run when there are fewer cores or runs. */
export const MAX_WORKERS = 64;
