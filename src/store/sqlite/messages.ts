import type { Message, MessageRepository } from "@/modules/chat/repository.ts";
import { type Db, rethrowConflict, type Row } from "./db.ts";
import { docOf, jsonSet, Where } from "./docs.ts";

export function sqliteMessageRepository(db: Db): MessageRepository {
  const byClientId = db.prepare(
    `SELECT doc FROM messages
     WHERE room_id = ? AND sender_id = ? AND client_message_id = ? AND org_id = ?`,
  );
  const insert = db.prepare("INSERT INTO messages (id, doc) VALUES (?, ?)");
  const one = (row: unknown) => row ? docOf<Message>(row as Row) : null;
  return {
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
      return one(db.prepare("SELECT doc FROM messages WHERE id = ? AND org_id = ?").get(id, orgId));
    },
    async list(orgId, roomId, range) {
      const w = new Where().add("org_id = ?", orgId).add("room_id = ?", roomId);
      if (range.afterSeq !== undefined) w.add("seq > ?", range.afterSeq);
      if (range.beforeSeq !== undefined) w.add("seq < ?", range.beforeSeq);
      // Before a seq means the latest ones below it: take them descending, then turn around.
      const latest = range.afterSeq === undefined;
      const rows = db.prepare(
        `SELECT doc FROM messages WHERE ${w.sql} ORDER BY seq ${latest ? "DESC" : "ASC"} LIMIT ?`,
      ).all(...w.args, range.limit) as Row[];
      const messages = rows.map((r) => docOf<Message>(r));
      return latest ? messages.reverse() : messages;
    },
    async last(orgId, roomId) {
      return one(
        db.prepare(
          "SELECT doc FROM messages WHERE org_id = ? AND room_id = ? ORDER BY seq DESC LIMIT 1",
        ).get(orgId, roomId),
      );
    },
    async setEmail(orgId, id, email) {
      const set = jsonSet({ email });
      return one(
        db.prepare(`UPDATE messages SET doc = ${set.sql} WHERE id = ? AND org_id = ? RETURNING doc`)
          .get(...set.values, id, orgId),
      );
    },
  };
}
