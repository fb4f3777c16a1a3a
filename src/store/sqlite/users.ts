import type { User, UserFilter, UserRepository } from "@/modules/users/repository.ts";
import { pageOffset } from "@/store/types.ts";
import {
  bool,
  type Db,
  json,
  likePattern,
  nullableString,
  prepared,
  rethrowConflict,
  type Row,
  setClause,
} from "./db.ts";
import type { SQLInputValue } from "node:sqlite";

const columns: Record<string, string> = {
  name: "name",
  email: "email",
  passwordHash: "password_hash",
  role: "role",
  phone: "phone",
  avatarFileId: "avatar_file_id",
  team: "team",
  skills: "skills",
  maxConcurrentQueries: "max_concurrent_queries",
  active: "active",
  availability: "availability",
  allowedPlaces: "allowed_places",
  lastLoginAt: "last_login_at",
  customFields: "custom_fields",
  labels: "labels",
  mergedInto: "merged_into",
};

function encode(key: string, value: unknown): SQLInputValue {
  if (key === "skills" || key === "allowedPlaces" || key === "customFields" || key === "labels") {
    return JSON.stringify(value);
  }
  if (key === "active") return value ? 1 : 0;
  return value as SQLInputValue;
}

function toUser(row: Row): User {
  return {
    id: String(row.id),
    organizationId: nullableString(row.organization_id),
    name: String(row.name),
    email: String(row.email),
    passwordHash: nullableString(row.password_hash),
    role: String(row.role) as User["role"],
    phone: nullableString(row.phone),
    avatarFileId: nullableString(row.avatar_file_id),
    team: nullableString(row.team),
    skills: json(row.skills),
    maxConcurrentQueries: Number(row.max_concurrent_queries),
    active: bool(row.active),
    availability: String(row.availability) as User["availability"],
    allowedPlaces: json(row.allowed_places),
    lastLoginAt: nullableString(row.last_login_at),
    customFields: json(row.custom_fields),
    labels: json(row.labels),
    mergedInto: nullableString(row.merged_into),
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
  };
}

function orgCondition(orgId: string | null): { sql: string; args: SQLInputValue[] } {
  return orgId === null
    ? { sql: "organization_id IS NULL", args: [] }
    : { sql: "organization_id = ?", args: [orgId] };
}

function filterSql(orgId: string | null, filter: UserFilter) {
  const org = orgCondition(orgId);
  const where = [org.sql];
  const args: SQLInputValue[] = [...org.args];
  if (filter.roles?.length) {
    where.push(`role IN (${filter.roles.map(() => "?").join(", ")})`);
    args.push(...filter.roles);
  }
  if (filter.active !== undefined) {
    where.push("active = ?");
    args.push(filter.active ? 1 : 0);
  }
  if (filter.team !== undefined) {
    where.push("team = ?");
    args.push(filter.team);
  }
  if (filter.skill !== undefined) {
    where.push("EXISTS (SELECT 1 FROM json_each(skills) WHERE json_extract(value, '$.name') = ?)");
    args.push(filter.skill);
  }
  if (filter.text) {
    where.push(
      "(lower(name) LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\' OR phone LIKE ? ESCAPE '\\')",
    );
    args.push(likePattern(filter.text), likePattern(filter.text), likePattern(filter.text));
  }
  if (filter.ids) {
    where.push(`id IN (SELECT value FROM json_each(?))`);
    args.push(JSON.stringify(filter.ids));
  }
  if (!filter.withMerged) where.push("merged_into IS NULL");
  if (filter.label !== undefined) {
    where.push("EXISTS (SELECT 1 FROM json_each(labels) WHERE value = ?)");
    args.push(filter.label);
  }
  if (filter.customField) {
    const { key, value } = filter.customField;
    where.push("json_extract(custom_fields, ?) = ?");
    args.push(
      `$."${key.replaceAll('"', "")}"`,
      typeof value === "boolean" ? (value ? 1 : 0) : value,
    );
  }
  return { sql: where.join(" AND "), args };
}

export function sqliteUserRepository(db: Db): UserRepository {
  function find(orgId: string | null, id: string): User | null {
    const org = orgCondition(orgId);
    const row = prepared(db, `SELECT * FROM users WHERE id = ? AND ${org.sql}`).get(
      id,
      ...org.args,
    ) as Row | undefined;
    return row ? toUser(row) : null;
  }
  return {
    async create(user) {
      try {
        prepared(
          db,
          `INSERT INTO users (id, organization_id, name, email, password_hash, role, phone,
             avatar_file_id, team, skills, max_concurrent_queries, active, availability,
             allowed_places, last_login_at, custom_fields, labels, merged_into, created_at,
             updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          user.id,
          user.organizationId,
          user.name,
          user.email,
          user.passwordHash,
          user.role,
          user.phone,
          user.avatarFileId,
          user.team,
          JSON.stringify(user.skills),
          user.maxConcurrentQueries,
          user.active ? 1 : 0,
          user.availability,
          JSON.stringify(user.allowedPlaces),
          user.lastLoginAt,
          JSON.stringify(user.customFields),
          JSON.stringify(user.labels),
          user.mergedInto,
          user.createdAt,
          user.updatedAt,
        );
      } catch (err) {
        rethrowConflict(err, `Email "${user.email}" is already registered`);
      }
      return structuredClone(user);
    },
    async findById(orgId, id) {
      return find(orgId, id);
    },
    async findByEmail(orgId, email) {
      const org = orgCondition(orgId);
      const row = prepared(db, `SELECT * FROM users WHERE email = ? AND ${org.sql}`).get(
        email,
        ...org.args,
      ) as Row | undefined;
      return row ? toUser(row) : null;
    },
    async findAllByEmail(email, { limit, withPassword }) {
      const rows = prepared(
        db,
        `SELECT * FROM users WHERE email = ?${withPassword ? " AND password_hash IS NOT NULL" : ""}
         ORDER BY last_login_at IS NULL, last_login_at DESC, created_at, id LIMIT ?`,
      ).all(email, limit) as Row[];
      return rows.map(toUser);
    },
    async list(orgId, filter, page, sort = { field: "createdAt", order: "asc" }) {
      const f = filterSql(orgId, filter);
      const total = prepared(db, `SELECT count(*) AS n FROM users WHERE ${f.sql}`).get(
        ...f.args,
      ) as Row;
      const order = sort.order === "desc" ? "DESC" : "ASC";
      const key = {
        createdAt: "created_at",
        updatedAt: "updated_at",
        name: "name",
        email: "email",
      }[sort.field];
      const rows = prepared(
        db,
        `SELECT * FROM users WHERE ${f.sql} ORDER BY ${key} ${order}, id ${order} LIMIT ? OFFSET ?`,
      ).all(...f.args, page.limit, pageOffset(page)) as Row[];
      return { data: rows.map(toUser), total: Number(total.n) };
    },
    async update(orgId, id, patch, updatedAt) {
      const set = setClause(patch, columns, encode);
      const org = orgCondition(orgId);
      try {
        prepared(
          db,
          `UPDATE users SET ${
            set.sql ? `${set.sql}, ` : ""
          }updated_at = ? WHERE id = ? AND ${org.sql}`,
        ).run(...set.values, updatedAt, id, ...org.args);
      } catch (err) {
        rethrowConflict(err, `Email "${patch.email}" is already registered`);
      }
      return find(orgId, id);
    },
    async mergedSince(since, limit) {
      const rows = prepared(
        db,
        `SELECT * FROM users WHERE merged_into IS NOT NULL AND updated_at >= ?
         ORDER BY updated_at, id LIMIT ?`,
      ).all(since, limit) as Row[];
      return rows.map(toUser);
    },
    async removeLabel(orgId, labelId) {
      const { changes } = prepared(
        db,
        `UPDATE users SET labels = (SELECT json_group_array(value) FROM json_each(users.labels)
           WHERE value != ?1)
         WHERE organization_id = ?2 AND EXISTS (SELECT 1 FROM json_each(users.labels)
           WHERE value = ?1)`,
      ).run(labelId, orgId);
      return Number(changes);
    },
    async unsetCustomField(orgId, key) {
      const path = `$."${key.replaceAll('"', "")}"`;
      const { changes } = prepared(
        db,
        `UPDATE users SET custom_fields = json_remove(custom_fields, ?)
         WHERE organization_id = ? AND json_type(custom_fields, ?) IS NOT NULL`,
      ).run(path, orgId, path);
      return Number(changes);
    },
    async delete(orgId, id) {
      const result = prepared(db, "DELETE FROM users WHERE id = ? AND organization_id = ?").run(
        id,
        orgId,
      );
      return Number(result.changes) > 0;
    },
  };
}
