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
  const e = err as { code?: unknown; message?: unknown } | null;
  if (
    typeof e === "object" && e !== null &&
    (e.code === 11000 || String(e.message).includes("UNIQUE constraint failed"))
  ) {
    throw new ConflictError(message);
  }
  throw err;
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
