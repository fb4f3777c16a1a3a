import type { Query, QueryHistoryEntry } from "@/modules/queries/model.ts";
import type {
  CounterRepository,
  QueryExpectation,
  QueryFilter,
  QueryHistoryRepository,
  QueryRepository,
  QuerySort,
} from "@/modules/queries/repository.ts";
import type { SQLInputValue } from "node:sqlite";
import { pageOffset } from "@/store/types.ts";
import { type Db, likePattern, prepared, rethrowConflict, type Row } from "./db.ts";
import { docOf, jsonSet, Where } from "./docs.ts";
import { openStatuses } from "@/modules/queries/model.ts";

const sortColumns: Record<QuerySort["field"], string> = {
  createdAt: "created_at",
  updatedAt: "updated_at",
  priority: "priority_rank",
  number: "number",
};

/**
 * The WHERE of a list. For counting by tag, `+org_id` keeps SQLite from walking the whole
 * organization's index and has it look up the tagged queries by id instead.
 */
/** A stored query; those stored before custom fields existed have none. */
export function toQuery(row: Row): Query {
  const query = docOf<Query>(row);
  query.customFields ??= {};
  return query;
}

function filterWhere(orgId: string, f: QueryFilter, counting = false): Where {
  const byTable = f.tag !== undefined || f.label !== undefined;
  const w = new Where().add(counting && byTable ? "+org_id = ?" : "org_id = ?", orgId);
  if (f.statuses) w.in("status", f.statuses);
  if (f.priorities) w.in("priority_rank", f.priorities.map((p) => rank[p]));
  if (f.assignedTo !== undefined) w.is("assigned_to", f.assignedTo);
  if (f.customerId !== undefined) w.add("customer_id = ?", f.customerId);
  if (f.customField) {
    const { key, value } = f.customField;
    w.add(
      "json_extract(doc, ?) = ?",
      `$.customFields."${key.replaceAll('"', "")}"`,
      typeof value === "boolean" ? (value ? 1 : 0) : value,
    );
  }
  if (f.source !== undefined) w.add("source = ?", f.source);
  if (f.team !== undefined) w.add("team = ?", f.team);
  if (f.skill !== undefined) w.add("skill = ?", f.skill);
  if (f.tag !== undefined) {
    w.add("id IN (SELECT query_id FROM query_tags WHERE org_id = ? AND tag = ?)", orgId, f.tag);
  }
  if (f.label !== undefined) {
    w.add(
      "id IN (SELECT query_id FROM query_labels WHERE org_id = ? AND label_id = ?)",
      orgId,
      f.label,
    );
  }
  if (f.createdFrom !== undefined) w.add("created_at >= ?", f.createdFrom);
  if (f.createdTo !== undefined) w.add("created_at < ?", f.createdTo);
  if (f.breached !== undefined) w.add("breached = ?", f.breached ? 1 : 0);
  if (f.dueBefore !== undefined) {
    w.in("status", [...openStatuses]).add(
      `((first_response_at IS NULL AND first_response_breached_at IS NULL
         AND first_response_due_at < ?)
        OR (resolution_breached_at IS NULL AND resolution_due_at < ?))`,
      f.dueBefore,
      f.dueBefore,
    );
  }
  if (f.text && f.text.length >= 3) {
    // The trigram index finds substrings of three characters or more, case-insensitively.
    w.add(
      "rowid IN (SELECT rowid FROM query_search WHERE body MATCH ?)",
      `"${f.text.replaceAll('"', '""')}"`,
    );
  } else if (f.text) {
    const p = likePattern(f.text);
    w.add(
      `(lower(json_extract(doc, '$.title')) LIKE ? ESCAPE '\\'
        OR lower(json_extract(doc, '$.description')) LIKE ? ESCAPE '\\'
        OR lower(json_extract(doc, '$.reference')) LIKE ? ESCAPE '\\')`,
      p,
      p,
      p,
    );
  }
  if (f.agentView) {
    const skills = f.agentView.skills;
    w.add(
      `(assigned_to = ? OR (status = 'Open' AND assigned_to IS NULL
        AND (skill IS NULL${
        skills.length ? ` OR skill IN (${skills.map(() => "?").join(", ")})` : ""
      })))`,
      f.agentView.userId,
      ...skills,
    );
  }
  return w;
}

const rank = { Low: 1, Medium: 2, High: 3, Urgent: 4 } as const;

/**
 * The total of a filter on one tag or one label and nothing else, from its link table alone:
 * the table holds one row per query of the organization carrying it (triggers keep it so), and
 * counting there reads no query row, where checking each match against `queries` costs a JSON
 * parse per row (54 ms for 10,000 of 100,000 queries).
 */
type Count = { sql: string; args: SQLInputValue[] };

const countOf = (w: Where): Count => ({
  sql: `SELECT count(*) AS n FROM queries WHERE ${w.sql}`,
  args: w.args,
});

function linkCount(orgId: string, f: QueryFilter): Count | null {
  const set = Object.entries(f).filter(([, v]) => v !== undefined);
  if (set.length !== 1) return null;
  if (f.tag !== undefined) {
    return {
      sql: "SELECT count(*) AS n FROM query_tags WHERE org_id = ? AND tag = ?",
      args: [orgId, f.tag],
    };
  }
  if (f.label !== undefined) {
    return {
      sql: "SELECT count(*) AS n FROM query_labels WHERE org_id = ? AND label_id = ?",
      args: [orgId, f.label],
    };
  }
  return null;
}

function expectationWhere(w: Where, expect: QueryExpectation): Where {
  if (expect.statuses) w.in("status", expect.statuses);
  if (expect.assignedTo !== undefined) w.is("assigned_to", expect.assignedTo);
  for (const field of expect.isNull ?? []) w.add(`json_extract(doc, '$.${field}') IS NULL`);
  return w;
}

export function sqliteQueryRepository(db: Db): QueryRepository {
  // By the primary key alone, the organization compared on the parsed document: `org_id` is a
  // virtual column, and computing it costs a second pass over the JSON (a third of the read).
  const byId = db.prepare("SELECT doc FROM queries WHERE id = ?");
  const rows = (sql: string, ...args: SQLInputValue[]) =>
    (prepared(db, sql).all(...args) as Row[]).map((r) => toQuery(r));
  return {
    async create(query) {
      try {
        prepared(db, "INSERT INTO queries (id, doc) VALUES (?, ?)").run(
          query.id,
          JSON.stringify(query),
        );
      } catch (err) {
        rethrowConflict(err, `Query number ${query.number} is already used`);
      }
      return structuredClone(query);
    },
    async findById(orgId, id) {
      const row = byId.get(id) as Row | undefined;
      const query = row ? toQuery(row) : null;
      return query?.organizationId === orgId ? query : null;
    },
    async findByNumber(orgId, number) {
      const row = prepared(db, "SELECT doc FROM queries WHERE org_id = ? AND number = ?").get(
        orgId,
        number,
      ) as Row | undefined;
      return row ? toQuery(row) : null;
    },
    async customerIds(orgId, filter) {
      const w = filterWhere(orgId, filter);
      const rows = prepared(db, `SELECT DISTINCT customer_id FROM queries WHERE ${w.sql}`).all(
        ...w.args,
      ) as Row[];
      return rows.map((r) => String(r.customer_id));
    },
    async unsetCustomField(orgId, key) {
      const path = `$.customFields."${key.replaceAll('"', "")}"`;
      const { changes } = prepared(
        db,
        `UPDATE queries SET doc = json_remove(doc, ?) WHERE org_id = ? AND json_type(doc, ?) IS NOT NULL`,
      ).run(path, orgId, path);
      return Number(changes);
    },
    async moveCustomer(orgId, from, to) {
      const { changes } = prepared(
        db,
        "UPDATE queries SET doc = json_set(doc, '$.customerId', ?) WHERE org_id = ? AND customer_id = ?",
      ).run(to, orgId, from);
      return Number(changes);
    },
    async eraseCustomer(orgId, customerId, marker) {
      const { changes } = prepared(
        db,
        `UPDATE queries SET doc = CASE WHEN json_type(doc, '$.csat') = 'object'
             THEN json_set(doc, '$.title', ?1, '$.description', ?1, '$.csat.comment', json('null'))
             ELSE json_set(doc, '$.title', ?1, '$.description', ?1) END
         WHERE org_id = ?2 AND customer_id = ?3`,
      ).run(marker, orgId, customerId);
      return Number(changes);
    },
    async list(orgId, filter, sort, page) {
      const w = filterWhere(orgId, filter);
      const order = sort.order === "asc" ? "ASC" : "DESC";
      // The page is found on the indexes first (rowids only), then its 20 documents are read:
      // a deep OFFSET then skips index entries instead of whole rows. A repeated `created_at`
      // would hide from SQLite that (org_id, created_at, id) is already in order: it sorted the
      // organization's rows again (page 2,500 of 100,000: 39 ms instead of 10).
      const columns = new Set([sortColumns[sort.field], "created_at", "id"]);
      const orderBy = `ORDER BY ${[...columns].map((c) => `${c} ${order}`).join(", ")}`;
      const offset = pageOffset(page);
      const data = rows(
        `SELECT doc FROM queries WHERE rowid IN (
           SELECT rowid FROM queries WHERE ${w.sql} ${orderBy} LIMIT ? OFFSET ?
         ) ${orderBy}`,
        ...w.args,
        page.limit,
        offset,
      );
      // A page that is not full is the last one: it tells the total without a second search.
      if (data.length < page.limit && (data.length > 0 || offset === 0)) {
        return { data, total: offset + data.length };
      }
      const c = linkCount(orgId, filter) ?? countOf(filterWhere(orgId, filter, true));
      const total = prepared(db, c.sql).get(...c.args) as Row;
      return { data, total: Number(total.n) };
    },
    async update(orgId, id, expect, patch) {
      const set = jsonSet(patch);
      const w = expectationWhere(new Where().add("id = ?", id).add("org_id = ?", orgId), expect);
      const row = prepared(db, `UPDATE queries SET doc = ${set.sql} WHERE ${w.sql} RETURNING doc`)
        .get(...set.values, ...w.args) as Row | undefined;
      return row ? toQuery(row) : null;
    },
    async waiting(orgId, limit) {
      return rows(
        `SELECT doc FROM queries
         WHERE org_id = ? AND status = 'Open' AND assigned_to IS NULL
         ORDER BY priority_rank DESC, created_at, id LIMIT ?`,
        orgId,
        limit,
      );
    },
    async positionInQueue(orgId, q) {
      // Three index ranges summed: an OR across them would scan the whole queue.
      const waiting = "org_id = ? AND status = 'Open' AND assigned_to IS NULL";
      const row = prepared(
        db,
        `SELECT
           (SELECT count(*) FROM queries WHERE ${waiting} AND priority_rank > ?)
         + (SELECT count(*) FROM queries WHERE ${waiting} AND priority_rank = ? AND created_at < ?)
         + (SELECT count(*) FROM queries WHERE ${waiting} AND priority_rank = ? AND created_at = ?
              AND id < ?) AS n`,
      ).get(
        orgId,
        q.priorityRank,
        orgId,
        q.priorityRank,
        q.createdAt,
        orgId,
        q.priorityRank,
        q.createdAt,
        q.id,
      ) as Row;
      return Number(row.n);
    },
    async slaDue(orgId, now, warnUntil, limit) {
      return rows(
        `SELECT doc FROM queries
         WHERE org_id = ? AND status IN ('Open', 'Assigned', 'In Progress') AND sla_paused_at IS NULL AND (
           (first_response_at IS NULL AND first_response_due_at IS NOT NULL AND (
             (first_response_warned_at IS NULL AND first_response_due_at < ?)
             OR (first_response_breached_at IS NULL AND first_response_due_at < ?)))
           OR (resolution_due_at IS NOT NULL AND (
             (resolution_warned_at IS NULL AND resolution_due_at < ?)
             OR (resolution_breached_at IS NULL AND resolution_due_at < ?))))
         ORDER BY created_at LIMIT ?`,
        orgId,
        warnUntil,
        now,
        warnUntil,
        now,
        limit,
      );
    },
    async unansweredSince(orgId, before, limit) {
      return rows(
        `SELECT doc FROM queries
         WHERE org_id = ? AND status = 'Assigned' AND first_response_at IS NULL
           AND assigned_at < ?
         ORDER BY assigned_at LIMIT ?`,
        orgId,
        before,
        limit,
      );
    },
    async removeLabel(orgId, labelId) {
      const { changes } = prepared(
        db,
        `UPDATE queries SET doc = json_set(doc, '$.labels', json((
           SELECT json_group_array(value) FROM json_each(queries.doc, '$.labels') WHERE value != ?
         )))
         WHERE id IN (SELECT query_id FROM query_labels WHERE org_id = ? AND label_id = ?)`,
      ).run(labelId, orgId, labelId);
      return Number(changes);
    },
    async activeOf(orgId, userId) {
      return rows(
        `SELECT doc FROM queries
         WHERE org_id = ? AND assigned_to = ? AND status IN ('Assigned', 'In Progress')
         ORDER BY created_at`,
        orgId,
        userId,
      );
    },
  };
}

export function sqliteQueryHistoryRepository(db: Db): QueryHistoryRepository {
  return {
    async append(e) {
      prepared(
        db,
        "INSERT INTO query_history (id, org_id, query_id, at, doc) VALUES (?, ?, ?, ?, ?)",
      )
        .run(e.id, e.organizationId, e.queryId, e.at, JSON.stringify(e));
    },
    async list(orgId, queryId, page) {
      const total = prepared(
        db,
        "SELECT count(*) AS n FROM query_history WHERE org_id = ? AND query_id = ?",
      ).get(orgId, queryId) as Row;
      const data = (prepared(
        db,
        `SELECT doc FROM query_history WHERE org_id = ? AND query_id = ?
         ORDER BY at, id LIMIT ? OFFSET ?`,
      ).all(orgId, queryId, page.limit, pageOffset(page)) as Row[]).map((r) =>
        docOf<QueryHistoryEntry>(r)
      );
      return { data, total: Number(total.n) };
    },
  };
}

export function sqliteCounterRepository(db: Db): CounterRepository {
  const next = db.prepare(
    `INSERT INTO counters (org_id, name, value) VALUES (?, ?, 1)
     ON CONFLICT (org_id, name) DO UPDATE SET value = value + 1 RETURNING value`,
  );
  return {
    async next(orgId, name) {
      return Number((next.get(orgId, name) as Row).value);
    },
  };
}
