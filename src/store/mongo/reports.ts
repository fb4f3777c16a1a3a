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
  const grouped = async (pipeline: Document[]) =>
    await history.aggregate<{ _id: unknown; n: number }>(pipeline).toArray();
  return {
    async statusCounts(orgId) {
      const byStatus = Object.fromEntries(queryStatuses.map((s) => [s, 0])) as Record<
        QueryStatus,
        number
      >;
      const rows = await queries.aggregate<{ _id: QueryStatus; n: number }>([
        { $match: { organizationId: orgId } },
        { $group: { _id: "$status", n: { $sum: 1 } } },
      ]).toArray();
      for (const r of rows) byStatus[r._id] = r.n;
      const waiting = await queries.countDocuments({
        organizationId: orgId,
        status: "Open",
        assignedTo: null,
      });
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
      const assigned = await grouped([
        {
          $match: {
            organizationId: orgId,
            at: between(range),
            action: { $in: ["assigned", "transferred"] },
            field: "assignedTo",
            to: { $type: "string" },
          },
        },
        { $group: { _id: "$to", n: { $sum: 1 } } },
      ]);
      // No $lookup on FerretDB: reopens by query, then each query's assignee in batches.
      const byQuery = await grouped([
        {
          $match: {
            organizationId: orgId,
            at: between(range),
            action: "status",
            from: "Resolved",
            to: "In Progress",
          },
        },
        { $group: { _id: "$queryId", n: { $sum: 1 } } },
      ]);
      const reopened = new Map<string | null, number>();
      for (let i = 0; i < byQuery.length; i += 500) {
        const slice = byQuery.slice(i, i + 500);
        const owners = new Map<unknown, string | null>();
        const docs = queries.find(
          { organizationId: orgId, _id: { $in: slice.map((r) => r._id) } } as Document,
          { projection: { assignedTo: 1 } },
        );
        for await (const d of docs) owners.set(d._id, str(d.assignedTo));
        for (const r of slice) {
          const agent = owners.get(r._id) ?? null;
          reopened.set(agent, (reopened.get(agent) ?? 0) + r.n);
        }
      }
      return {
        assigned: new Map(assigned.map((r) => [String(r._id), r.n])),
        reopened,
      };
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
