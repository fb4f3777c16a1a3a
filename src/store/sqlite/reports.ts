import { toQuery } from "./queries.ts";
import { type QueryStatus, queryStatuses } from "@/modules/queries/model.ts";
import type {
  CountedEvent,
  QueryFacts,
  ReportRepository,
  ShiftSpan,
} from "@/modules/reports/repository.ts";
import { type Db, prepared, type Row } from "./db.ts";

const eventColumns: Record<CountedEvent, string> = {
  createdAt: "created_at",
  resolvedAt: "resolved_at",
};

/** Columns whose time in the range makes a query part of a report (each has an index). */
const eventColumnsInFacts = [
  "created_at",
  "first_response_at",
  "resolved_at",
  "first_response_breached_at",
  "resolution_breached_at",
  "csat_rated_at",
];

const factPaths = [
  "assignedTo",
  "createdAt",
  "firstResponseAt",
  "resolvedAt",
  "firstResponseDueAt",
  "resolutionDueAt",
  "firstResponseBreachedAt",
  "resolutionBreachedAt",
  "csat.rating",
  "csat.ratedAt",
];

// One json_extract with every path parses each document once (a column each would parse ten times).
const factsSql = `
  SELECT json_extract(doc, ${factPaths.map((p) => `'$.${p}'`).join(", ")}) AS facts
  FROM queries WHERE rowid IN (${
  eventColumnsInFacts.map((c) =>
    `SELECT rowid FROM queries WHERE org_id = :org AND ${c} >= :from AND ${c} < :to`
  ).join(" UNION ")
})`;

function toFacts(r: Row): QueryFacts {
  const [
    assignedTo,
    createdAt,
    firstResponseAt,
    resolvedAt,
    firstResponseDueAt,
    resolutionDueAt,
    firstResponseBreachedAt,
    resolutionBreachedAt,
    csatRating,
    csatRatedAt,
  ] = JSON.parse(String(r.facts));
  return {
    assignedTo,
    createdAt,
    firstResponseAt,
    resolvedAt,
    firstResponseDueAt,
    resolutionDueAt,
    firstResponseBreachedAt,
    resolutionBreachedAt,
    csatRating,
    csatRatedAt,
  };
}

const text = (v: unknown) => (v === null || v === undefined ? null : String(v));

/** Report aggregations in SQL over the generated columns of migration 0500_reports. */
export function sqliteReportRepository(db: Db): ReportRepository {
  const byStatus = db.prepare(
    "SELECT status, count(*) AS n FROM queries WHERE org_id = ? GROUP BY status",
  );
  const waiting = db.prepare(
    "SELECT count(*) AS n FROM queries WHERE org_id = ? AND status = 'Open' AND assigned_to IS NULL",
  );
  const assigned = db.prepare(
    `SELECT json_extract(doc, '$.to') AS agent, count(*) AS n FROM query_history
     WHERE org_id = ? AND at >= ? AND at < ?
       AND json_extract(doc, '$.action') IN ('assigned', 'transferred')
       AND json_extract(doc, '$.field') = 'assignedTo' AND json_extract(doc, '$.to') IS NOT NULL
     GROUP BY agent`,
  );
  const reopened = db.prepare(
    `SELECT q.assigned_to AS agent, count(*) AS n FROM query_history h
     JOIN queries q ON q.id = h.query_id
     WHERE h.org_id = ? AND h.at >= ? AND h.at < ? AND json_extract(h.doc, '$.action') = 'status'
       AND json_extract(h.doc, '$.from') = 'Resolved'
       AND json_extract(h.doc, '$.to') = 'In Progress'
     GROUP BY agent`,
  );
  const shifts = db.prepare(
    `SELECT json_extract(doc, '$.userId') AS user_id, json_extract(doc, '$.clockIn') AS clock_in,
       json_extract(doc, '$.clockOut') AS clock_out
     FROM documents WHERE collection = 'shifts' AND org_id = ?
       AND json_extract(doc, '$.clockIn') < ?
       AND (json_extract(doc, '$.clockOut') IS NULL OR json_extract(doc, '$.clockOut') > ?)`,
  );
  return {
    async statusCounts(orgId) {
      const counts = Object.fromEntries(queryStatuses.map((s) => [s, 0])) as Record<
        QueryStatus,
        number
      >;
      for (const r of byStatus.all(orgId) as Row[]) {
        counts[r.status as QueryStatus] = Number(r.n);
      }
      return { byStatus: counts, waiting: Number((waiting.get(orgId) as Row).n) };
    },
    async *facts(orgId, range, batchSize = 1000) {
      let batch: QueryFacts[] = [];
      // A statement per call: two reports paging at once must not share one cursor.
      for (
        const r of db.prepare(factsSql).iterate({ org: orgId, from: range.from, to: range.to })
      ) {
        batch.push(toFacts(r as Row));
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length) yield batch;
    },
    async historyCounts(orgId, range) {
      const rows = (stmt: typeof assigned) => stmt.all(orgId, range.from, range.to) as Row[];
      return {
        assigned: new Map(rows(assigned).map((r) => [String(r.agent), Number(r.n)])),
        reopened: new Map(rows(reopened).map((r) => [text(r.agent), Number(r.n)])),
      };
    },
    async countBetween(orgId, event, bounds) {
      const col = eventColumns[event];
      const count = prepared(
        db,
        `SELECT count(*) AS n FROM queries WHERE org_id = ? AND ${col} >= ? AND ${col} < ?`,
      );
      // One index range count per interval: cheaper than reading the rows.
      return bounds.slice(1).map((to, i) => Number((count.get(orgId, bounds[i]!, to) as Row).n));
    },
    async createdPage(orgId, range, after, limit) {
      const rows = after
        ? prepared(
          db,
          `SELECT doc FROM queries WHERE org_id = ? AND created_at >= ? AND created_at < ?
             AND (created_at > ? OR id > ?)
           ORDER BY created_at, id LIMIT ?`,
        ).all(orgId, after.createdAt, range.to, after.createdAt, after.id, limit)
        : prepared(
          db,
          `SELECT doc FROM queries WHERE org_id = ? AND created_at >= ? AND created_at < ?
           ORDER BY created_at, id LIMIT ?`,
        ).all(orgId, range.from, range.to, limit);
      return (rows as Row[]).map((r) => toQuery(r));
    },
    async createdCount(orgId, range) {
      const row = prepared(
        db,
        "SELECT count(*) AS n FROM queries WHERE org_id = ? AND created_at >= ? AND created_at < ?",
      ).get(orgId, range.from, range.to) as Row;
      return Number(row.n);
    },
    async shifts(orgId, range) {
      return (shifts.all(orgId, range.to, range.from) as Row[]).map((r): ShiftSpan => ({
        userId: String(r.user_id),
        clockIn: String(r.clock_in),
        clockOut: text(r.clock_out),
      }));
    },
  };
}
