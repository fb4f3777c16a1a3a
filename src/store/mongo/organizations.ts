import type { Organization, OrganizationRepository } from "@/modules/organizations/repository.ts";
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

export async function ensureOrganizationIndexes(db: Db): Promise<void> {
  await db.collection("organizations").createIndex({ slug: 1 }, { unique: true });
}

export function mongoOrganizationRepository(db: Db): OrganizationRepository {
  const orgs = collection<Organization>(db, "organizations");
  return {
    async create(org) {
      try {
        await orgs.insertOne(toStored(org));
      } catch (err) {
        rethrowConflict(err, `Organization slug "${org.slug}" is already taken`);
      }
      return structuredClone(org);
    },
    async findById(id) {
      const doc = await orgs.findOne({ _id: id });
      return doc ? fromStored<Organization>(doc) : null;
    },
    async findBySlug(slug) {
      const doc = await orgs.findOne({ slug });
      return doc ? fromStored<Organization>(doc) : null;
    },
    async list(filter, page) {
      const q: Filter<Stored<Organization>> = {};
      if (filter.active !== undefined) q.active = filter.active;
      if (filter.text) {
        q.$or = [{ name: literalRegex(filter.text) }, { slug: literalRegex(filter.text) }];
      }
      const [docs, total] = await Promise.all([
        orgs.find(q).sort({ createdAt: 1, _id: 1 }).skip(pageOffset(page)).limit(page.limit)
          .toArray(),
        orgs.countDocuments(q),
      ]);
      return { data: docs.map((d) => fromStored<Organization>(d)), total };
    },
    update(id, patch, updatedAt) {
      return setAndGet<Organization>(
        orgs,
        { _id: id },
        { ...definedOnly(patch), updatedAt },
        `Organization slug "${patch.slug}" is already taken`,
      );
    },
  };
}
