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
    q.$or = [{ name: literalRegex(filter.text) }, { email: literalRegex(filter.text) }];
  }
  return q;
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
      return doc ? fromStored<User>(doc) : null;
    },
    async findByEmail(orgId, email) {
      const doc = await users.findOne({ organizationId: orgId, email });
      return doc ? fromStored<User>(doc) : null;
    },
    async findAllByEmail(email, { limit, withPassword }) {
      const docs = await users.find({
        email,
        ...(withPassword ? { passwordHash: { $type: "string" } } : {}),
      }).toArray();
      // Latest login first, never-signed-in last: sorted here, since nulls sort first in MongoDB.
      return docs.map((d) => fromStored<User>(d)).sort((a, b) =>
        (b.lastLoginAt ?? "").localeCompare(a.lastLoginAt ?? "") ||
        a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id)
      ).slice(0, limit);
    },
    async list(orgId, filter, page) {
      const q = filterQuery(orgId, filter);
      const [docs, total] = await Promise.all([
        users.find(q).sort({ createdAt: 1, _id: 1 }).skip(pageOffset(page)).limit(page.limit)
          .toArray(),
        users.countDocuments(q),
      ]);
      return { data: docs.map((d) => fromStored<User>(d)), total };
    },
    update(orgId, id, patch, updatedAt) {
      return setAndGet<User>(
        users,
        { _id: id, organizationId: orgId },
        { ...definedOnly(patch), updatedAt },
        `Email "${patch.email}" is already registered`,
      );
    },
  };
}
