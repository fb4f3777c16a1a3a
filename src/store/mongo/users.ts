import type { User, UserFilter, UserRepository } from "@/modules/users/repository.ts";
import { pageOffset } from "@/store/types.ts";
import type { Filter } from "mongodb";
import {
  collection,
  type Db,
  definedOnly,
  fromStored,
  literalRegex,
  rethrowConflict,
  setAndGet,
  type Stored,
  toStored,
} from "./db.ts";

export async function ensureUserIndexes(db: Db): Promise<void> {
  const users = db.collection("users");
  // Unique per organization; the SuperAdmins (organizationId null) count as one.
  await users.createIndex({ organizationId: 1, email: 1 }, { unique: true });
  await users.createIndex({ email: 1, lastLoginAt: -1 });
  await users.createIndex({ organizationId: 1, role: 1, active: 1 });
}

function filterQuery(orgId: string | null, filter: UserFilter): Filter<Stored<User>> {
  const q: Filter<Stored<User>> = { organizationId: orgId };
  if (filter.roles?.length) q.role = { $in: filter.roles };
  if (filter.active !== undefined) q.active = filter.active;
  if (filter.team !== undefined) q.team = filter.team;
  if (filter.skill !== undefined) q["skills.name"] = filter.skill;
  if (filter.text) {
    const text = literalRegex(filter.text);
    q.$or = [{ name: text }, { email: text }, { phone: text }];
  }
  if (filter.ids) q._id = { $in: filter.ids };
  // Documents from before contacts have no mergedInto at all: null matches those too.
  if (!filter.withMerged) q.mergedInto = null;
  if (filter.label !== undefined) q.labels = filter.label;
  if (filter.customField) {
    q[`customFields.${filter.customField.key}`] = filter.customField.value;
  }
  return q;
}

/** A stored user as the domain sees it; documents from before contacts lack the new fields. */
function toUser(doc: Stored<User> | User): User {
  const user = "_id" in doc ? fromStored<User>(doc) : doc;
  return {
    ...user,
    customFields: user.customFields ?? {},
    labels: user.labels ?? [],
    mergedInto: user.mergedInto ?? null,
  };
}

export function mongoUserRepository(db: Db): UserRepository {
  const users = collection<User>(db, "users");
  return {
    async create(user) {
      try {
        await users.insertOne(toStored(user));
      } catch (err) {
        rethrowConflict(err, `Email "${user.email}" is already registered`);
      }
      return structuredClone(user);
    },
    async findById(orgId, id) {
      const doc = await users.findOne({ _id: id, organizationId: orgId });
      return doc ? toUser(doc) : null;
    },
    async findByEmail(orgId, email) {
      const doc = await users.findOne({ organizationId: orgId, email });
      return doc ? toUser(doc) : null;
    },
    async findAllByEmail(email, { limit, withPassword }) {
      const docs = await users.find({
        email,
        ...(withPassword ? { passwordHash: { $type: "string" } } : {}),
      }).toArray();
      // Latest login first, never-signed-in last: sorted here, since nulls sort first in MongoDB.
      return docs.map((d) => toUser(d)).sort((a, b) =>
        (b.lastLoginAt ?? "").localeCompare(a.lastLoginAt ?? "") ||
        a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id)
      ).slice(0, limit);
    },
    async list(orgId, filter, page, sort = { field: "createdAt", order: "asc" }) {
      const q = filterQuery(orgId, filter);
      const direction = sort.order === "desc" ? -1 : 1;
      const key = sort.field;
      const [docs, total] = await Promise.all([
        users.find(q).sort({ [key]: direction, _id: direction }).skip(pageOffset(page))
          .limit(page.limit).toArray(),
        users.countDocuments(q),
      ]);
      return { data: docs.map((d) => toUser(d)), total };
    },
    async update(orgId, id, patch, updatedAt) {
      const user = await setAndGet<User>(
        users,
        { _id: id, organizationId: orgId },
        { ...definedOnly(patch), updatedAt },
        `Email "${patch.email}" is already registered`,
      );
      return user && toUser(user);
    },
    async mergedSince(since, limit) {
      const docs = await users.find({ mergedInto: { $type: "string" }, updatedAt: { $gte: since } })
        .sort({ updatedAt: 1, _id: 1 }).limit(limit).toArray();
      return docs.map((d) => toUser(d));
    },
    async removeLabel(orgId, labelId) {
      const result = await users.updateMany(
        { organizationId: orgId, labels: labelId },
        { $pull: { labels: labelId } },
      );
      return result.modifiedCount;
    },
    async unsetCustomField(orgId, key) {
      const field = `customFields.${key}`;
      const result = await users.updateMany(
        { organizationId: orgId, [field]: { $exists: true } },
        { $unset: { [field]: "" } },
      );
      return result.modifiedCount;
    },
    async delete(orgId, id) {
      const result = await users.deleteOne({ _id: id, organizationId: orgId });
      return result.deletedCount > 0;
    },
  };
}
