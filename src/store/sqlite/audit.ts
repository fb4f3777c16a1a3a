import type { SQLInputValue } from "node:sqlite";
import type { AuditEvent, AuditFilter, AuditRepository } from "@/modules/audit/repository.ts";
import { pageOffset } from "@/store/types.ts";
import { type Db, json, prepared, type Row } from "./db.ts";

function where(orgId: string | null | undefined, filter: AuditFilter) {
  const sql: string[] = [];
  const args: SQLInputValue[] = [];
  if (orgId === null) sql.push("org_id IS NULL");
  else if (orgId !== undefined) {
    sql.push("org_id = ?");
    args.push(orgId);
  }
  for (
    const [key, column] of [["action", "action"], ["actorId", "actor_id"], [
      "targetId",
      "target_id",
    ]] as const
  ) {
    const value = filter[key];
    if (value !== undefined) {
      sql.push(`${column} = ?`);
      args.push(value);
    }
  }
  return { sql: sql.length ? `WHERE ${sql.join(" AND ")}` : "", args };
}

export function sqliteAuditRepository(db: Db): AuditRepository {
  function page(
    orgId: string | null | undefined,
    filter: AuditFilter,
    p: { page: number; limit: number },
  ) {
    const w = where(orgId, filter);
    const total = prepared(db, `SELECT count(*) AS n FROM audit_events ${w.sql}`).get(
      ...w.args,
    ) as Row;
    const rows = prepared(
      db,
      `SELECT doc FROM audit_events ${w.sql} ORDER BY at DESC, id DESC LIMIT ? OFFSET ?`,
    ).all(...w.args, p.limit, pageOffset(p)) as Row[];
    return { data: rows.map((r) => json<AuditEvent>(r.doc)), total: Number(total.n) };
  }
  return {
    async append(e) {
      prepared(
        db,
        `INSERT INTO audit_events (id, org_id, action, actor_id, target_id, at, doc)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).run(e.id, e.organizationId, e.action, e.actorId, e.targetId, e.at, JSON.stringify(e));
    },
    async list(orgId, filter, p) {
      return page(orgId, filter, p);
    },
    async listAll(filter, p) {
      return page(undefined, filter, p);
    },
  };
}
