import type { SQLInputValue } from "node:sqlite";
import type { Documents, FindOptions, TenantDocument, Where as Equal } from "@/store/documents.ts";
import { pageOffset } from "@/store/types.ts";
import { type Db, likePattern, prepared, rethrowConflict, type Row } from "./db.ts";
import { docOf, jsonSet, Where } from "./docs.ts";

function field(name: string): string {
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name)) throw new Error(`Unexpected field name "${name}"`);
  return `json_extract(doc, '$.${name}')`;
}

function sqlValue(value: unknown): SQLInputValue {
  return typeof value === "boolean" ? (value ? 1 : 0) : value as SQLInputValue;
}

function equal<T>(w: Where, where: Equal<T> | undefined): Where {
  for (const [k, v] of Object.entries(where ?? {})) {
    if (v === undefined) continue;
    w.is(field(k), v === null ? null : sqlValue(v));
  }
  return w;
}

/**
 * Collections kept in a table of their own (with the columns this adapter uses), not in the
 * shared `documents`: read positions, written twice per chat message (migration 0860).
 */
const ownTables = new Set(["room_reads"]);

/** A document collection in the shared `documents` table (or its own, as `ownTables` says). */
export function sqliteDocuments<T extends TenantDocument>(
  db: Db,
  collection: string,
): Documents<T> {
  const table = ownTables.has(collection) ? collection : "documents";
  const scope = (orgId: string) =>
    new Where().add("collection = ?", collection).add("org_id = ?", orgId);
  return {
    async insert(doc) {
      try {
        prepared(db, `INSERT INTO ${table} (collection, id, org_id, doc) VALUES (?, ?, ?, ?)`)
          .run(collection, doc.id, doc.organizationId, JSON.stringify(doc));
      } catch (err) {
        rethrowConflict(err, `Document "${doc.id}" already exists in ${collection}`);
      }
      return structuredClone(doc);
    },
    async get(orgId, id) {
      const w = scope(orgId).add("id = ?", id);
      const row = prepared(db, `SELECT doc FROM ${table} WHERE ${w.sql}`).get(...w.args) as
        | Row
        | undefined;
      return row ? docOf<T>(row) : null;
    },
    async getMany(orgId, ids) {
      if (ids.length === 0) return [];
      const w = scope(orgId).in("id", ids);
      return (prepared(db, `SELECT doc FROM ${table} WHERE ${w.sql}`).all(...w.args) as Row[])
        .map((r) => docOf<T>(r));
    },
    async update(orgId, id, patch, expect) {
      const set = jsonSet(patch);
      const w = equal(scope(orgId).add("id = ?", id), expect);
      let row: Row | undefined;
      try {
        row = prepared(db, `UPDATE ${table} SET doc = ${set.sql} WHERE ${w.sql} RETURNING doc`)
          .get(...set.values, ...w.args) as Row | undefined;
      } catch (err) {
        rethrowConflict(err, `Document "${id}" in ${collection} conflicts with another`);
      }
      return row ? docOf<T>(row) : null;
    },
    async updateMany(orgId, where, patch) {
      const set = jsonSet(patch);
      const w = equal(scope(orgId), where);
      const result = prepared(db, `UPDATE ${table} SET doc = ${set.sql} WHERE ${w.sql}`).run(
        ...set.values,
        ...w.args,
      );
      return Number(result.changes);
    },
    async delete(orgId, id) {
      const w = scope(orgId).add("id = ?", id);
      return Number(prepared(db, `DELETE FROM ${table} WHERE ${w.sql}`).run(...w.args).changes) ===
        1;
    },
    async find(orgId, options: FindOptions<T>) {
      const w = equal(scope(orgId), options.where);
      if (options.text) {
        const p = likePattern(options.text.value);
        const ors = options.text.fields.map((f) => `lower(${field(f)}) LIKE ? ESCAPE '\\'`);
        w.add(`(${ors.join(" OR ")})`, ...options.text.fields.map(() => p));
      }
      if (options.contains) {
        w.add(
          `EXISTS (SELECT 1 FROM json_each(${table}.doc, '$.${options.contains.field}')
                   WHERE value = ?)`,
          sqlValue(options.contains.value),
        );
        field(options.contains.field);
      }
      const order = [
        ...options.sort.map(([f, d]) => `${field(f)} ${d === "asc" ? "ASC" : "DESC"}`),
        "id",
      ]
        .join(", ");
      const total = prepared(db, `SELECT count(*) AS n FROM ${table} WHERE ${w.sql}`).get(
        ...w.args,
      ) as Row;
      const rows = prepared(
        db,
        `SELECT doc FROM ${table} WHERE ${w.sql} ORDER BY ${order} LIMIT ? OFFSET ?`,
      ).all(...w.args, options.page.limit, pageOffset(options.page)) as Row[];
      return { data: rows.map((r) => docOf<T>(r)), total: Number(total.n) };
    },
  };
}
