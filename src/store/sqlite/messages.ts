import {
  isNote,
  type Message,
  type MessageRepository,
  type RoomRead,
  roomReadId,
  searchCap,
} from "@/modules/chat/repository.ts";
import { ConflictError } from "@/errors.ts";
import {
  type Db,
  ifUnlocked,
  likePattern,
  prepared,
  rethrowConflict,
  type Row,
  writing,
} from "./db.ts";
import { pageOffset } from "@/store/types.ts";
import { docOf, jsonSet, Where } from "./docs.ts";

export function sqliteMessageRepository(db: Db): MessageRepository {
  const byClientId = db.prepare(
    `SELECT doc FROM messages
     WHERE room_id = ? AND sender_id = ? AND client_message_id = ? AND org_id = ?`,
  );
  const insert = db.prepare("INSERT INTO messages (id, doc) VALUES (?, ?)");
  // The room's last seq, from the (room_id, seq) index: under the write lock of the
  // transaction, one more is the next (messages are never deleted, so none is reused).
  const lastSeq = db.prepare(
    "SELECT seq, customer_seq FROM messages WHERE room_id = ? ORDER BY seq DESC LIMIT 1",
  );
  // The `room_reads` document (in its own table, migration 0860), raised and never lowered.
  const raiseRead = db.prepare(
    `INSERT INTO room_reads (collection, id, org_id, doc) VALUES ('room_reads', ?, ?, ?)
     ON CONFLICT (collection, id) DO UPDATE SET doc = excluded.doc
     WHERE room_reads.org_id = excluded.org_id
       AND json_extract(room_reads.doc, '$.seq') < json_extract(excluded.doc, '$.seq')`,
  );
  const readOf = db.prepare(
    "SELECT doc FROM room_reads WHERE collection = 'room_reads' AND id = ? AND org_id = ?",
  );
  const one = (row: unknown) => row ? toMessage(row as Row) : null;
  /** Only what a customer sees: no notes (`type` and `customer_seq` are columns of 0800). */
  const visible = "type IS NOT 'note'";
  return {
    async append(message, options = {}) {
      const { id, organizationId, roomId, ...rest } = message;
      try {
        // One transaction, one commit: the seq, the message and the read position; a refused
        // message takes no seq.
        return await writing(db, () => {
          const last = lastSeq.get(roomId) as Row | undefined;
          const seq = Number(last?.seq ?? 0) + 1;
          const customerSeq = Number(last?.customer_seq ?? 0) + (isNote(message) ? 0 : 1);
          const stored: Message = { ...rest, id, organizationId, roomId, seq, customerSeq };
          insert.run(id, JSON.stringify(stored));
          if (options.markRead) {
            const read: RoomRead = {
              id: roomReadId(roomId, message.senderId),
              organizationId,
              roomId,
              userId: message.senderId,
              seq,
              customerSeq,
              at: message.createdAt,
            };
            raiseRead.run(read.id, organizationId, JSON.stringify(read));
          }
          return stored;
        });
      } catch (err) {
        rethrowConflict(err, `Message ${message.clientMessageId} is already stored`);
      }
    },
    async raiseRead(read) {
      const { changes } = await writing(
        db,
        () => raiseRead.run(read.id, read.organizationId, JSON.stringify(read)),
      );
      // A read position is flat: a copy of its fields is a copy of it.
      if (Number(changes) > 0) return { read: { ...read }, raised: true };
      const current = readOf.get(read.id, read.organizationId) as Row | undefined;
      // Only another organization's document of the same id could refuse the write.
      if (!current) throw new ConflictError(`Read position ${read.id} belongs elsewhere`);
      return { read: docOf<RoomRead>(current), raised: false };
    },
    async insert(message) {
      try {
        insert.run(message.id, JSON.stringify(message));
      } catch (err) {
        rethrowConflict(err, `Message ${message.clientMessageId} is already stored`);
      }
      return structuredClone(message);
    },
    async findByClientId(orgId, roomId, senderId, clientMessageId) {
      return one(byClientId.get(roomId, senderId, clientMessageId, orgId));
    },
    async findById(orgId, id) {
      return one(
        prepared(db, "SELECT doc FROM messages WHERE id = ? AND org_id = ?").get(id, orgId),
      );
    },
    async list(orgId, roomId, range) {
      const w = new Where().add("org_id = ?", orgId).add("room_id = ?", roomId);
      const col = range.customer ? "customer_seq" : "seq";
      if (range.customer) w.add(visible);
      if (range.afterSeq !== undefined) w.add(`${col} > ?`, range.afterSeq);
      if (range.beforeSeq !== undefined) w.add(`${col} < ?`, range.beforeSeq);
      // Before a seq means the latest ones below it: take them descending, then turn around.
      const latest = range.afterSeq === undefined;
      const rows = prepared(
        db,
        `SELECT doc FROM messages WHERE ${w.sql} ORDER BY ${col} ${
          latest ? "DESC" : "ASC"
        } LIMIT ?`,
      ).all(...w.args, range.limit) as Row[];
      const messages = rows.map(toMessage);
      return latest ? messages.reverse() : messages;
    },
    async last(orgId, roomId, audience = {}) {
      return one(
        prepared(
          db,
          `SELECT doc FROM messages WHERE org_id = ? AND room_id = ?${
            audience.customer ? ` AND ${visible}` : ""
          } ORDER BY seq DESC LIMIT 1`,
        ).get(orgId, roomId),
      );
    },
    async lastOf(orgId, roomIds, audience = {}) {
      if (roomIds.length === 0) return [];
      // One statement; for each room, a backward step on the (room_id, seq) index, like `last`.
      const rows = prepared(
        db,
        "SELECT (SELECT doc FROM messages WHERE room_id = r.value AND org_id = ? " +
          `${audience.customer ? `AND ${visible} ` : ""}` +
          "ORDER BY seq DESC LIMIT 1) AS doc FROM json_each(?) AS r",
      ).all(orgId, JSON.stringify(roomIds)) as Row[];
      return rows.filter((r) => r.doc !== null).map(toMessage);
    },
    async setEmail(orgId, id, email) {
      const set = jsonSet({ email });
      return one(
        prepared(
          db,
          `UPDATE messages SET doc = ${set.sql} WHERE id = ? AND org_id = ? RETURNING doc`,
        )
          .get(...set.values, id, orgId),
      );
    },
    async listInRooms(orgId, roomIds, page) {
      if (roomIds.length === 0) return { data: [], total: 0 };
      const where = "org_id = ? AND room_id IN (SELECT value FROM json_each(?))";
      const args = [orgId, JSON.stringify(roomIds)];
      const total = prepared(db, `SELECT count(*) AS n FROM messages WHERE ${where}`).get(
        ...args,
      ) as Row;
      const rows = prepared(
        db,
        `SELECT doc FROM messages WHERE ${where}
         ORDER BY json_extract(doc, '$.createdAt') DESC, id DESC LIMIT ? OFFSET ?`,
      ).all(...args, page.limit, pageOffset(page)) as Row[];
      return { data: rows.map((r) => docOf<Message>(r)), total: Number(total.n) };
    },
    async search(orgId, query, page) {
      if (query.roomIds?.length === 0) return { data: [], total: 0 };
      const notes = query.includeNotes ? "" : "AND json_extract(doc, '$.type') IS NOT 'note'";
      if (query.roomIds) {
        // A few rooms (an agent's): their messages by the room index, the text matched on each.
        const where = `org_id = ? AND room_id IN (SELECT value FROM json_each(?)) ${notes}
          AND json_extract(doc, '$.text') LIKE ? ESCAPE '\\'`;
        const args = [orgId, JSON.stringify(query.roomIds), likePattern(query.text)];
        const total = prepared(
          db,
          `SELECT count(*) AS n FROM (
             SELECT 1 FROM messages INDEXED BY messages_room_seq WHERE ${where} LIMIT ${searchCap}
           )`,
        ).get(...args) as Row;
        const rows = prepared(
          db,
          // The room index, not a backwards walk of every message for the newest first.
          `SELECT doc FROM messages INDEXED BY messages_room_seq WHERE ${where}
           ORDER BY rowid DESC LIMIT ? OFFSET ?`,
        ).all(...args, page.limit, pageOffset(page)) as Row[];
        return { data: rows.map(toMessage), total: Number(total.n) };
      }
      // The organization: a trigram phrase finds the text anywhere in a message, any case, in
      // what is indexed; the few messages past the index's watermark are matched one by one.
      const phrase = `"${query.text.replaceAll('"', '""')}"`;
      const found = `SELECT m.rowid AS r, m.doc AS doc
          FROM message_search s JOIN messages m ON m.rowid = s.rowid
          WHERE message_search MATCH ? AND s.org_id = ?${
        query.includeNotes ? "" : " AND s.note = 0"
      }
        UNION ALL
        SELECT rowid AS r, doc FROM messages
          WHERE rowid > (SELECT indexed_rowid FROM message_search_state) AND org_id = ? ${notes}
            AND json_extract(doc, '$.text') LIKE ? ESCAPE '\\'`;
      const args = [phrase, orgId, orgId, likePattern(query.text)];
      const total = prepared(
        db,
        `SELECT count(*) AS n FROM (SELECT 1 FROM (${found}) LIMIT ${searchCap})`,
      ).get(...args) as Row;
      const rows = prepared(db, `SELECT doc FROM (${found}) ORDER BY r DESC LIMIT ? OFFSET ?`)
        .all(...args, page.limit, pageOffset(page)) as Row[];
      return { data: rows.map(toMessage), total: Number(total.n) };
    },
    async moveSender(orgId, from, to) {
      const { changes } = prepared(
        db,
        "UPDATE messages SET doc = json_set(doc, '$.senderId', ?) WHERE org_id = ? AND sender_id = ?",
      ).run(to, orgId, from);
      return Number(changes);
    },
    async eraseSender(orgId, senderId, marker) {
      const { changes } = prepared(
        db,
        `UPDATE messages SET doc = json_set(doc, '$.text', ?, '$.fileId', json('null'))
         WHERE org_id = ? AND sender_id = ?`,
      ).run(marker, orgId, senderId);
      return Number(changes);
    },
  };
}

/** Messages indexed in one transaction at most, so that the write lock is held briefly. */
const indexBatch = 500;

/**
 * The message search index, kept after the writes: messages past the watermark are added in
 * batches, under the write lock, the watermark moving in the same transaction, so that two
 * instances on one file never index a message twice. Until then `search` reads them directly.
 */
export function searchIndexer(db: Db) {
  const upTo = db.prepare(
    `SELECT max(r) AS hi FROM (SELECT rowid AS r FROM messages
       WHERE rowid > (SELECT indexed_rowid FROM message_search_state) ORDER BY rowid LIMIT ?)`,
  );
  const index = db.prepare(
    `INSERT INTO message_search (rowid, body, org_id, room_id, note)
       SELECT rowid, json_extract(doc, '$.text'), org_id, room_id, json_extract(doc, '$.type') IS 'note'
       FROM messages
       WHERE rowid > (SELECT indexed_rowid FROM message_search_state) AND rowid <= ?`,
  );
  const move = db.prepare("UPDATE message_search_state SET indexed_rowid = ? WHERE id = 1");
  /** One batch: how many messages it indexed. */
  const batch = () => {
    const { hi } = upTo.get(indexBatch) as { hi: number | bigint | null };
    if (hi === null) return 0;
    const { changes } = index.run(hi);
    move.run(hi);
    return Number(changes);
  };
  return {
    /** Indexes what is pending, batch after batch, waiting for the lock without the thread. */
    async run(): Promise<number> {
      let total = 0;
      let n: number;
      do {
        n = await writing(db, batch);
        total += n;
      } while (n === indexBatch);
      return total;
    },
    /** One batch now if the lock is free (at close); the next start indexes the rest. */
    runIfUnlocked(): number {
      return ifUnlocked(db, batch) ?? 0;
    },
  };
}

/**
 * Runs the indexer `delayMs` after the first write that asks (`soon`), so that the messages of
 * that time go into the index together. A failure is logged, never thrown: search still finds
 * what is not indexed, only more slowly.
 */
export function searchIndexing(db: Db, delayMs = 200) {
  const indexer = searchIndexer(db);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const failed = (err: unknown) =>
    console.error(JSON.stringify({
      level: "warn",
      msg: "message search indexing failed",
      error: String(err),
    }));
  return {
    soon() {
      if (timer !== undefined) return;
      timer = setTimeout(() => {
        timer = undefined;
        if (db.isOpen) indexer.run().catch(failed);
      }, delayMs);
      Deno.unrefTimer(timer);
    },
    /** Indexes what an earlier process left (at start). */
    catchUp: () => indexer.run().catch(failed),
    stop() {
      clearTimeout(timer);
      timer = undefined;
      try {
        if (db.isOpen) indexer.runIfUnlocked();
      } catch (err) {
        failed(err);
      }
    },
  };
}

/** A stored message; one stored before notes existed has its room seq as its customer seq. */
function toMessage(row: Row): Message {
  const message = docOf<Message>(row);
  message.customerSeq ??= message.seq;
  return message;
}
