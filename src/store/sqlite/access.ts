import type { SQLInputValue } from "node:sqlite";
import type {
  IpRule,
  IpRuleRepository,
  LoginAttempt,
  LoginAttemptRepository,
} from "@/modules/access/repository.ts";
import { pageOffset } from "@/store/types.ts";
import { type Db, json, prepared, rethrowConflict, type Row } from "./db.ts";

export function sqliteLoginAttemptRepository(db: Db): LoginAttemptRepository {
  return {
    async append(a) {
      prepared(
        db,
        `INSERT INTO login_attempts (id, org_id, user_id, outcome, at, doc) VALUES (?, ?, ?, ?, ?, ?)`,
      ).run(a.id, a.organizationId, a.userId, a.outcome, a.at, JSON.stringify(a));
    },
    async list(orgId, filter, p) {
      const sql = ["org_id = ?"];
      const args: SQLInputValue[] = [orgId];
      if (filter.userId !== undefined) {
        sql.push("user_id = ?");
        args.push(filter.userId);
      }
      if (filter.outcome !== undefined) {
        sql.push("outcome = ?");
        args.push(filter.outcome);
      }
      const w = sql.join(" AND ");
      const total = prepared(db, `SELECT count(*) AS n FROM login_attempts WHERE ${w}`).get(
        ...args,
      ) as Row;
      const rows = prepared(
        db,
        `SELECT doc FROM login_attempts WHERE ${w} ORDER BY at DESC, id DESC LIMIT ? OFFSET ?`,
      ).all(...args, p.limit, pageOffset(p)) as Row[];
      return { data: rows.map((r) => json<LoginAttempt>(r.doc)), total: Number(total.n) };
    },
  };
}

export function sqliteIpRuleRepository(db: Db): IpRuleRepository {
  const rowsOf = (rows: Row[]) => rows.map((r) => json<IpRule>(r.doc));
  return {
    async create(rule) {
      try {
        prepared(
          db,
          `INSERT INTO ip_rules (id, org_id, value, created_at, doc) VALUES (?, ?, ?, ?, ?)`,
        ).run(rule.id, rule.organizationId, rule.value, rule.createdAt, JSON.stringify(rule));
      } catch (err) {
        rethrowConflict(err, `"${rule.value}" is already on the allow-list`);
      }
      return structuredClone(rule);
    },
    async list(orgId, p) {
      const total = prepared(db, "SELECT count(*) AS n FROM ip_rules WHERE org_id = ?").get(
        orgId,
      ) as Row;
      const rows = prepared(
        db,
        "SELECT doc FROM ip_rules WHERE org_id = ? ORDER BY created_at, id LIMIT ? OFFSET ?",
      ).all(orgId, p.limit, pageOffset(p)) as Row[];
      return { data: rowsOf(rows), total: Number(total.n) };
    },
    async all(orgId) {
      return rowsOf(
        prepared(db, "SELECT doc FROM ip_rules WHERE org_id = ? ORDER BY created_at, id").all(
          orgId,
        ) as Row[],
      );
    },
    async delete(orgId, id) {
      const r = prepared(db, "DELETE FROM ip_rules WHERE org_id = ? AND id = ?").run(orgId, id);
      return Number(r.changes) > 0;
    },
  };
}
