import type { Collection, Db, Document } from "mongodb";
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

/** Turns the driver's duplicate key error (E11000) into the domain ConflictError. */
export function rethrowConflict(err: unknown, message: string): never {
  if (typeof err === "object" && err !== null && (err as { code?: number }).code === 11000) {
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
