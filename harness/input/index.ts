/**
 * Reading and parsing the harness's input files (scenario, policy and report files): the part
 * that does not depend on what the file describes.
 *
 * - `readInputFile(path, kind)`: the one reader of every file keyhole is given (scenarios,
 *   policies, baseline and shard reports): checks the path (a regular file, never a named
 *   pipe or a device; a known extension; not too large) and returns its text; refuses binary
 *   files and bad UTF-8. It reads no more than the size limit, whatever the file claims.
 * - `checkJsonSize(text, file, limits, kind)`: refuses JSON text nested too deeply or holding
 *   too many values, in one pass before `JSON.parse` builds anything.
 * - `parseInput(text, file, kind)`: YAML, or strict JSON for a name ending in `.json`, into
 *   plain data plus `locate`, which turns a path inside the data into a `line:column`, and
 *   `lineOf`, the line where a mapping or list inside it starts (a scenario's steps),
 *   recorded while parsing so that asking costs nothing.
 *   Refuses empty files, several YAML documents, duplicate keys (also in JSON, and keys
 *   that become one name), lists or mappings as keys, nesting deeper than `MAX_NESTING`
 *   (before anything recursive could exhaust the stack) and alias bombs, by their count and
 *   by the size they expand to (`MAX_YAML_EXPANDED_CHARS`). Limits: `../limits.ts`.
 * - `unusableData(data, kind)`: the problem of parsed data no schema can check (nothing, a
 *   cycle, too deep), if any.
 * - `Problems`: collects the problems of one file, each located, up to
 *   `MAX_PROBLEMS_PER_FILE`; `addZodIssues` adds a zod schema's issues to it as readable
 *   messages (`missing required key 'x': ...`, `..., got 'y'`, `unknown key 'z'`).
 *
 * Two YAML parsers: js-yaml (with the YAML 1.2 core schema of `../yaml-core-schema.ts`) reads
 * a well-formed file quickly and in little memory; the `yaml` library, whose document keeps
 * every node's position, decides whenever js-yaml refuses a file (so every syntax error is
 * reported one way) and locates the problems a schema finds, parsing the file again only then. A 100,000-step scenario loads
 * in about a second rather than in half a minute and a gigabyte. Files with YAML anchors (or
 * what may be a list or mapping as a key) go the careful way from the start, where alias
 * expansion is limited and every key is checked on the document's nodes.
 *
 * Every problem is an `InputProblem` (thrown in an `InputError`): the file, the path inside
 * it (`steps[3].send.to`, see `formatPath`), what was expected and, where known, the
 * `(line L:C)` of the offending node. Never a stack trace.
 */
export { MAX_NESTING, MAX_PROBLEMS_PER_FILE } from '../limits.ts';
export { checkJsonSize } from './json.ts';
export type { JsonLimits } from './json.ts';
export { parseInput } from './parse.ts';
export type { ParsedInput } from './parse.ts';
export { addZodIssues, describe, formatPath, Problems } from './problems.ts';
export { describeFsError, hasExtension, readInputFile } from './read.ts';
export { unusableData } from './shape.ts';
export type { InputKind, LineOf, Locate, Path, Segment } from './types.ts';
