import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { ConflictError } from "@/errors.ts";
import { type Migration, migrations } from "./migrations.ts";

export type Db = DatabaseSync;
export type Row = Record<string, SQLInputValue>;

/** Opens the SQLite file in WAL mode and applies pending migrations. */
export function openSqlite(path: string): Db {
  const db = new DatabaseSync(path);
  // The wait first: switching a new file to WAL takes a lock that another process starting on
  // the same file (the API and `deno task worker`) may hold for a moment.
  db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA foreign_keys = ON");
  migrate(db);
  return db;
}

/** Applies, in name order and each in its own transaction, the migrations not applied yet. */
export function migrate(db: Db, list: Migration[] = migrations): void {
  db.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)",
  );
  const sorted = [...list].sort((a, b) => a.name.localeCompare(b.name));
  for (const m of sorted) {
    transaction(db, () => {
      const done = db.prepare("SELECT 1 FROM schema_migrations WHERE name = ?").get(m.name);
      if (done) return;
      m.up?.(db);
      db.exec(m.sql);
      db.prepare("INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)").run(
        m.name,
        new Date().toISOString(),
      );
    });
  }
}

const statements = new WeakMap<Db, Map<string, StatementSync>>();

/**
 * The compiled statement for `sql`, compiled once per connection: compiling costs more than
 * running a small statement. For get/run/all only (an open iterate() would be reset by reuse).
 */
export function prepared(db: Db, sql: string): StatementSync {
  let cache = statements.get(db);
  if (!cache) statements.set(db, cache = new Map());
  let statement = cache.get(sql);
  if (!statement) {
    // Built SQL varies with filters; a bound keeps a long run from growing without limit.
    if (cache.size >= 500) cache.clear();
    cache.set(sql, statement = db.prepare(sql));
  }
  return statement;
}

/** How long a writer waits for another connection's write lock in all, as `busy_timeout`. */
const busyTimeoutMs = 5000;

/** Whether SQLite refused for a lock another connection holds (SQLITE_BUSY and its kinds). */
function isBusy(err: unknown): boolean {
  const e = err as { errcode?: unknown; message?: unknown } | null;
  return (typeof e?.errcode === "number" && (e.errcode & 0xff) === 5) ||
    e?.message === "database is locked";
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Per connection, the last writer waiting for the write lock: later ones line up behind it. */
const waiting = new WeakMap<Db, Promise<unknown>>();

/**
 * `fn` inside BEGIN IMMEDIATE … COMMIT, like `transaction`, but waiting for the write lock
 * without holding the thread. SQLite's own busy handler sleeps in the calling thread (1, 2, 5 …
 * 100 ms at a time, up to `busy_timeout`) while another connection writes, and that thread serves
 * every socket and request of this instance: another instance's write, or a long one by a job on
 * the same file, froze all of them meanwhile. So the lock is asked for without SQLite's wait;
 * while another connection holds it, the event loop goes on and the ask is repeated (after 0.5 to
 * about 4 ms, growing) up to `busyTimeoutMs`, then SQLite's error is thrown. Writers of this
 * connection that come meanwhile line up behind, in order. Once the lock is held, `fn` runs and
 * commits at once, in the same turn: it is synchronous, so nothing else on this connection comes
 * between.
 */
export async function writing<T>(db: Db, fn: () => T): Promise<T> {
  if (!waiting.has(db) && begin(db) === true) return commit(db, fn);
  const deadline = Date.now() + busyTimeoutMs;
  const before = waiting.get(db) ?? Promise.resolve();
  const mine = before.then(async () => {
    for (let attempt = 0;; attempt++) {
      const begun = begin(db);
      if (begun === true) return commit(db, fn);
      if (Date.now() >= deadline) throw begun;
      await sleep(Math.min(4, 0.5 * 2 ** attempt) * (0.5 + Math.random()));
    }
  });
  const settled = mine.catch(() => {});
  waiting.set(db, settled);
  void settled.then(() => {
    if (waiting.get(db) === settled) waiting.delete(db);
  });
  return await mine;
}

/** `fn` in a transaction now if the write lock is free, else undefined (nothing waits). */
export function ifUnlocked<T>(db: Db, fn: () => T): T | undefined {
  return begin(db) === true ? commit(db, fn) : undefined;
}

function commit<T>(db: Db, fn: () => T): T {
  try {
    const result = fn();
    db.exec("COMMIT");
    return result;
  } catch (err) {
    db.exec("ROLLBACK");
    throw err;
  }
}

/** BEGIN IMMEDIATE without SQLite's wait: true, or the busy error; any other error is thrown. */
function begin(db: Db): true | Error {
  db.exec("PRAGMA busy_timeout = 0");
  try {
    db.exec("BEGIN IMMEDIATE");
    return true;
  } catch (err) {
    if (isBusy(err)) return err as Error;
    throw err;
  } finally {
    db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
  }
}

/** Runs `fn` inside BEGIN IMMEDIATE … COMMIT, rolling back on any throw. */
export function transaction<T>(db: Db, fn: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  return commit(db, fn);
}

/** Turns SQLite's unique violation into the domain ConflictError; rethrows anything else. */
export function rethrowConflict(err: unknown, message: string): never {
  if (err instanceof Error && err.message.startsWith("UNIQUE constraint failed")) {
    throw new ConflictError(message);
  }
  throw err;
}

export function json<T>(value: unknown): T {
  return JSON.parse(String(value)) as T;
}

export function bool(value: unknown): boolean {
  return value === 1 || value === 1n;
}

export function nullableString(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** Escapes LIKE wildcards so user text matches literally (used with ESCAPE '\'). */
export function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Builds `col = ?` pairs for the keys present in a patch, using `columns` to map each key to
 * its column and `encode` to turn values into SQLite values.
 */
export function setClause(
  patch: Record<string, unknown>,
  columns: Record<string, string>,
  encode: (key: string, value: unknown) => SQLInputValue = (_k, v) => v as SQLInputValue,
): { sql: string; values: SQLInputValue[] } {
  const keys = Object.keys(patch).filter((k) => patch[k] !== undefined && k in columns);
  return {
    sql: keys.map((k) => `${columns[k]} = ?`).join(", "),
    values: keys.map((k) => encode(k, patch[k])),
  };
}
