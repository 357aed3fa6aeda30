/** The vocabulary of input files shared by the readers, the parsers and the problem lists. */

/** One step of a path inside a file's data: a mapping key or a list index. */
export type Segment = string | number;
export type Path = readonly Segment[];
/** Where the node at `path` is: `line:column`, 1-based; undefined when unknown. `atKey`: its key, not its value. */
export type Locate = (path: Path, atKey: boolean) => string | undefined;
/** The 1-based line where the mapping or list at `path` starts; undefined when unknown (or not a mapping or list). */
export type LineOf = (path: Path) => number | undefined;

/** What kind of input file is read, for the checks and the messages. */
export interface InputKind {
  /** One word for what the file holds: `scenario` gives "a scenario file", "expected a scenario" (`adversary`: "an adversary"). */
  what: string;
  /** The shape of the whole file, named when it is empty: `a mapping with the key expect`. */
  shape: string;
  /** The accepted file name endings, lowercase, with the dot; `.json` is parsed as strict JSON. Absent: any name. */
  extensions?: readonly string[];
  /** Larger files are refused before they are read. */
  maxBytes: number;
  /** Said after the limit when a file is too large (what the limit is, when it is not plain). */
  maxBytesNote?: string;
}
