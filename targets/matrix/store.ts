/**
 * The machine's store as a device image holds it: the library keeps its state in IndexedDB
 * (two databases per machine, `<name>::matrix-sdk-crypto` and `…-meta`); under Node that is
 * fake-indexeddb's, in memory. A dump copies every database of a store name, object stores,
 * indexes and records; a restore writes them under a new name, for a fresh machine to open.
 * Values are structured-clone data (what IndexedDB holds), serialised as V8 does it.
 */
import { deserialize, serialize } from 'node:v8';

// The few IndexedDB shapes used here (the project's TypeScript lib has no DOM types).
type Key = unknown;
interface IdbRequest<T> {
  result: T;
  error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}
interface IdbIndex {
  keyPath: string | string[];
  unique: boolean;
  multiEntry: boolean;
}
interface IdbObjectStore {
  keyPath: string | string[] | null;
  autoIncrement: boolean;
  indexNames: Iterable<string>;
  index(name: string): IdbIndex;
  getAllKeys(): IdbRequest<Key[]>;
  getAll(): IdbRequest<unknown[]>;
  put(value: unknown, key?: Key): void;
  createIndex(name: string, keyPath: string | string[], options: { unique: boolean; multiEntry: boolean }): void;
}
interface IdbTransaction {
  objectStore(name: string): IdbObjectStore;
  error: unknown;
  oncomplete: (() => void) | null;
  onerror: (() => void) | null;
}
interface IdbDatabase {
  version: number;
  objectStoreNames: Iterable<string>;
  transaction(name: string, mode: 'readonly' | 'readwrite'): IdbTransaction;
  createObjectStore(name: string, options: { keyPath?: string | string[]; autoIncrement: boolean }): IdbObjectStore;
  close(): void;
}
interface IdbFactory {
  open(name: string, version?: number): IdbRequest<IdbDatabase> & { onupgradeneeded: (() => void) | null };
  databases(): Promise<{ name?: string }[]>;
  deleteDatabase(name: string): unknown;
}

/** fake-indexeddb's factory, installed as the global one when the library loads. */
const indexedDB = (): IdbFactory => (globalThis as unknown as { indexedDB: IdbFactory }).indexedDB;

interface StoreDump {
  name: string;
  keyPath: string | string[] | null;
  autoIncrement: boolean;
  indexes: { name: string; keyPath: string | string[]; unique: boolean; multiEntry: boolean }[];
  records: [Key, unknown][];
}

interface DatabaseDump {
  /** The database's name with the store name taken off the front. */
  suffix: string;
  version: number;
  stores: StoreDump[];
}

function request<T>(req: IdbRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function open(name: string, version?: number, upgrade?: (db: IdbDatabase) => void): Promise<IdbDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB().open(name, version);
    req.onupgradeneeded = () => upgrade?.(req.result);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function dumpDatabase(name: string, suffix: string): Promise<DatabaseDump> {
  const db = await open(name);
  try {
    const stores: StoreDump[] = [];
    for (const storeName of [...db.objectStoreNames].sort()) {
      const store = db.transaction(storeName, 'readonly').objectStore(storeName);
      const keys = await request(store.getAllKeys());
      const values = await request(store.getAll());
      stores.push({
        name: storeName,
        keyPath: store.keyPath,
        autoIncrement: store.autoIncrement,
        indexes: [...store.indexNames].sort().map((indexName) => {
          const index = store.index(indexName);
          return { name: indexName, keyPath: index.keyPath, unique: index.unique, multiEntry: index.multiEntry };
        }),
        records: keys.map((key, i) => [key, values[i]]),
      });
    }
    return { suffix, version: db.version, stores };
  } finally {
    db.close();
  }
}

/** Every database of the machine's store, serialised. */
export async function dumpStore(storeName: string): Promise<Uint8Array> {
  const names = (await indexedDB().databases()).map((d) => d.name!).filter((n) => n.startsWith(`${storeName}::`)).sort();
  const dumps: DatabaseDump[] = [];
  for (const name of names) dumps.push(await dumpDatabase(name, name.slice(storeName.length)));
  return new Uint8Array(serialize(dumps));
}

/** Write a dump under `storeName`, for a fresh machine to open. */
export async function restoreStore(storeName: string, image: Uint8Array): Promise<void> {
  const dumps = deserialize(image) as DatabaseDump[];
  for (const dump of dumps) {
    const db = await open(`${storeName}${dump.suffix}`, dump.version, (created) => {
      for (const store of dump.stores) {
        const options: { keyPath?: string | string[]; autoIncrement: boolean } = { autoIncrement: store.autoIncrement };
        if (store.keyPath !== null) options.keyPath = store.keyPath;
        const made = created.createObjectStore(store.name, options);
        for (const index of store.indexes) made.createIndex(index.name, index.keyPath, { unique: index.unique, multiEntry: index.multiEntry });
      }
    });
    try {
      for (const store of dump.stores) {
        if (store.records.length === 0) continue;
        const tx = db.transaction(store.name, 'readwrite');
        const objectStore = tx.objectStore(store.name);
        for (const [key, value] of store.records) objectStore.put(value, store.keyPath === null ? key : undefined);
        await new Promise<void>((resolve, reject) => {
          tx.oncomplete = () => resolve();
          tx.onerror = () => reject(tx.error);
        });
      }
    } finally {
      db.close();
    }
  }
}
