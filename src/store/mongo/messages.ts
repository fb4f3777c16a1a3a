import type { Filter } from "mongodb";
import type { Message, MessageRepository } from "@/modules/chat/repository.ts";
import { collection, type Db, fromStored, rethrowConflict, type Stored, toStored } from "./db.ts";

export async function ensureMessageIndexes(db: Db): Promise<void> {
  const messages = db.collection("messages");
  await messages.createIndex({ roomId: 1, seq: 1 }, { unique: true });
  await messages.createIndex({ roomId: 1, senderId: 1, clientMessageId: 1 }, { unique: true });
}

export function mongoMessageRepository(db: Db): MessageRepository {
  const messages = collection<Message>(db, "messages");
  const one = (doc: Stored<Message> | null) => doc ? fromStored<Message>(doc) : null;
  return {
    async insert(message) {
      try {
        await messages.insertOne(toStored(message));
      } catch (err) {
        rethrowConflict(err, `Message ${message.clientMessageId} is already stored`);
      }
      return structuredClone(message);
    },
    async findByClientId(orgId, roomId, senderId, clientMessageId) {
      return one(
        await messages.findOne({ organizationId: orgId, roomId, senderId, clientMessageId }),
      );
    },
    async findById(orgId, id) {
      return one(await messages.findOne({ _id: id, organizationId: orgId }));
    },
    async list(orgId, roomId, range) {
      const q: Filter<Stored<Message>> = { organizationId: orgId, roomId };
      if (range.afterSeq !== undefined || range.beforeSeq !== undefined) {
        q.seq = {
          ...(range.afterSeq !== undefined ? { $gt: range.afterSeq } : {}),
          ...(range.beforeSeq !== undefined ? { $lt: range.beforeSeq } : {}),
        };
      }
      const latest = range.afterSeq === undefined;
      const docs = await messages.find(q).sort({ seq: latest ? -1 : 1 }).limit(range.limit)
        .toArray();
      const list = docs.map((d) => fromStored<Message>(d));
      return latest ? list.reverse() : list;
    },
    async last(orgId, roomId) {
      const [doc] = await messages.find({ organizationId: orgId, roomId }).sort({ seq: -1 })
        .limit(1).toArray();
      return one(doc ?? null);
    },
    async setEmail(orgId, id, email) {
      return one(
        await messages.findOneAndUpdate({ _id: id, organizationId: orgId }, { $set: { email } }, {
          returnDocument: "after",
        }),
      );
    },
  };
}
