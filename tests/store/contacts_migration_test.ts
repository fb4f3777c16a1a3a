import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import { MongoClient } from "mongodb";
import { ConflictError } from "@/errors.ts";
import { migrate } from "@/store/sqlite/db.ts";
import { migrations } from "@/store/sqlite/migrations.ts";
import { openStore, type Store } from "@/store/store.ts";
import { newUser } from "@/modules/users/repository.ts";
import { skipMongo, startMongo } from "@tests/helpers/mongo.ts";

/**
 * Stores written by the code before contacts (commit 1296c74): two organizations, a customer of
 * the first with a resolved, rated query and its room's messages, and the same address imported
 * by mail into the second as `local+ORGID@domain` with a query of its own.
 */
const fixtures = new URL("../fixtures/before_contacts/", import.meta.url);
const byAge = { field: "createdAt", order: "asc" } as const;
type Rows = Record<string, Record<string, unknown>[]>;
const sqliteFixture = JSON.parse(
  await Deno.readTextFile(new URL("sqlite.json", fixtures)),
) as { migrations: string[]; tables: Rows };

/** What must be the same before and after: every row, and who each query belongs to. */
async function checkMigrated(store: Store, rows: Rows) {
  const users = rows.users!;
  const orgs = rows.organizations!;
  const imported = users.find((u) => String(u.email).includes("+"))!;
  const orgOf = (u: Record<string, unknown>) => String(u.organization_id ?? u.organizationId);
  const idOf = (row: Record<string, unknown>) => String(row.id ?? row._id);
  const realAddress = String(imported.email).replace(`+${orgOf(imported)}@`, "@");
  const original = users.find((u) => u.email === realAddress)!;
  assert.ok(original, "the fixture has the address in the first organization");
  assert.notEqual(orgOf(original), orgOf(imported));

  for (const org of orgs) {
    const id = idOf(org);
    const list = await store.users.list(id, {}, { page: 1, limit: 100 });
    assert.equal(list.total, users.filter((u) => orgOf(u) === id).length, "no user lost");
    const queries = await store.queries.list(id, {}, byAge, { page: 1, limit: 100 });
    for (const query of queries.data) {
      assert.ok(
        list.data.some((u) => u.id === query.customerId),
        "every query keeps its customer",
      );
      const room = await store.documents("rooms").get(id, query.roomId!);
      assert.ok(room, "every query keeps its room");
    }
  }
  const contact = await store.users.findById(orgOf(imported), idOf(imported));
  assert.equal(contact?.email, realAddress, "the mail import's login has its real address");
  assert.equal(
    (await store.users.findByEmail(orgOf(original), realAddress))?.id,
    idOf(original),
    "the first organization's customer is untouched",
  );
  const [rated] = (await store.queries.list(orgOf(original), {}, byAge, {
    page: 1,
    limit: 10,
  })).data
    .filter((q) => q.csat);
  assert.equal(rated?.csat?.rating, 5, "the rating is kept");
  const messages = await store.messages.list(orgOf(original), rated!.roomId!, {
    afterSeq: 0,
    limit: 100,
  });
  assert.ok(messages.length >= 2, "the room's messages are kept");

  // The email is unique within an organization now.
  const now = new Date().toISOString();
  await assert.rejects(
    store.users.create(newUser({
      id: crypto.randomUUID(),
      organizationId: orgOf(imported),
      name: "Same address again",
      email: realAddress,
      passwordHash: null,
      role: "Customer",
      createdAt: now,
    })),
    ConflictError,
  );
}

Deno.test("SQLite: migration 0600_contacts keeps every row of a store made before it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chatcrm-migration-" });
  try {
    const path = join(dir, "chatcrm.db");
    const db = new DatabaseSync(path);
    migrate(db, migrations.filter((m) => sqliteFixture.migrations.includes(m.name)));
    for (const [table, rows] of Object.entries(sqliteFixture.tables)) {
      for (const row of rows) {
        const cols = Object.keys(row);
        db.prepare(
          `INSERT INTO "${table}" (${cols.map((c) => `"${c}"`).join(", ")})
           VALUES (${cols.map(() => "?").join(", ")})`,
        ).run(...cols.map((c) => row[c] as SQLInputValue));
      }
    }
    const before = Object.fromEntries(
      Object.keys(sqliteFixture.tables).map((t) => [
        t,
        Number((db.prepare(`SELECT count(*) AS n FROM "${t}"`).get() as { n: number }).n),
      ]),
    );
    db.close();

    const store = await openStore({ kind: "sqlite", path });
    try {
      await checkMigrated(store, sqliteFixture.tables);
      const check = new DatabaseSync(path);
      const count = (table: string) =>
        Number((check.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n);
      for (const [table, n] of Object.entries(before)) {
        // Read positions left `documents` for a table of their own (0860).
        const after = count(table) + (table === "documents" ? count("room_reads") : 0);
        assert.equal(after, n, `rows of ${table}`);
      }
      check.close();
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "MongoDB: migration 0600_contacts keeps every document of a store made before it",
  ignore: skipMongo,
  async fn() {
    const fixture = JSON.parse(
      await Deno.readTextFile(new URL("mongo.json", fixtures)),
    ) as Rows;
    const mongo = await startMongo();
    const client = new MongoClient(mongo.uri);
    try {
      await client.connect();
      const db = client.db(mongo.db);
      for (const [name, docs] of Object.entries(fixture)) {
        // deno-lint-ignore no-explicit-any
        if (docs.length) await db.collection<any>(name).insertMany(docs);
      }
      // The index the code before contacts made.
      await db.collection("users").createIndex({ email: 1 }, { unique: true });
      const store = await openStore({ kind: "mongo", uri: mongo.uri, db: mongo.db });
      try {
        await checkMigrated(store, fixture);
        for (const [name, docs] of Object.entries(fixture)) {
          const after = await db.collection(name).countDocuments();
          assert.equal(after, docs.length, `documents of ${name}`);
        }
        const indexes = await db.collection("users").indexes();
        assert.ok(!indexes.some((i) => i.name === "email_1"), "the platform-wide index is gone");
        const applied = await db.collection("schema_migrations").findOne({
          _id: "0600_contacts" as never,
        });
        assert.ok(applied?.appliedAt, "the migration is recorded");
      } finally {
        await store.close();
      }
    } finally {
      await client.close();
      await mongo.stop();
    }
  },
});
