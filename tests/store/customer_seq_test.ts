import assert from "node:assert/strict";
import { join } from "node:path";
import { MongoClient } from "mongodb";
import { openStore } from "@/store/store.ts";
import type { Store } from "@/store/store.ts";
import { uuidv7 } from "@/ids.ts";
import type { Message } from "@/modules/chat/repository.ts";
import { skipMongo, startMongo } from "@tests/helpers/mongo.ts";

/** Messages as stored before notes: no `customerSeq`. */
function older(count: number): Omit<Message, "customerSeq">[] {
  return Array.from({ length: count }, (_, i) => {
    const id = uuidv7();
    return {
      id,
      organizationId: "o",
      roomId: "r1",
      seq: i + 1,
      senderId: "u1",
      senderRole: "Customer",
      type: "text",
      text: `old ${i + 1}`,
      fileId: null,
      clientMessageId: id,
      email: null,
      createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    };
  });
}

/** Older messages count as their room seq for customers, and new ones carry on from there. */
async function assertContinued(store: Store) {
  const seen = await store.messages.list("o", "r1", { afterSeq: 1, limit: 10, customer: true });
  assert.deepEqual(seen.map((m) => [m.seq, m.customerSeq]), [[2, 2], [3, 3]]);
  const base = { organizationId: "o", roomId: "r1", senderId: "a1", senderRole: "Agent" as const };
  const fields = { fileId: null, email: null, createdAt: new Date().toISOString() };
  const note = await store.messages.append({
    ...base,
    ...fields,
    id: uuidv7(),
    type: "note",
    text: "n",
    clientMessageId: "n1",
  });
  const next = await store.messages.append({
    ...base,
    ...fields,
    id: uuidv7(),
    type: "text",
    text: "t",
    clientMessageId: "t1",
  });
  assert.deepEqual([note.seq, note.customerSeq, next.seq, next.customerSeq], [4, 3, 5, 4]);
  assert.equal((await store.messages.last("o", "r1", { customer: true }))?.customerSeq, 4);
}

Deno.test("SQLite: messages stored before notes have their seq as their customer seq", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chatcrm-cseq-" });
  try {
    const store = await openStore({ kind: "sqlite", path: join(dir, "t.db") });
    try {
      // Written as the previous version wrote them (without customerSeq).
      for (const m of older(3)) await store.messages.insert(m as Message);
      await assertContinued(store);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "MongoDB: the adapter's start gives older messages their customer seq",
  ignore: skipMongo,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const mongo = await startMongo();
    const client = new MongoClient(mongo.uri);
    try {
      await client.connect();
      await client.db(mongo.db).collection("messages").insertMany(
        older(3).map(({ id, ...m }) => ({ _id: id, ...m })) as unknown as Record<string, unknown>[],
      );
      const store = await openStore({ kind: "mongo", uri: mongo.uri, db: mongo.db });
      try {
        const raw = await client.db(mongo.db).collection("messages").find({}).toArray();
        assert.deepEqual(raw.map((d) => d.customerSeq), [1, 2, 3], "stored, not only mapped");
        await assertContinued(store);
      } finally {
        await store.close();
      }
    } finally {
      await client.close();
      await mongo.stop();
    }
  },
});
