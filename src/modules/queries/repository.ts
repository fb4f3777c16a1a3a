import type { CustomValue } from "@/modules/users/repository.ts";
import type { PageRequest, PageResult } from "@/store/types.ts";
import type { Priority, Query, QueryHistoryEntry, QuerySource, QueryStatus } from "./model.ts";

export interface QueryFilter {
  statuses?: QueryStatus[];
  priorities?: Priority[];
  /** A user id, or null for unassigned. */
  assignedTo?: string | null;
  customerId?: string;
  source?: QuerySource;
  tag?: string;
  team?: string;
  skill?: string;
  createdFrom?: string;
  createdTo?: string;
  /** Matched case-insensitively against title, description and reference. */
  text?: string;
  breached?: boolean;
  /** Open queries with an SLA target due before this time and not yet breached. */
  dueBefore?: string;
  /** A custom field holding exactly this value. */
  customField?: { key: string; value: CustomValue };
  /** An agent's view: assigned to this user, or waiting and needing one of `skills` (or none). */
  agentView?: { userId: string; skills: string[] };
}

export const querySortFields = ["createdAt", "updatedAt", "priority", "number"] as const;
export type QuerySort = { field: (typeof querySortFields)[number]; order: "asc" | "desc" };

/** What a conditional update expects the stored query to hold; no match → null, no change. */
export interface QueryExpectation {
  statuses?: readonly QueryStatus[];
  /** The current assignee, or null for unassigned. */
  assignedTo?: string | null;
  /** Fields that must still be empty (a breach is marked once, a rating given once). */
  isNull?: readonly NullableQueryField[];
}

export type NullableQueryField =
  | "csat"
  | "firstResponseAt"
  | "firstResponseWarnedAt"
  | "resolutionWarnedAt"
  | "firstResponseBreachedAt"
  | "resolutionBreachedAt";

export type QueryPatch = Partial<Omit<Query, "id" | "organizationId" | "number" | "createdAt">>;

/** Storage of queries; every change is an atomic conditional update. */
export interface QueryRepository {
  create(query: Query): Promise<Query>;
  findById(orgId: string, id: string): Promise<Query | null>;
  /** By its per-organization number (the `Q-000123` reference), in that organization only. */
  findByNumber(orgId: string, number: number): Promise<Query | null>;
  /** The distinct customers of the queries matching the filter (the contacts an agent serves). */
  customerIds(orgId: string, filter: QueryFilter): Promise<string[]>;
  /** Removes a custom field's value from every query of the organization. */
  unsetCustomField(orgId: string, key: string): Promise<number>;
  /** Every query of customer `from` becomes customer `to`'s (a merge); how many moved. */
  moveCustomer(orgId: string, from: string, to: string): Promise<number>;
  /**
   * Replaces what the customer wrote in their queries (title, description, rating comment)
   * with `marker`, keeping numbers, statuses and ratings (an erasure); how many changed.
   */
  eraseCustomer(orgId: string, customerId: string, marker: string): Promise<number>;
  list(
    orgId: string,
    filter: QueryFilter,
    sort: QuerySort,
    page: PageRequest,
  ): Promise<PageResult<Query>>;
  /** Applies the patch only if the query still matches `expect`; the new state, or null. */
  update(
    orgId: string,
    id: string,
    expect: QueryExpectation,
    patch: QueryPatch,
  ): Promise<Query | null>;
  /** Waiting (Open, unassigned) queries in queue order: priority, then age. */
  waiting(orgId: string, limit: number): Promise<Query[]>;
  /** How many waiting queries are ahead of this one in the queue. */
  positionInQueue(orgId: string, query: Query): Promise<number>;
  /**
   * Queries of the organization whose running SLA clock has a target to warn about (due
   * before `warnUntil`, not warned) or to mark breached (due before `now`, not marked).
   */
  slaDue(orgId: string, now: string, warnUntil: string, limit: number): Promise<Query[]>;
  /** Assigned queries of the organization with no first response, assigned before `before`. */
  unansweredSince(orgId: string, before: string, limit: number): Promise<Query[]>;
  /** Active queries of one assignee. */
  activeOf(orgId: string, userId: string): Promise<Query[]>;
}

export interface QueryHistoryRepository {
  append(entry: QueryHistoryEntry): Promise<void>;
  /** Oldest first. */
  list(orgId: string, queryId: string, page: PageRequest): Promise<PageResult<QueryHistoryEntry>>;
}

/** Per-organization sequences (readable ids): atomic, never reused. */
export interface CounterRepository {
  next(orgId: string, name: string): Promise<number>;
}
