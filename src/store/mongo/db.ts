import type { Collection, Db, Document, Filter, UpdateFilter } from "mongodb";
import { ConflictError } from "@/errors.ts";

export type { Db };

/** A stored document: the resource with its `id` kept as `_id`. */
export type Stored<T extends { id: string }> = Omit<T, "id"> & { _id: string };

export function toStored<T extends { id: string }>(value: T): Stored<T> {
  const { id, ...rest } = value;
  return { _id: id, ...rest } as Stored<T>;
}

export function fromStored<T extends { id: string }>(doc: Stored<T> | Document): T {
  const { _id, ...rest } = doc;
  return { id: String(_id), ...rest } as T;
}

export function collection<T extends { id: string }>(db: Db, name: string): Collection<Stored<T>> {
  return db.collection<Stored<T>>(name);
}

/**
 * Turns a duplicate key error into the domain ConflictError. MongoDB answers code 11000;
 * FerretDB answers it for inserts but reports a unique violation on update as a generic error
 * naming SQLite's constraint, so that message counts too.
 */
export function rethrowConflict(err: unknown, message: string): never {
  if (isDuplicateKey(err)) throw new ConflictError(message);
  throw err;
}

/** Whether a driver error is a unique-index violation (see `rethrowConflict`). */
export function isDuplicateKey(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return typeof e === "object" && e !== null &&
    (e.code === 11000 || String(e.message).includes("UNIQUE constraint failed"));
}

/** Escapes a user's text for use inside a case-insensitive regular expression. */
export function literalRegex(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "i");
}

/** Drops undefined keys so `$set` never writes them. */
export function definedOnly<T extends Record<string, unknown>>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Applies `$set` to the one document matching `filter` and returns it as stored after, or null
 * when none matches; a unique violation becomes ConflictError(conflictMessage).
 */
export async function setAndGet<T extends { id: string }>(
  coll: Collection<Stored<T>>,
  filter: Filter<Stored<T>>,
  set: Partial<Stored<T>>,
  conflictMessage: string,
): Promise<T | null> {
  try {
    const doc = await coll.findOneAndUpdate(filter, { $set: set } as UpdateFilter<Stored<T>>, {
      returnDocument: "after",
    });
    return doc ? fromStored<T>(doc as Document) : null;
  } catch (err) {
    rethrowConflict(err, conflictMessage);
  }
}

/** A document that `versionedUpdate` may change: its `version` counts its updates. */
export type Versioned = Document & { _id: string; version?: number };

const lockStaleMs = 30_000;

/**
 * Compare-and-set on one document. `change` looks at the current document and returns the
 * fields to set, or null to refuse (the condition does not hold); the result is the document
 * after, or null when missing or refused.
 *
 * MongoDB alone makes a conditional update atomic, but FerretDB v1 applies updates as
 * read-then-write, so two concurrent conditional updates could both pass. A lock document keyed
 * by the document's version (a unique insert, atomic on both servers) admits one writer per
 * version; the others re-read and decide again. A lock left by a crashed writer expires.
 */
export async function versionedUpdate<D extends Versioned>(
  coll: Collection<D>,
  filter: Filter<D>,
  change: (current: D) => Partial<D> | null,
): Promise<D | null> {
  const locks = coll.db.collection<{ _id: string; at: number }>("update_locks");
  for (let attempt = 0; attempt < 200; attempt++) {
    const current = await coll.findOne(filter) as D | null;
    if (!current) return null;
    const patch = change(current);
    if (!patch) return null;
    const version = current.version ?? 0;
    const lockId = `${coll.collectionName}:${current._id}:${version}`;
    try {
      await locks.insertOne({ _id: lockId, at: Date.now() });
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
      await locks.deleteOne({ _id: lockId, at: { $lt: Date.now() - lockStaleMs } });
      await new Promise((r) => setTimeout(r, 1 + Math.random() * 4 * Math.min(attempt, 10)));
      continue;
    }
    try {
      const after = await coll.findOneAndUpdate(
        { _id: current._id, version: current.version ?? null } as Filter<D>,
        { $set: { ...patch, version: version + 1 } } as UpdateFilter<D>,
        { returnDocument: "after" },
      );
      if (after) return after as D;
    } finally {
      await locks.deleteOne({ _id: lockId });
    }
  }
  throw new Error(`Too much contention updating ${coll.collectionName}`);
}
