import type { Filter } from "mongodb";
import type { AuditEvent, AuditFilter, AuditRepository } from "@/modules/audit/repository.ts";
import { pageOffset, type PageRequest } from "@/store/types.ts";
import { collection, type Db, fromStored, type Stored, toStored } from "./db.ts";

export async function ensureAuditIndexes(db: Db): Promise<void> {
  await db.collection("audit_events").createIndex({ organizationId: 1, at: -1 });
  await db.collection("audit_events").createIndex({ at: -1 });
}

export function mongoAuditRepository(db: Db): AuditRepository {
  const events = collection<AuditEvent>(db, "audit_events");
  async function page(scope: { orgId: string | null } | null, filter: AuditFilter, p: PageRequest) {
    const q: Filter<Stored<AuditEvent>> = {};
    if (scope) q.organizationId = scope.orgId;
    if (filter.action !== undefined) q.action = filter.action;
    if (filter.actorId !== undefined) q.actorId = filter.actorId;
    if (filter.targetId !== undefined) q.targetId = filter.targetId;
    const [docs, total] = await Promise.all([
      events.find(q).sort({ at: -1, _id: -1 }).skip(pageOffset(p)).limit(p.limit).toArray(),
      events.countDocuments(q),
    ]);
    return { data: docs.map((d) => fromStored<AuditEvent>(d)), total };
  }
  return {
    async append(e) {
      await events.insertOne(toStored(e));
    },
    list: (orgId, filter, p) => page({ orgId }, filter, p),
    listAll: (filter, p) => page(null, filter, p),
  };
}
