/**
 * A device's message history in a real SQLite database (sql.js, SQLite compiled to
 * WebAssembly), so a device image holds the actual database file's bytes, free pages and all.
 * With `secureDelete` (SQLite's `PRAGMA secure_delete`), deleted rows are overwritten with
 * zeros; without it, deleted text stays in the file until the page is reused, exactly as
 * forensic tools find it on real phones.
 */
import initSqlJs, { type Database, type SqlJsStatic, type Statement } from 'sql.js';

let sqlite: Promise<SqlJsStatic> | null = null;

function loadSqlite(): Promise<SqlJsStatic> {
  sqlite ??= initSqlJs();
  return sqlite;
}

export interface HistoryEntry {
  id: string;
  direction: 'in' | 'out';
  /** The other side: a user, or a group. */
  conversation: string;
  /** The sending device. */
  sender: string;
  body: Uint8Array;
  at: number;
}

export interface HistoryOptions {
  secureDelete: boolean;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY,
    direction TEXT NOT NULL,
    conversation TEXT NOT NULL,
    sender TEXT NOT NULL,
    body BLOB NOT NULL,
    at INTEGER NOT NULL
  );
`;

/**
 * Connection settings that keep a write cheap without changing what lands in the file: the
 * rollback journal lives in memory rather than in a journal file next to the database, and
 * the one connection keeps its lock instead of taking and releasing it around every
 * statement (a phone's messenger is the only process that opens its database). Together
 * they make an insert several times faster; the pages written, free pages included, are the
 * same.
 */
const CONNECTION = 'PRAGMA journal_mode = MEMORY; PRAGMA locking_mode = EXCLUSIVE;';

/**
 * New messages are written in transactions of up to this many. Anything that reads the
 * database (a lookup, a deletion, the file for a device image) writes what is pending first,
 * so nothing can observe the difference: SQLite lays the rows out on the same pages whether
 * each insert is its own transaction or they share one (`test/history.test.ts` compares the
 * files byte for byte).
 */
const WRITE_BATCH = 64;

export class MessageHistory {
  readonly #insert: Statement;
  readonly #exists: Statement;
  readonly #deleteOne: Statement;
  #pending: HistoryEntry[] = [];

  private constructor(private readonly db: Database) {
    // Prepared once: compiling the SQL costs more than running it.
    this.#insert = db.prepare('INSERT OR IGNORE INTO messages (id, direction, conversation, sender, body, at) VALUES (?, ?, ?, ?, ?, ?)');
    this.#exists = db.prepare('SELECT 1 FROM messages WHERE id = ?');
    this.#deleteOne = db.prepare('DELETE FROM messages WHERE id = ?');
  }

  /** An empty history, or the one in a database file taken from a device image. */
  static async open(options: HistoryOptions, file?: Uint8Array): Promise<MessageHistory> {
    const SQL = await loadSqlite();
    const db = new SQL.Database(file);
    db.run(`PRAGMA secure_delete = ${options.secureDelete ? 'ON' : 'OFF'}; ${CONNECTION}`);
    db.run(SCHEMA);
    return new MessageHistory(db);
  }

  add(entry: HistoryEntry): void {
    this.#pending.push(entry);
    if (this.#pending.length >= WRITE_BATCH) this.#write();
  }

  has(id: string): boolean {
    this.#write();
    try {
      this.#exists.bind([id]);
      return this.#exists.step();
    } finally {
      this.#exists.reset();
    }
  }

  delete(ids: readonly string[] | 'all'): void {
    this.#write();
    if (ids === 'all') {
      this.db.run('DELETE FROM messages');
      return;
    }
    for (const id of ids) this.#deleteOne.run([id]);
  }

  list(): HistoryEntry[] {
    this.#write();
    const rows = this.db.exec('SELECT id, direction, conversation, sender, body, at FROM messages ORDER BY at, id');
    const result = rows[0];
    if (!result) return [];
    return result.values.map(([id, direction, conversation, sender, body, at]) => ({
      id: String(id),
      direction: direction === 'out' ? 'out' : 'in',
      conversation: String(conversation),
      sender: String(sender),
      body: body as Uint8Array,
      at: Number(at),
    }));
  }

  /** The database file as it would lie on the device's flash. */
  exportFile(): Uint8Array {
    this.#write();
    return this.db.export();
  }

  close(): void {
    this.#write();
    this.db.close();
  }

  /** Writes the pending messages, in one transaction. */
  #write(): void {
    if (this.#pending.length === 0) return;
    const entries = this.#pending;
    this.#pending = [];
    this.db.run('BEGIN');
    try {
      // A message already stored (a duplicate delivery) keeps its first copy.
      for (const e of entries) this.#insert.run([e.id, e.direction, e.conversation, e.sender, e.body, e.at]);
      this.db.run('COMMIT');
    } catch (error) {
      this.db.run('ROLLBACK');
      throw error;
    }
  }
}
