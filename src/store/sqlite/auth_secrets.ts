import type { AuthSecret, AuthSecretRepository } from "@/modules/auth/repository.ts";
import { type Db, nullableString, prepared, type Row } from "./db.ts";

function toSecret(row: Row): AuthSecret {
  return {
    id: String(row.id),
    kind: String(row.kind) as AuthSecret["kind"],
    userId: String(row.user_id),
    organizationId: nullableString(row.org_id),
    hash: String(row.hash),
    sessionId: nullableString(row.session_id),
    expiresAt: String(row.expires_at),
    attempts: Number(row.attempts),
    usedAt: nullableString(row.used_at),
    createdAt: String(row.created_at),
  };
}

export function sqliteAuthSecretRepository(db: Db): AuthSecretRepository {
  return {
    async create(s) {
      prepared(
        db,
        `INSERT INTO auth_secrets (id, kind, user_id, org_id, hash, session_id, expires_at,
           attempts, used_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        s.id,
        s.kind,
        s.userId,
        s.organizationId,
        s.hash,
        s.sessionId,
        s.expiresAt,
        s.attempts,
        s.usedAt,
        s.createdAt,
      );
      return structuredClone(s);
    },
    async findByHash(kind, hash) {
      const row = prepared(db, "SELECT * FROM auth_secrets WHERE kind = ? AND hash = ?").get(
        kind,
        hash,
      ) as Row | undefined;
      return row ? toSecret(row) : null;
    },
    async latestUnused(kind, userId) {
      const row = prepared(
        db,
        `SELECT * FROM auth_secrets WHERE kind = ? AND user_id = ? AND used_at IS NULL
         ORDER BY created_at DESC, id DESC LIMIT 1`,
      ).get(kind, userId) as Row | undefined;
      return row ? toSecret(row) : null;
    },
    async addAttempt(id) {
      const row = prepared(
        db,
        "UPDATE auth_secrets SET attempts = attempts + 1 WHERE id = ? RETURNING attempts",
      ).get(id) as Row | undefined;
      return row ? Number(row.attempts) : 0;
    },
    async consume(id, at) {
      const r = prepared(db, "UPDATE auth_secrets SET used_at = ? WHERE id = ? AND used_at IS NULL")
        .run(at, id);
      return Number(r.changes) === 1;
    },
    async consumeAll(kind, userId, at, exceptSessionId) {
      const unused = "UPDATE auth_secrets SET used_at = ? WHERE kind = ? AND user_id = ? AND " +
        "used_at IS NULL";
      if (exceptSessionId === undefined) prepared(db, unused).run(at, kind, userId);
      else {
        prepared(db, `${unused} AND session_id IS NOT ?`).run(at, kind, userId, exceptSessionId);
      }
    },
    async consumeSession(sessionId, at) {
      prepared(
        db,
        `UPDATE auth_secrets SET used_at = ? WHERE kind = 'refresh' AND session_id = ?
         AND used_at IS NULL`,
      ).run(at, sessionId);
    },
  };
}
