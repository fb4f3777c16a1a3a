import { pageOffset } from "@/store/types.ts";
import type { Filter } from "mongodb";
import { ConflictError } from "@/errors.ts";
import {
  type Audience,
  isNote,
  type Message,
  type MessageRepository,
  type RoomRead,
  roomReadId,
  searchCap,
} from "@/modules/chat/repository.ts";
import {
  collection,
  type Db,
  fromStored,
  isDuplicateKey,
  literalRegex,
  rethrowConflict,
  type Stored,
  toStored,
} from "./db.ts";
import { mongoDocuments } from "./documents.ts";

/** Inserts tried when other writers keep taking the room's next seq first. */
const appendAttempts = 50;

export async function ensureMessageIndexes(db: Db): Promise<void> {
  const messages = db.collection("messages");
  await messages.createIndex({ roomId: 1, seq: 1 }, { unique: true });
  await messages.createIndex({ roomId: 1, senderId: 1, clientMessageId: 1 }, { unique: true });
  await messages.createIndex({ roomId: 1, customerSeq: 1 });
  await messages.createIndex({ organizationId: 1, senderId: 1 });
}

/**
 * Messages stored before notes existed have no `customerSeq`; theirs is their room seq (no note
 * came before them). Written in batches by the migration `0800_customer_seqs`, so range reads on
 * it find them.
 */
export async function backfillCustomerSeqs(db: Db): Promise<void> {
  const messages = db.collection<{ _id: string; seq: number }>("messages");
  for (;;) {
    const batch = await messages.find({ customerSeq: { $exists: false } })
      .project<{ _id: string; seq: number }>({ seq: 1 }).limit(500).toArray();
    if (batch.length === 0) return;
    await messages.bulkWrite(batch.map((m) => ({
      updateOne: { filter: { _id: m._id }, update: { $set: { customerSeq: m.seq } } },
    })));
  }
}

/** What a customer sees: every message but the notes. */
const visibleTo = (audience: Audience): Filter<Stored<Message>> =>
  audience.customer ? { type: { $ne: "note" as const } } : {};

export function mongoMessageRepository(db: Db): MessageRepository {
  const messages = collection<Message>(db, "messages");
  const reads = mongoDocuments<RoomRead>(db, "room_reads");
  const one = (doc: Stored<Message> | null) => doc ? toMessage(doc) : null;
  const conflict = (m: Omit<Message, "seq" | "customerSeq">) =>
    `Message ${m.clientMessageId} is already stored`;

  async function insert(message: Message): Promise<Message> {
    try {
      await messages.insertOne(toStored(message));
    } catch (err) {
      rethrowConflict(err, conflict(message));
    }
    return structuredClone(message);
  }

  /** Raises a member's read position by compare-and-set; never lowers it. */
  async function raiseRead(read: RoomRead): Promise<{ read: RoomRead; raised: boolean }> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const current = await reads.get(read.organizationId, read.id);
      if (current && current.seq >= read.seq) return { read: current, raised: false };
      const done = current
        ? await reads.update(read.organizationId, read.id, { seq: read.seq, at: read.at }, {
          seq: current.seq,
        })
        : await reads.insert(read).catch((err) => {
          // Another writer made the position first: compare again on the next turn.
          if (err instanceof ConflictError) return null;
          throw err;
        });
      if (done) return { read: done, raised: true };
    }
    throw new ConflictError("Read position changed meanwhile; retry");
  }

  async function last(orgId: string, roomId: string, audience: Audience = {}) {
    const [doc] = await messages.find({ organizationId: orgId, roomId, ...visibleTo(audience) })
      .sort({ seq: -1 }).limit(1).toArray();
    return one(doc ?? null);
  }

  return {
    async append(message, options = {}) {
      const { organizationId, roomId, senderId, clientMessageId } = message;
      // The seq is taken by the insert itself: the room's last + 1, kept unique by the
      // (roomId, seq) index. There is no counter to move first, so neither a repeat racing its
      // original nor an instance dying half-way leaves a gap (FerretDB has no transactions).
      // The customer seq follows from the predecessor, which the unique seq makes exactly `last`.
      const next = (prev: Message | null) => ({
        seq: (prev?.seq ?? 0) + 1,
        customerSeq: (prev?.customerSeq ?? 0) + (isNote(message) ? 0 : 1),
      });
      let { seq, customerSeq } = next(await last(organizationId, roomId));
      for (let attempt = 0;; attempt++) {
        try {
          await messages.insertOne(toStored({ ...message, seq, customerSeq }));
          break;
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
          if (await messages.findOne({ roomId, senderId, clientMessageId })) {
            throw new ConflictError(conflict(message));
          }
          if (attempt >= appendAttempts) {
            throw new ConflictError(`Room ${roomId} is too busy right now; retry`);
          }
          ({ seq, customerSeq } = next(await last(organizationId, roomId)));
        }
      }
      const stored: Message = { ...message, seq, customerSeq };
      if (options.markRead) {
        await raiseRead({
          id: roomReadId(roomId, senderId),
          organizationId,
          roomId,
          userId: senderId,
          seq,
          customerSeq,
          at: message.createdAt,
        });
      }
      return stored;
    },
    insert,
    async findByClientId(orgId, roomId, senderId, clientMessageId) {
      return one(
        await messages.findOne({ organizationId: orgId, roomId, senderId, clientMessageId }),
      );
    },
    async findById(orgId, id) {
      return one(await messages.findOne({ _id: id, organizationId: orgId }));
    },
    async list(orgId, roomId, range) {
      const q: Filter<Stored<Message>> = { organizationId: orgId, roomId, ...visibleTo(range) };
      const field = range.customer ? "customerSeq" : "seq";
      if (range.afterSeq !== undefined || range.beforeSeq !== undefined) {
        q[field] = {
          ...(range.afterSeq !== undefined ? { $gt: range.afterSeq } : {}),
          ...(range.beforeSeq !== undefined ? { $lt: range.beforeSeq } : {}),
        };
      }
      const latest = range.afterSeq === undefined;
      const docs = await messages.find(q).sort({ seq: latest ? -1 : 1 }).limit(range.limit)
        .toArray();
      const list = docs.map(toMessage);
      return latest ? list.reverse() : list;
    },
    last,
    raiseRead,
    async lastOf(orgId, roomIds, audience = {}) {
      // One query per room, all in flight at once: the subset of MongoDB that FerretDB runs has
      // no $max accumulator to pick each room's last in one aggregation.
      const found = await Promise.all(roomIds.map((roomId) => last(orgId, roomId, audience)));
      return found.filter((m): m is Message => m !== null);
    },
    async setEmail(orgId, id, email) {
      return one(
        await messages.findOneAndUpdate({ _id: id, organizationId: orgId }, { $set: { email } }, {
          returnDocument: "after",
        }),
      );
    },
    async listInRooms(orgId, roomIds, page) {
      const q: Filter<Stored<Message>> = { organizationId: orgId, roomId: { $in: roomIds } };
      const [docs, total] = await Promise.all([
        messages.find(q).sort({ createdAt: -1, _id: -1 }).skip(pageOffset(page))
          .limit(page.limit).toArray(),
        messages.countDocuments(q),
      ]);
      return { data: docs.map(toMessage), total };
    },
    async search(orgId, query, page) {
      // A case-insensitive regular expression: the form FerretDB v1 accepts (it has no $text).
      const q: Filter<Stored<Message>> = {
        organizationId: orgId,
        text: literalRegex(query.text),
        ...(query.roomIds ? { roomId: { $in: query.roomIds } } : {}),
        ...(query.includeNotes ? {} : { type: { $ne: "note" } }),
      };
      const [docs, total] = await Promise.all([
        messages.find(q).sort({ createdAt: -1, _id: -1 }).skip(pageOffset(page))
          .limit(page.limit).toArray(),
        messages.countDocuments(q),
      ]);
      return { data: docs.map(toMessage), total: Math.min(total, searchCap) };
    },
    async moveSender(orgId, from, to) {
      const result = await messages.updateMany(
        { organizationId: orgId, senderId: from },
        { $set: { senderId: to } },
      );
      return result.modifiedCount;
    },
    async eraseSender(orgId, senderId, marker) {
      const result = await messages.updateMany(
        { organizationId: orgId, senderId },
        { $set: { text: marker, fileId: null } },
      );
      return result.modifiedCount;
    },
  };
}

/** A stored message; one from before notes existed has its room seq as its customer seq. */
function toMessage(doc: Stored<Message>): Message {
  const message = fromStored<Message>(doc);
  message.customerSeq ??= message.seq;
  return message;
}
