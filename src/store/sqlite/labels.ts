import type { Label, LabelRepository } from "@/modules/labels/repository.ts";
import { pageOffset } from "@/store/types.ts";
import { type Db, prepared, rethrowConflict, type Row } from "./db.ts";
import { docOf, jsonSet } from "./docs.ts";

/** Labels in the `labels` table (0800), unique by lower-cased name per organization. */
export function sqliteLabelRepository(db: Db): LabelRepository {
  const one = (row: unknown) => row ? docOf<Label>(row as Row) : null;
  const taken = (name: string) => `A label named "${name}" already exists`;
  return {
    async create(label) {
      try {
        prepared(db, "INSERT INTO labels (id, doc) VALUES (?, ?)").run(
          label.id,
          JSON.stringify(label),
        );
      } catch (err) {
        rethrowConflict(err, taken(label.name));
      }
      return structuredClone(label);
    },
    async get(orgId, id) {
      return one(prepared(db, "SELECT doc FROM labels WHERE id = ? AND org_id = ?").get(id, orgId));
    },
    async getMany(orgId, ids) {
      if (ids.length === 0) return [];
      const rows = prepared(
        db,
        "SELECT doc FROM labels WHERE org_id = ? AND id IN (SELECT value FROM json_each(?))",
      ).all(orgId, JSON.stringify(ids)) as Row[];
      return rows.map((r) => docOf<Label>(r));
    },
    async findByName(orgId, name) {
      return one(
        prepared(db, "SELECT doc FROM labels WHERE org_id = ? AND name_key = lower(?)")
          .get(orgId, name),
      );
    },
    async list(orgId, page) {
      const total = Number(
        (prepared(db, "SELECT count(*) AS n FROM labels WHERE org_id = ?").get(orgId) as Row).n,
      );
      const rows = prepared(
        db,
        "SELECT doc FROM labels WHERE org_id = ? ORDER BY name_key, id LIMIT ? OFFSET ?",
      ).all(orgId, page.limit, pageOffset(page)) as Row[];
      return { data: rows.map((r) => docOf<Label>(r)), total };
    },
    async update(orgId, id, patch) {
      const set = jsonSet(patch);
      try {
        return one(
          prepared(
            db,
            `UPDATE labels SET doc = ${set.sql} WHERE id = ? AND org_id = ? RETURNING doc`,
          )
            .get(...set.values, id, orgId),
        );
      } catch (err) {
        rethrowConflict(err, taken(patch.name ?? ""));
      }
    },
    async delete(orgId, id) {
      const { changes } = prepared(db, "DELETE FROM labels WHERE id = ? AND org_id = ?").run(
        id,
        orgId,
      );
      return Number(changes) > 0;
    },
  };
}
