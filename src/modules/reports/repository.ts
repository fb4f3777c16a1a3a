import type { Query, QueryStatus } from "@/modules/queries/model.ts";

/** A half-open interval of instants, `[from, to)`, as ISO-8601 UTC strings. */
export interface Range {
  from: string;
  to: string;
}

/** The fields of one query a report reads: its events, its targets and its rating. */
export interface QueryFacts {
  assignedTo: string | null;
  createdAt: string;
  firstResponseAt: string | null;
  resolvedAt: string | null;
  firstResponseDueAt: string | null;
  resolutionDueAt: string | null;
  firstResponseBreachedAt: string | null;
  resolutionBreachedAt: string | null;
  csatRating: number | null;
  csatRatedAt: string | null;
}

/** Counts from the query history over a range, by agent (null: nobody holds the query). */
export interface HistoryCounts {
  /** Assignments (routing, manual assignment or transfer) to each agent. */
  assigned: Map<string, number>;
  /** Reopens (Resolved → In Progress), by the query's current assignee. */
  reopened: Map<string | null, number>;
}

/** One stretch on shift, as the shifts module stores it. */
export interface ShiftSpan {
  userId: string;
  clockIn: string;
  clockOut: string | null;
}

export type CountedEvent = "createdAt" | "resolvedAt";

/** Aggregations over queries, their history and shifts; read-only, one organization each. */
export interface ReportRepository {
  /** How many queries of the organization are in each status now, and how many wait unassigned. */
  statusCounts(orgId: string): Promise<{ byStatus: Record<QueryStatus, number>; waiting: number }>;
  /**
   * Facts of every query with an event in the range (created, first response, resolved, a
   * breach marked, rated), in batches of at most `batchSize`, so memory stays bounded.
   */
  facts(orgId: string, range: Range, batchSize?: number): AsyncIterable<QueryFacts[]>;
  /** Assignments and reopens recorded in the range. */
  historyCounts(orgId: string, range: Range): Promise<HistoryCounts>;
  /**
   * How many queries have this event in each interval between consecutive `bounds` (sorted
   * instants): `bounds.length - 1` counts.
   */
  countBetween(orgId: string, event: CountedEvent, bounds: string[]): Promise<number[]>;
  /**
   * Queries created in the range, oldest first (then by id), after `after` (a keyset cursor,
   * so every page costs the same however deep the export goes).
   */
  createdPage(
    orgId: string,
    range: Range,
    after: { createdAt: string; id: string } | null,
    limit: number,
  ): Promise<Query[]>;
  /** How many queries were created in the range. */
  createdCount(orgId: string, range: Range): Promise<number>;
  /** Shifts overlapping the range (open ones included). */
  shifts(orgId: string, range: Range): Promise<ShiftSpan[]>;
}
