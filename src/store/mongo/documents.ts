import type { Filter } from "mongodb";
import type { Documents, FindOptions, TenantDocument, Where } from "@/store/documents.ts";
import { pageOffset } from "@/store/types.ts";
import { type Db, literalRegex, rethrowConflict, versionedUpdate } from "./db.ts";

type Doc<T> = Omit<T, "id"> & { _id: string; version?: number };

function toDocument<T extends TenantDocument>(doc: Doc<T>): T {
  const { _id, version: _version, ...rest } = doc;
  return { id: _id, ...rest } as unknown as T;
}

function matches(doc: Record<string, unknown>, where: Record<string, unknown>): boolean {
  return Object.entries(where).every(([k, v]) =>
    v === undefined || (v === null ? doc[k] === null || doc[k] === undefined : doc[k] === v)
  );
}

/** A document collection as its own MongoDB collection. */
export function mongoDocuments<T extends TenantDocument>(db: Db, name: string): Documents<T> {
  const coll = db.collection<Doc<T>>(name);
  const scoped = (orgId: string, where: Where<T> = {}) =>
    ({ ...where, organizationId: orgId }) as Filter<Doc<T>>;
  return {
    async insert(doc) {
      const { id, ...rest } = doc;
      try {
        await coll.insertOne({ _id: id, ...rest } as never);
      } catch (err) {
        rethrowConflict(err, `Document "${id}" already exists in ${name}`);
      }
      return structuredClone(doc);
    },
    async get(orgId, id) {
      const doc = await coll.findOne({ _id: id, organizationId: orgId } as Filter<Doc<T>>);
      return doc ? toDocument<T>(doc as Doc<T>) : null;
    },
    async getMany(orgId, ids) {
      if (ids.length === 0) return [];
      const docs = await coll.find({ _id: { $in: ids }, organizationId: orgId } as Filter<Doc<T>>)
        .toArray();
      return docs.map((d) => toDocument<T>(d as Doc<T>));
    },
    async update(orgId, id, patch, expect = {}) {
      const { id: _id, ...fields } = patch;
      const doc = await versionedUpdate(
        coll,
        { _id: id, organizationId: orgId } as Filter<Doc<T>>,
        (current) => matches(current, expect) ? fields as Partial<Doc<T>> : null,
      ).catch((err) => rethrowConflict(err, `Document "${id}" in ${name} conflicts with another`));
      return doc ? toDocument<T>(doc) : null;
    },
    async updateMany(orgId, where, patch) {
      const { id: _id, ...fields } = patch;
      const result = await coll.updateMany(scoped(orgId, where), { $set: fields } as never);
      return result.modifiedCount;
    },
    async delete(orgId, id) {
      const result = await coll.deleteOne({ _id: id, organizationId: orgId } as Filter<Doc<T>>);
      return result.deletedCount === 1;
    },
    async find(orgId, options: FindOptions<T>) {
      const q: Record<string, unknown> = { ...scoped(orgId, options.where) };
      if (options.text) {
        const re = literalRegex(options.text.value);
        q.$or = options.text.fields.map((f) => ({ [f]: re }));
      }
      if (options.contains) q[options.contains.field] = options.contains.value;
      const sort: Record<string, 1 | -1> = {};
      for (const [f, d] of options.sort) sort[f] = d === "asc" ? 1 : -1;
      sort._id = 1;
      const [docs, total] = await Promise.all([
        coll.find(q as Filter<Doc<T>>).sort(sort).skip(pageOffset(options.page))
          .limit(options.page.limit).toArray(),
        coll.countDocuments(q as Filter<Doc<T>>),
      ]);
      return { data: docs.map((d) => toDocument<T>(d as Doc<T>)), total };
    },
  };
}
