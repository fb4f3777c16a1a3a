import type { Filter } from "mongodb";
import type { Query, QueryHistoryEntry } from "@/modules/queries/model.ts";
import type {
  CounterRepository,
  QueryExpectation,
  QueryFilter,
  QueryHistoryRepository,
  QueryRepository,
  QuerySort,
} from "@/modules/queries/repository.ts";
import { openStatuses, priorityRank } from "@/modules/queries/model.ts";
import { pageOffset } from "@/store/types.ts";
import {
  collection,
  type Db,
  fromStored,
  literalRegex,
  rethrowConflict,
  type Stored,
  toStored,
  versionedUpdate,
} from "./db.ts";

type QueryDoc = Stored<Query> & { version?: number };

/** The query without the adapter's own `version` field. */
function toQuery(doc: QueryDoc): Query {
  const { version: _version, ...rest } = doc;
  const query = fromStored<Query>(rest);
  // Queries stored before custom fields existed have none.
  query.customFields ??= {};
  return query;
}

/** Whether the stored query holds what a conditional update expects. */
function holds(q: QueryDoc, expect: QueryExpectation): boolean {
  if (expect.statuses && !expect.statuses.includes(q.status)) return false;
  if (expect.assignedTo !== undefined && q.assignedTo !== expect.assignedTo) return false;
  for (const field of expect.isNull ?? []) {
    if (q[field] !== null && q[field] !== undefined) return false;
  }
  return true;
}

export async function ensureQueryIndexes(db: Db): Promise<void> {
  const queries = db.collection("queries");
  await queries.createIndex({ organizationId: 1, number: 1 }, { unique: true });
  await queries.createIndex({ organizationId: 1, createdAt: 1 });
  await queries.createIndex({ organizationId: 1, status: 1, createdAt: 1 });
  await queries.createIndex({ organizationId: 1, assignedTo: 1, status: 1 });
  await queries.createIndex({ organizationId: 1, customerId: 1, createdAt: 1 });
  await queries.createIndex({
    organizationId: 1,
    status: 1,
    assignedTo: 1,
    priorityRank: -1,
    createdAt: 1,
  });
  await queries.createIndex({ organizationId: 1, labels: 1 });
  // `?tag=` (older clients): the tagged queries by creation, without reading the others.
  await queries.createIndex({ organizationId: 1, tags: 1, createdAt: 1 });
  await queries.createIndex({ status: 1, firstResponseDueAt: 1 });
  await queries.createIndex({ status: 1, resolutionDueAt: 1 });
  await db.collection("query_history").createIndex({ organizationId: 1, queryId: 1, at: 1 });
  await db.collection("agent_states").createIndex({ organizationId: 1, status: 1, onShift: 1 });
}

const sortFields: Record<QuerySort["field"], string> = {
  createdAt: "createdAt",
  updatedAt: "updatedAt",
  priority: "priorityRank",
  number: "number",
};

function filterQuery(orgId: string, f: QueryFilter): Filter<QueryDoc> {
  const q: Filter<QueryDoc> = { organizationId: orgId };
  const and: Filter<QueryDoc>[] = [];
  if (f.statuses) q.status = { $in: f.statuses };
  if (f.priorities) q.priorityRank = { $in: f.priorities.map((p) => priorityRank[p]) };
  if (f.assignedTo !== undefined) q.assignedTo = f.assignedTo;
  if (f.customerId !== undefined) q.customerId = f.customerId;
  if (f.customField) q[`customFields.${f.customField.key}`] = f.customField.value;
  if (f.source !== undefined) q.source = f.source;
  if (f.team !== undefined) q.team = f.team;
  if (f.skill !== undefined) q.skill = f.skill;
  if (f.tag !== undefined) q.tags = f.tag;
  if (f.label !== undefined) q.labels = f.label;
  if (f.createdFrom !== undefined || f.createdTo !== undefined) {
    q.createdAt = {
      ...(f.createdFrom !== undefined ? { $gte: f.createdFrom } : {}),
      ...(f.createdTo !== undefined ? { $lt: f.createdTo } : {}),
    };
  }
  if (f.breached !== undefined) q.breached = f.breached;
  if (f.dueBefore !== undefined) {
    and.push({ status: { $in: [...openStatuses] } }, {
      $or: [
        {
          firstResponseAt: null,
          firstResponseBreachedAt: null,
          firstResponseDueAt: { $ne: null, $lt: f.dueBefore },
        },
        { resolutionBreachedAt: null, resolutionDueAt: { $ne: null, $lt: f.dueBefore } },
      ],
    });
  }
  if (f.text) {
    const re = literalRegex(f.text);
    and.push({ $or: [{ title: re }, { description: re }, { reference: re }] });
  }
  if (f.agentView) {
    and.push({
      $or: [
        { assignedTo: f.agentView.userId },
        {
          status: "Open",
          assignedTo: null,
          $or: [{ skill: null }, { skill: { $in: f.agentView.skills } }],
        },
      ],
    });
  }
  if (and.length) q.$and = and;
  return q;
}

export function mongoQueryRepository(db: Db): QueryRepository {
  const queries = db.collection<QueryDoc>("queries");
  const many = async (q: Filter<QueryDoc>, sort: Record<string, 1 | -1>, limit: number) =>
    (await queries.find(q).sort(sort).limit(limit).toArray()).map(toQuery);
  return {
    async create(query) {
      try {
        await queries.insertOne(toStored(query));
      } catch (err) {
        rethrowConflict(err, `Query number ${query.number} is already used`);
      }
      return structuredClone(query);
    },
    async findById(orgId, id) {
      const doc = await queries.findOne({ _id: id, organizationId: orgId });
      return doc ? toQuery(doc) : null;
    },
    async findByNumber(orgId, number) {
      const doc = await queries.findOne({ organizationId: orgId, number });
      return doc ? toQuery(doc) : null;
    },
    async customerIds(orgId, filter) {
      return (await queries.distinct("customerId", filterQuery(orgId, filter))).map(String);
    },
    async unsetCustomField(orgId, key) {
      const field = `customFields.${key}`;
      const result = await queries.updateMany(
        { organizationId: orgId, [field]: { $exists: true } },
        { $unset: { [field]: "" } },
      );
      return result.modifiedCount;
    },
    async moveCustomer(orgId, from, to) {
      const result = await queries.updateMany(
        { organizationId: orgId, customerId: from },
        { $set: { customerId: to } },
      );
      return result.modifiedCount;
    },
    async eraseCustomer(orgId, customerId, marker) {
      const mine = { organizationId: orgId, customerId };
      const result = await queries.updateMany(mine, {
        $set: { title: marker, description: marker },
      });
      // A dotted $set needs an object to set into: only rated queries have one.
      await queries.updateMany({ ...mine, csat: { $type: "object" } }, {
        $set: { "csat.comment": null },
      });
      return result.modifiedCount;
    },
    async list(orgId, filter, sort, page) {
      const q = filterQuery(orgId, filter);
      const dir = sort.order === "asc" ? 1 : -1;
      const [docs, total] = await Promise.all([
        queries.find(q).sort({ [sortFields[sort.field]]: dir, createdAt: dir, _id: dir })
          .skip(pageOffset(page)).limit(page.limit).toArray(),
        queries.countDocuments(q),
      ]);
      return { data: docs.map(toQuery), total };
    },
    async update(orgId, id, expect, patch) {
      const doc = await versionedUpdate(
        queries,
        { _id: id, organizationId: orgId },
        (current) => holds(current, expect) ? patch as Partial<QueryDoc> : null,
      );
      return doc ? toQuery(doc) : null;
    },
    waiting(orgId, limit) {
      return many(
        { organizationId: orgId, status: "Open", assignedTo: null },
        { priorityRank: -1, createdAt: 1, _id: 1 },
        limit,
      );
    },
    async positionInQueue(orgId, q) {
      return await queries.countDocuments({
        organizationId: orgId,
        status: "Open",
        assignedTo: null,
        _id: { $ne: q.id },
        $or: [
          { priorityRank: { $gt: q.priorityRank } },
          { priorityRank: q.priorityRank, createdAt: { $lt: q.createdAt } },
          { priorityRank: q.priorityRank, createdAt: q.createdAt, _id: { $lt: q.id } },
        ],
      });
    },
    slaDue(orgId, now, warnUntil, limit) {
      return many(
        {
          organizationId: orgId,
          status: { $in: [...openStatuses] },
          slaPausedAt: null,
          $or: [
            {
              firstResponseAt: null,
              firstResponseWarnedAt: null,
              firstResponseDueAt: { $ne: null, $lt: warnUntil },
            },
            {
              firstResponseAt: null,
              firstResponseBreachedAt: null,
              firstResponseDueAt: { $ne: null, $lt: now },
            },
            { resolutionWarnedAt: null, resolutionDueAt: { $ne: null, $lt: warnUntil } },
            { resolutionBreachedAt: null, resolutionDueAt: { $ne: null, $lt: now } },
          ],
        },
        { createdAt: 1 },
        limit,
      );
    },
    unansweredSince(orgId, before, limit) {
      return many(
        {
          organizationId: orgId,
          status: "Assigned",
          firstResponseAt: null,
          assignedAt: { $ne: null, $lt: before },
        },
        { assignedAt: 1 },
        limit,
      );
    },
    activeOf(orgId, userId) {
      return many(
        { organizationId: orgId, assignedTo: userId, status: { $in: ["Assigned", "In Progress"] } },
        { createdAt: 1 },
        10_000,
      );
    },
    async removeLabel(orgId, labelId) {
      const { modifiedCount } = await queries.updateMany(
        { organizationId: orgId, labels: labelId },
        { $pull: { labels: labelId } },
      );
      return modifiedCount;
    },
  };
}

export function mongoQueryHistoryRepository(db: Db): QueryHistoryRepository {
  const history = collection<QueryHistoryEntry>(db, "query_history");
  return {
    async append(entry) {
      await history.insertOne(toStored(entry));
    },
    async list(orgId, queryId, page) {
      const q = { organizationId: orgId, queryId };
      const [docs, total] = await Promise.all([
        history.find(q).sort({ at: 1, _id: 1 }).skip(pageOffset(page)).limit(page.limit)
          .toArray(),
        history.countDocuments(q),
      ]);
      return { data: docs.map((d) => fromStored<QueryHistoryEntry>(d)), total };
    },
  };
}

export function mongoCounterRepository(db: Db): CounterRepository {
  const counters = db.collection<{ _id: string; value: number; version?: number }>("counters");
  return {
    async next(orgId, name) {
      const _id = `${orgId}:${name}`;
      const increment = () => versionedUpdate(counters, { _id }, (c) => ({ value: c.value + 1 }));
      const doc = await increment();
      if (doc) return doc.value;
      await counters.insertOne({ _id, value: 0 }).catch((err) => {
        if ((err as { code?: number }).code !== 11000) throw err;
      });
      return (await increment())!.value;
    },
  };
}
