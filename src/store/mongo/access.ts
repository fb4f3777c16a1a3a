import type { Filter } from "mongodb";
import type {
  IpRule,
  IpRuleRepository,
  LoginAttempt,
  LoginAttemptRepository,
} from "@/modules/access/repository.ts";
import { pageOffset } from "@/store/types.ts";
import { collection, type Db, fromStored, rethrowConflict, type Stored, toStored } from "./db.ts";

export async function ensureAccessIndexes(db: Db): Promise<void> {
  await db.collection("login_attempts").createIndex({ organizationId: 1, at: -1 });
  await db.collection("ip_rules").createIndex({ organizationId: 1, value: 1 }, { unique: true });
}

export function mongoLoginAttemptRepository(db: Db): LoginAttemptRepository {
  const attempts = collection<LoginAttempt>(db, "login_attempts");
  return {
    async append(a) {
      await attempts.insertOne(toStored(a));
    },
    async list(orgId, filter, p) {
      const q: Filter<Stored<LoginAttempt>> = { organizationId: orgId };
      if (filter.userId !== undefined) q.userId = filter.userId;
      if (filter.outcome !== undefined) q.outcome = filter.outcome;
      const [docs, total] = await Promise.all([
        attempts.find(q).sort({ at: -1, _id: -1 }).skip(pageOffset(p)).limit(p.limit).toArray(),
        attempts.countDocuments(q),
      ]);
      return { data: docs.map((d) => fromStored<LoginAttempt>(d)), total };
    },
  };
}

export function mongoIpRuleRepository(db: Db): IpRuleRepository {
  const rules = collection<IpRule>(db, "ip_rules");
  return {
    async create(rule) {
      try {
        await rules.insertOne(toStored(rule));
      } catch (err) {
        rethrowConflict(err, `"${rule.value}" is already on the allow-list`);
      }
      return structuredClone(rule);
    },
    async list(orgId, p) {
      const q = { organizationId: orgId };
      const [docs, total] = await Promise.all([
        rules.find(q).sort({ createdAt: 1, _id: 1 }).skip(pageOffset(p)).limit(p.limit).toArray(),
        rules.countDocuments(q),
      ]);
      return { data: docs.map((d) => fromStored<IpRule>(d)), total };
    },
    async all(orgId) {
      const docs = await rules.find({ organizationId: orgId }).sort({ createdAt: 1, _id: 1 })
        .toArray();
      return docs.map((d) => fromStored<IpRule>(d));
    },
    async delete(orgId, id) {
      const r = await rules.deleteOne({ _id: id, organizationId: orgId });
      return r.deletedCount === 1;
    },
  };
}
