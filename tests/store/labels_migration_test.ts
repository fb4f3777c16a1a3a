import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { MongoClient } from "mongodb";
import { migrations } from "@/store/sqlite/migrations.ts";
import { openStore } from "@/store/store.ts";
import type { Store } from "@/store/store.ts";
import { skipMongo, startMongo } from "@tests/helpers/mongo.ts";
import { aQuery } from "@tests/contract/fixtures.ts";
import type { Query } from "@/modules/queries/model.ts";

/** Queries as stored before labels: tags only, no `labels` field. */
function before(): Omit<Query, "labels">[] {
  const strip = ({ labels: _l, ...q }: Query) => q;
  return [
    strip(aQuery("org-a", { tags: ["VIP", "billing"] })),
    strip(aQuery("org-a", { tags: ["vip"] })),
    strip(aQuery("org-a", { tags: [] })),
    strip(aQuery("org-b", { tags: ["vip"] })),
  ];
}

/** Every tag kept: each query's labels, by name, are its tags (one label per name and case). */
async function assertMigrated(store: Store, old: Omit<Query, "labels">[]) {
  const all = { page: 1, limit: 100 };
  const a = await store.labels.list("org-a", all);
  assert.deepEqual(a.data.map((l) => l.name.toLowerCase()), ["billing", "vip"]);
  const b = await store.labels.list("org-b", all);
  assert.deepEqual(b.data.map((l) => l.name), ["vip"]);
  assert.notEqual(b.data[0]!.id, a.data[1]!.id, "each organization has its own");
  for (const q of old) {
    const now = (await store.queries.findById(q.organizationId, q.id))!;
    const names = (await store.labels.getMany(q.organizationId, now.labels))
      .map((l) => l.name.toLowerCase()).sort();
    assert.deepEqual(names, [...new Set(q.tags.map((t) => t.toLowerCase()))].sort(), q.id);
    assert.deepEqual(now.tags, q.tags, "the tags themselves stay");
  }
  const vip = a.data[1]!;
  const tagged = await store.queries.list("org-a", { label: vip.id }, {
    field: "createdAt",
    order: "asc",
  }, all);
  assert.deepEqual(tagged.data.map((q) => q.id), [old[0]!.id, old[1]!.id]);
}

Deno.test("0800_labels on SQLite: today's query tags become labels, every value kept", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chatcrm-labels-" });
  try {
    const path = join(dir, "old.db");
    const db = new DatabaseSync(path);
    db.exec("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)");
    // A file from before labels: the migrations before 0800_labels, and none after it.
    for (const m of [...migrations].sort((x, y) => x.name.localeCompare(y.name))) {
      if (m.name.localeCompare("0800_labels") >= 0) break;
      db.exec(m.sql);
      db.prepare("INSERT INTO schema_migrations VALUES (?, ?)").run(m.name, "2026-01-01");
    }
    const old = before();
    for (const q of old) {
      db.prepare("INSERT INTO queries (id, doc) VALUES (?, ?)").run(q.id, JSON.stringify(q));
    }
    db.close();
    const store = await openStore({ kind: "sqlite", path });
    try {
      await assertMigrated(store, old);
      const label = (await store.labels.list("org-a", { page: 1, limit: 1 })).data[0]!;
      assert.match(
        label.id,
        /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "labels on MongoDB: the adapter's start moves today's query tags into labels, once",
  ignore: skipMongo,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const mongo = await startMongo();
    const client = new MongoClient(mongo.uri);
    try {
      // A database as the previous version left it: queries with tags only, never migrated.
      await client.connect();
      const db = client.db(mongo.db);
      const old = before();
      await db.collection("queries").insertMany(
        old.map(({ id, ...q }) => ({ _id: id, ...q })) as unknown as Record<string, unknown>[],
      );
      const store = await openStore({ kind: "mongo", uri: mongo.uri, db: mongo.db });
      try {
        await assertMigrated(store, old);
      } finally {
        await store.close();
      }
      // Starting again changes nothing: no second set of labels.
      const again = await openStore({ kind: "mongo", uri: mongo.uri, db: mongo.db });
      try {
        assert.equal((await again.labels.list("org-a", { page: 1, limit: 10 })).total, 2);
        await assertMigrated(again, old);
      } finally {
        await again.close();
      }
    } finally {
      await client.close();
      await mongo.stop();
    }
  },
});
