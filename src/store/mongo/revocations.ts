import type { Revocation, RevocationRepository } from "@/modules/auth/repository.ts";
import { collection, type Db, fromStored, toStored } from "./db.ts";

export async function ensureRevocationIndexes(db: Db): Promise<void> {
  await db.collection("revocations").createIndex({ userId: 1, expiresAt: 1 });
  await db.collection("revocations").createIndex({ expiresAt: 1 });
}

export function mongoRevocationRepository(db: Db): RevocationRepository {
  const revocations = collection<Revocation>(db, "revocations");
  return {
    async add(r) {
      await revocations.insertOne(toStored(r));
    },
    async forUser(userId, now) {
      const docs = await revocations.find({ userId, expiresAt: { $gt: now } })
        .sort({ at: 1, _id: 1 }).toArray();
      return docs.map((d) => fromStored<Revocation>(d));
    },
    async purge(now) {
      await revocations.deleteMany({ expiresAt: { $lte: now } });
    },
  };
}
