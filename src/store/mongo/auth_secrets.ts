import type { AuthSecret, AuthSecretRepository } from "@/modules/auth/repository.ts";
import type { Document } from "mongodb";
import { collection, type Db, fromStored, toStored } from "./db.ts";

export async function ensureAuthSecretIndexes(db: Db): Promise<void> {
  await db.collection("auth_secrets").createIndex({ kind: 1, hash: 1 }, { unique: true });
  await db.collection("auth_secrets").createIndex({ kind: 1, userId: 1, usedAt: 1, createdAt: -1 });
  await db.collection("auth_secrets").createIndex({ sessionId: 1 });
}

/** Secrets stored before sessions were recorded have no `sessionId`: null, as on SQLite. */
function toSecret(doc: Document): AuthSecret {
  const secret = fromStored<AuthSecret>(doc);
  return { ...secret, sessionId: secret.sessionId ?? null };
}

export function mongoAuthSecretRepository(db: Db): AuthSecretRepository {
  const secrets = collection<AuthSecret>(db, "auth_secrets");
  return {
    async create(s) {
      await secrets.insertOne(toStored(s));
      return structuredClone(s);
    },
    async findByHash(kind, hash) {
      const doc = await secrets.findOne({ kind, hash });
      return doc ? toSecret(doc) : null;
    },
    async latestUnused(kind, userId) {
      const [doc] = await secrets.find({ kind, userId, usedAt: null }).sort({
        createdAt: -1,
        _id: -1,
      }).limit(1).toArray();
      return doc ? toSecret(doc) : null;
    },
    async addAttempt(id) {
      const doc = await secrets.findOneAndUpdate({ _id: id }, { $inc: { attempts: 1 } }, {
        returnDocument: "after",
      });
      return doc ? doc.attempts : 0;
    },
    async consume(id, at) {
      const r = await secrets.updateOne({ _id: id, usedAt: null }, { $set: { usedAt: at } });
      return r.modifiedCount === 1;
    },
    async consumeAll(kind, userId, at, exceptSessionId) {
      await secrets.updateMany(
        exceptSessionId === undefined
          ? { kind, userId, usedAt: null }
          : { kind, userId, usedAt: null, sessionId: { $ne: exceptSessionId } },
        { $set: { usedAt: at } },
      );
    },
    async consumeSession(sessionId, at) {
      await secrets.updateMany({ kind: "refresh", sessionId, usedAt: null }, {
        $set: { usedAt: at },
      });
    },
  };
}
