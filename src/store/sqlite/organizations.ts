import type { Organization, OrganizationRepository } from "@/modules/organizations/repository.ts";
import { pageOffset } from "@/store/types.ts";
import {
  bool,
  type Db,
  json,
  likePattern,
  prepared,
  rethrowConflict,
  type Row,
  setClause,
} from "./db.ts";

const columns = { name: "name", slug: "slug", active: "active", settings: "settings" };

function toOrganization(row: Row): Organization {
  return {
    id: String(row.id),
    name: String(row.name),
    slug: String(row.slug),
    active: bool(row.active),
    settings: json(row.settings),
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
  };
}

export function sqliteOrganizationRepository(db: Db): OrganizationRepository {
  const byId = db.prepare("SELECT * FROM organizations WHERE id = ?");
  return {
    async create(org) {
      try {
        prepared(
          db,
          `INSERT INTO organizations (id, name, slug, active, settings, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          org.id,
          org.name,
          org.slug,
          org.active ? 1 : 0,
          JSON.stringify(org.settings),
          org.createdAt,
          org.updatedAt,
        );
      } catch (err) {
        rethrowConflict(err, `Organization slug "${org.slug}" is already taken`);
      }
      return structuredClone(org);
    },
    async findById(id) {
      const row = byId.get(id) as Row | undefined;
      return row ? toOrganization(row) : null;
    },
    async findBySlug(slug) {
      const row = prepared(db, "SELECT * FROM organizations WHERE slug = ?").get(slug) as
        | Row
        | undefined;
      return row ? toOrganization(row) : null;
    },
    async list(filter, page) {
      const where: string[] = [];
      const args: (string | number)[] = [];
      if (filter.active !== undefined) {
        where.push("active = ?");
        args.push(filter.active ? 1 : 0);
      }
      if (filter.text) {
        where.push("(lower(name) LIKE ? ESCAPE '\\' OR slug LIKE ? ESCAPE '\\')");
        args.push(likePattern(filter.text), likePattern(filter.text));
      }
      const w = where.length ? `WHERE ${where.join(" AND ")}` : "";
      const total = prepared(db, `SELECT count(*) AS n FROM organizations ${w}`).get(
        ...args,
      ) as Row;
      const rows = prepared(
        db,
        `SELECT * FROM organizations ${w} ORDER BY created_at, id LIMIT ? OFFSET ?`,
      ).all(...args, page.limit, pageOffset(page)) as Row[];
      return { data: rows.map(toOrganization), total: Number(total.n) };
    },
    async update(id, patch, updatedAt) {
      const set = setClause(
        patch,
        columns,
        (k, v) => k === "settings" ? JSON.stringify(v) : k === "active" ? (v ? 1 : 0) : v as string,
      );
      try {
        prepared(
          db,
          `UPDATE organizations SET ${set.sql ? `${set.sql}, ` : ""}updated_at = ? WHERE id = ?`,
        ).run(...set.values, updatedAt, id);
      } catch (err) {
        rethrowConflict(err, `Organization slug "${patch.slug}" is already taken`);
      }
      const row = byId.get(id) as Row | undefined;
      return row ? toOrganization(row) : null;
    },
  };
}
