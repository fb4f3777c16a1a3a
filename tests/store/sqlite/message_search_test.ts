import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { openStore } from "@/store/store.ts";
import { migrate } from "@/store/sqlite/db.ts";
import { migrations } from "@/store/sqlite/migrations.ts";
import { searchIndexer } from "@/store/sqlite/messages.ts";
import { aNewMessage } from "@tests/contract/fixtures.ts";

/**
 * The trigram index was half of a message's write under the file's write lock, which every
 * instance on the file waits for: messages are indexed after the write, in batches, and search
 * reads the ones past the index's watermark directly, so it finds a message the moment it is
 * stored, and once.
 */
async function aFile() {
  const dir = await Deno.makeTempDir();
  return { path: join(dir, "chatcrm.db"), remove: () => Deno.remove(dir, { recursive: true }) };
}

const counts = (db: DatabaseSync) => {
  const n = (sql: string) => Number((db.prepare(sql).get() as { n: number }).n);
  return {
    messages: n("SELECT count(*) AS n FROM messages"),
    indexed: n("SELECT count(*) AS n FROM message_search"),
    watermark: n("SELECT indexed_rowid AS n FROM message_search_state"),
    maxRowid: n("SELECT COALESCE(max(rowid), 0) AS n FROM messages"),
  };
};

const search = (text: string, includeNotes = false) => ({ text, roomIds: null, includeNotes });
const page = { page: 1, limit: 50 };

Deno.test("messages.search() finds a message the moment it is stored, before and after it is indexed, once", async () => {
  const file = await aFile();
  const store = await openStore({ kind: "sqlite", path: file.path });
  const other = new DatabaseSync(file.path);
  try {
    await store.messages.append(aNewMessage("r1", "The Printer is on fire"));
    await store.messages.append(aNewMessage("r2", "printer fixed, thanks"));
    await store.messages.append(
      aNewMessage("r2", "printer drivers: internal", { type: "note", senderRole: "Agent" }),
    );
    await store.messages.append(aNewMessage("r3", "nothing to see"));
    // The write did not touch the index.
    assert.deepEqual([counts(other).messages, counts(other).indexed], [4, 0]);

    const before = await store.messages.search("o1", search("PRINTER"), page);
    assert.deepEqual(before.data.map((m) => m.text), [
      "printer fixed, thanks",
      "The Printer is on fire",
    ]);
    assert.equal(before.total, 2);
    assert.equal((await store.messages.search("o1", search("printer", true), page)).total, 3);

    // Another instance's indexer (any connection to the file) indexes what is pending.
    assert.equal(await searchIndexer(other).run(), 4);
    const c = counts(other);
    assert.deepEqual([c.indexed, c.watermark], [4, c.maxRowid]);
    const after = await store.messages.search("o1", search("PRINTER"), page);
    assert.deepEqual(after, before);
    assert.equal((await store.messages.search("o1", search("printer", true), page)).total, 3);
    assert.equal((await store.messages.search("o2", search("printer"), page)).total, 0);

    // Half indexed, half not: newest first across both, each once, paged.
    await store.messages.append(aNewMessage("r1", "printer again"));
    const mixed = await store.messages.search("o1", search("printer"), { page: 1, limit: 2 });
    assert.deepEqual(mixed.data.map((m) => m.text), ["printer again", "printer fixed, thanks"]);
    assert.equal(mixed.total, 3);
    const second = await store.messages.search("o1", search("printer"), { page: 2, limit: 2 });
    assert.deepEqual(second.data.map((m) => m.text), ["The Printer is on fire"]);
  } finally {
    other.close();
    await store.close();
    await file.remove();
  }
});

Deno.test("two instances indexing one file at once index each message once", async () => {
  const file = await aFile();
  const store = await openStore({ kind: "sqlite", path: file.path });
  const a = new DatabaseSync(file.path);
  const b = new DatabaseSync(file.path);
  try {
    for (let i = 0; i < 1200; i++) {
      await store.messages.append(aNewMessage(`r${i % 7}`, `message ${i} about invoices`));
    }
    const [byA, byB] = await Promise.all([searchIndexer(a).run(), searchIndexer(b).run()]);
    assert.equal(byA + byB, 1200);
    const c = counts(a);
    assert.deepEqual([c.messages, c.indexed, c.watermark], [1200, 1200, c.maxRowid]);
    assert.equal((await store.messages.search("o1", search("invoices"), page)).total, 1200);
  } finally {
    a.close();
    b.close();
    await store.close();
    await file.remove();
  }
});

Deno.test("a store indexes its pending messages when it closes, and the next start the rest", async () => {
  const file = await aFile();
  let store = await openStore({ kind: "sqlite", path: file.path });
  for (let i = 0; i < 3; i++) await store.messages.append(aNewMessage("r1", `refund ${i}`));
  await store.close();
  const other = new DatabaseSync(file.path);
  try {
    assert.equal(counts(other).indexed, 3);
    // Messages a process stored without indexing (it died): the next one's start indexes them.
    other.exec(
      "UPDATE message_search_state SET indexed_rowid = 1; DELETE FROM message_search WHERE rowid > 1",
    );
    store = await openStore({ kind: "sqlite", path: file.path });
    assert.equal((await store.messages.search("o1", search("refund"), page)).total, 3);
    store.startBackground?.();
    await store.close();
    const c = counts(other);
    assert.deepEqual([c.indexed, c.watermark], [3, c.maxRowid]);
  } finally {
    other.close();
    await file.remove();
  }
});

Deno.test("the migration to deferred search keeps what the old trigger indexed, once", async () => {
  const file = await aFile();
  const db = new DatabaseSync(file.path);
  try {
    migrate(db, migrations.filter((m) => m.name < "0850"));
    const insert = db.prepare("INSERT INTO messages (id, doc) VALUES (?, ?)");
    for (const text of ["old refund", "old question"]) {
      const m = { ...aNewMessage("r1", text), seq: 1, customerSeq: 1 };
      insert.run(m.id, JSON.stringify({ ...m, roomId: `room-${text}` }));
    }
    const indexed = db.prepare("SELECT count(*) AS n FROM message_search").get() as { n: number };
    assert.equal(Number(indexed.n), 2, "the old trigger indexed on insert");
    migrate(db);
    const c = counts(db);
    assert.deepEqual([c.indexed, c.watermark], [2, c.maxRowid]);
  } finally {
    db.close();
  }
  const store = await openStore({ kind: "sqlite", path: file.path });
  try {
    assert.deepEqual(
      (await store.messages.search("o1", search("old"), page)).data.map((m) => m.text),
      ["old question", "old refund"],
    );
  } finally {
    await store.close();
    await file.remove();
  }
});
