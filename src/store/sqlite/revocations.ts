import type { Revocation, RevocationRepository } from "@/modules/auth/repository.ts";
import { type Db, nullableString, prepared, type Row } from "./db.ts";

function toRevocation(row: Row): Revocation {
  return {
    id: String(row.id),
    kind: String(row.kind) as Revocation["kind"],
    userId: String(row.user_id),
    sessionId: nullableString(row.session_id),
    at: String(row.at),
    expiresAt: String(row.expires_at),
  };
}

export function sqliteRevocationRepository(db: Db): RevocationRepository {
  return {
    async add(r) {
      prepared(
        db,
        `INSERT INTO revocations (id, kind, user_id, session_id, at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ).run(r.id, r.kind, r.userId, r.sessionId, r.at, r.expiresAt);
    },
    async forUser(userId, now) {
      const rows = prepared(
        db,
        `SELECT * FROM revocations WHERE user_id = ? AND expires_at > ? ORDER BY at, id`,
      ).all(userId, now) as Row[];
      return rows.map(toRevocation);
    },
    async purge(now) {
      prepared(db, "DELETE FROM revocations WHERE expires_at <= ?").run(now);
    },
  };
}
