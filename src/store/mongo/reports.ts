import type { Document } from "mongodb";
import { type Query, type QueryStatus, queryStatuses } from "@/modules/queries/model.ts";
import type {
  CountedEvent,
  QueryFacts,
  Range,
  ReportRepository,
  ShiftSpan,
} from "@/modules/reports/repository.ts";
import { type Db, fromStored } from "./db.ts";

/**
 * Report aggregations in the subset FerretDB v1 runs: `$match`, `$group` with `$sum`, plain
 * finds with projections. Durations and medians are computed by the caller from batches.
 */
export async function ensureReportIndexes(db: Db): Promise<void> {
  const queries = db.collection("queries");
  await queries.createIndex({ organizationId: 1, firstResponseAt: 1 });
  await queries.createIndex({ organizationId: 1, resolvedAt: 1 });
  await db.collection("query_history").createIndex({ organizationId: 1, at: 1 });
}

const factFields = [
  "createdAt",
  "firstResponseAt",
  "resolvedAt",
  "firstResponseBreachedAt",
  "resolutionBreachedAt",
  "csat.ratedAt",
];

const str = (v: unknown) => (typeof v === "string" ? v : null);

function toFacts(d: Document): QueryFacts {
  const csat = d.csat as { rating?: number; ratedAt?: string } | null | undefined;
  return {
    assignedTo: str(d.assignedTo),
    createdAt: String(d.createdAt),
    firstResponseAt: str(d.firstResponseAt),
    resolvedAt: str(d.resolvedAt),
    firstResponseDueAt: str(d.firstResponseDueAt),
    resolutionDueAt: str(d.resolutionDueAt),
    firstResponseBreachedAt: str(d.firstResponseBreachedAt),
    resolutionBreachedAt: str(d.resolutionBreachedAt),
    csatRating: typeof csat?.rating === "number" ? csat.rating : null,
    csatRatedAt: str(csat?.ratedAt),
  };
}

const between = (r: Range) => ({ $gte: r.from, $lt: r.to });

export function mongoReportRepository(db: Db): ReportRepository {
  const queries = db.collection("queries");
  const history = db.collection("query_history");
  return {
    async statusCounts(orgId) {
      const byStatus = Object.fromEntries(queryStatuses.map((s) => [s, 0])) as Record<
        QueryStatus,
        number
      >;
      // One pass (FerretDB scans the collection for every query): by status and assignee.
      const rows = await queries.aggregate<
        { _id: { status: QueryStatus; assignedTo?: string | null }; n: number }
      >([
        { $match: { organizationId: orgId } },
        { $group: { _id: { status: "$status", assignedTo: "$assignedTo" }, n: { $sum: 1 } } },
      ]).toArray();
      let waiting = 0;
      for (const r of rows) {
        byStatus[r._id.status] += r.n;
        if (r._id.status === "Open" && (r._id.assignedTo ?? null) === null) waiting += r.n;
      }
      return { byStatus, waiting };
    },
    async *facts(orgId, range, batchSize = 1000) {
      const cursor = queries.find(
        { organizationId: orgId, $or: factFields.map((f) => ({ [f]: between(range) })) },
        {
          projection: {
            _id: 0,
            assignedTo: 1,
            createdAt: 1,
            firstResponseAt: 1,
            resolvedAt: 1,
            firstResponseDueAt: 1,
            resolutionDueAt: 1,
            firstResponseBreachedAt: 1,
            resolutionBreachedAt: 1,
            csat: 1,
          },
          batchSize,
        },
      );
      let batch: QueryFacts[] = [];
      try {
        for await (const d of cursor) {
          batch.push(toFacts(d));
          if (batch.length >= batchSize) {
            yield batch;
            batch = [];
          }
        }
        if (batch.length) yield batch;
      } finally {
        await cursor.close();
      }
    },
    async historyCounts(orgId, range) {
      // One pass over the range's entries (no $lookup on FerretDB): assignments by agent,
      // reopens by query, then each reopened query's assignee in batches.
      const entries = history.find({
        organizationId: orgId,
        at: between(range),
        $or: [
          {
            action: { $in: ["assigned", "transferred"] },
            field: "assignedTo",
            to: { $type: "string" },
          },
          { action: "status", from: "Resolved", to: "In Progress" },
        ],
      }, { projection: { _id: 0, action: 1, to: 1, queryId: 1 }, batchSize: 5000 });
      const assigned = new Map<string, number>();
      const byQuery = new Map<string, number>();
      for await (const e of entries) {
        const [map, key] = e.action === "status"
          ? [byQuery, String(e.queryId)]
          : [assigned, String(e.to)];
        map.set(key, (map.get(key) ?? 0) + 1);
      }
      const reopened = new Map<string | null, number>();
      const ids = [...byQuery.keys()];
      for (let i = 0; i < ids.length; i += 500) {
        const owners = queries.find(
          { organizationId: orgId, _id: { $in: ids.slice(i, i + 500) } } as Document,
          { projection: { assignedTo: 1 } },
        );
        for await (const d of owners) {
          const agent = str(d.assignedTo);
          reopened.set(agent, (reopened.get(agent) ?? 0) + byQuery.get(String(d._id))!);
        }
      }
      return { assigned, reopened };
    },
    async countBetween(orgId, event: CountedEvent, bounds) {
      const counts = new Array<number>(Math.max(bounds.length - 1, 0)).fill(0);
      if (!counts.length) return counts;
      // One pass over the event times, bucketed here: a count per interval would scan each time.
      const times = queries.find(
        { organizationId: orgId, [event]: between({ from: bounds[0]!, to: bounds.at(-1)! }) },
        { projection: { _id: 0, [event]: 1 }, batchSize: 5000 },
      );
      for await (const d of times) {
        const at = String(d[event]);
        let lo = 0;
        let hi = counts.length - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (bounds[mid]! <= at) lo = mid;
          else hi = mid - 1;
        }
        counts[lo]!++;
      }
      return counts;
    },
    async createdPage(orgId, range, after, limit) {
      const filter: Document = {
        organizationId: orgId,
        createdAt: { $gte: after?.createdAt ?? range.from, $lt: range.to },
      };
      if (after) filter.$or = [{ createdAt: { $gt: after.createdAt } }, { _id: { $gt: after.id } }];
      const docs = await queries.find(filter).sort({ createdAt: 1, _id: 1 }).limit(limit)
        .toArray();
      return docs.map((d) => {
        const { version: _version, ...rest } = d;
        return fromStored<Query>(rest);
      });
    },
    async createdCount(orgId, range) {
      return await queries.countDocuments({ organizationId: orgId, createdAt: between(range) });
    },
    async shifts(orgId, range) {
      const docs = await db.collection("shifts").find({
        organizationId: orgId,
        clockIn: { $lt: range.to },
        $or: [{ clockOut: null }, { clockOut: { $gt: range.from } }],
      }, { projection: { userId: 1, clockIn: 1, clockOut: 1 } }).toArray();
      return docs.map((d): ShiftSpan => ({
        userId: String(d.userId),
        clockIn: String(d.clockIn),
        clockOut: str(d.clockOut),
      }));
    },
  };
}
