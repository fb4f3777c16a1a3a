import type { AgentState, AgentStateRepository } from "@/modules/routing/repository.ts";
import type { Availability } from "@/modules/users/repository.ts";
import { bool, type Db, nullableString, prepared, type Row } from "./db.ts";

function toState(row: Row): AgentState {
  return {
    userId: String(row.user_id),
    organizationId: String(row.org_id),
    status: String(row.status) as Availability,
    onShift: bool(row.on_shift),
    load: Number(row.load),
    lastAssignedAt: nullableString(row.last_assigned_at),
    droppedAt: nullableString(row.dropped_at),
    statusBeforeDrop: nullableString(row.status_before_drop) as Availability | null,
    updatedAt: String(row.updated_at),
  };
}

export function sqliteAgentStateRepository(db: Db): AgentStateRepository {
  const ensure = db.prepare(
    `INSERT INTO agent_states (user_id, org_id, status, on_shift, load, updated_at)
     VALUES (?, ?, 'offline', 0, 0, ?) ON CONFLICT (user_id) DO NOTHING`,
  );
  const get = db.prepare("SELECT * FROM agent_states WHERE user_id = ? AND org_id = ?");
  return {
    async get(orgId, userId) {
      const row = get.get(userId, orgId) as Row | undefined;
      return row ? toState(row) : {
        userId,
        organizationId: orgId,
        status: "offline",
        onShift: false,
        load: 0,
        lastAssignedAt: null,
        droppedAt: null,
        statusBeforeDrop: null,
        updatedAt: new Date(0).toISOString(),
      };
    },
    async setStatus(orgId, userId, status, at) {
      ensure.run(userId, orgId, at);
      const row = prepared(
        db,
        `UPDATE agent_states SET status = ?, dropped_at = NULL, status_before_drop = NULL,
           updated_at = ? WHERE user_id = ? AND org_id = ? RETURNING *`,
      ).get(status, at, userId, orgId) as Row;
      return toState(row);
    },
    async markDropped(orgId, userId, at) {
      const row = prepared(
        db,
        `UPDATE agent_states SET status_before_drop = status, status = 'offline', dropped_at = ?,
           updated_at = ? WHERE user_id = ? AND org_id = ? AND status != 'offline' RETURNING *`,
      ).get(at, at, userId, orgId) as Row | undefined;
      return row ? toState(row) : null;
    },
    async restoreDropped(orgId, userId, at) {
      const row = prepared(
        db,
        `UPDATE agent_states SET status = status_before_drop, status_before_drop = NULL,
           dropped_at = NULL, updated_at = ?
         WHERE user_id = ? AND org_id = ? AND dropped_at IS NOT NULL RETURNING *`,
      ).get(at, userId, orgId) as Row | undefined;
      return row ? toState(row) : null;
    },
    async droppedBefore(orgId, before) {
      return (prepared(
        db,
        `SELECT * FROM agent_states WHERE org_id = ? AND dropped_at IS NOT NULL AND dropped_at < ?
         ORDER BY dropped_at, user_id`,
      ).all(orgId, before) as Row[]).map(toState);
    },
    async setShift(orgId, userId, onShift, at) {
      ensure.run(userId, orgId, at);
      const result = prepared(
        db,
        `UPDATE agent_states SET on_shift = ?, updated_at = ?
         WHERE user_id = ? AND org_id = ? AND on_shift = ?`,
      ).run(onShift ? 1 : 0, at, userId, orgId, onShift ? 0 : 1);
      return Number(result.changes) === 1;
    },
    async reserve(orgId, userId, max, at) {
      ensure.run(userId, orgId, at);
      const result = prepared(
        db,
        `UPDATE agent_states SET load = load + 1, last_assigned_at = ?
         WHERE user_id = ? AND org_id = ? AND load < ?`,
      ).run(at, userId, orgId, max);
      return Number(result.changes) === 1;
    },
    async release(orgId, userId) {
      prepared(
        db,
        "UPDATE agent_states SET load = load - 1 WHERE user_id = ? AND org_id = ? AND load > 0",
      ).run(userId, orgId);
    },
    async available(orgId) {
      return (prepared(
        db,
        `SELECT * FROM agent_states WHERE org_id = ? AND status = 'online' AND on_shift = 1
         ORDER BY last_assigned_at IS NOT NULL, last_assigned_at, user_id`,
      ).all(orgId) as Row[]).map(toState);
    },
    async list(orgId) {
      return (prepared(db, "SELECT * FROM agent_states WHERE org_id = ? ORDER BY user_id").all(
        orgId,
      ) as Row[]).map(toState);
    },
  };
}
