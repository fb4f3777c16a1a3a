import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { MongoClient } from "mongodb";
import { openStore, type Store, type StoreOptions } from "@/store/store.ts";
import { findAll } from "@/store/documents.ts";
import { skipMongo, startMongo } from "@tests/helpers/mongo.ts";
import { anOrganization, aQuery, aUser } from "@tests/contract/fixtures.ts";

/**
 * Data as the previous version wrote it: free-text teams on staff and queries, in two
 * organizations, one name in two cases, a name only a query uses, and a customer's stray team.
 */
async function seedOld(store: Store) {
  const a = await store.organizations.create(anOrganization());
  const b = await store.organizations.create(anOrganization());
  const users = {
    ann: await store.users.create(aUser(a.id, { team: "Support" })),
    bob: await store.users.create(aUser(a.id, { role: "TL", team: "support" })),
    cid: await store.users.create(aUser(a.id, { team: "Night" })),
    dan: await store.users.create(aUser(a.id)),
    eve: await store.users.create(aUser(a.id, { role: "Customer", team: "Night" })),
    fay: await store.users.create(aUser(b.id, { team: "Support" })),
  };
  const queries = {
    q1: await store.queries.create(aQuery(a.id, { team: "SUPPORT" })),
    q2: await store.queries.create(aQuery(a.id, { team: "Sales" })),
    q3: await store.queries.create(aQuery(a.id)),
    q4: await store.queries.create(aQuery(b.id, { team: "support" })),
  };
  return { a: a.id, b: b.id, users, queries };
}

type Old = Awaited<ReturnType<typeof seedOld>>;

/** Every value kept: one team per name and case, its staff as members, queries by its id. */
async function assertMigrated(store: Store, old: Old) {
  const teams = store.documents("teams");
  const a = await findAll(teams, old.a, {});
  const byName = Object.fromEntries(a.map((t) => [t.name.toLowerCase(), t]));
  assert.deepEqual(Object.keys(byName).sort(), ["night", "sales", "support"]);
  const { users: u, queries: q } = old;
  assert.deepEqual([...byName.support!.members].sort(), [u.ann.id, u.bob.id].sort());
  assert.deepEqual(byName.night!.members, [u.cid.id], "a customer is no member");
  assert.deepEqual(byName.sales!.members, []);
  const b = await findAll(teams, old.b, {});
  assert.equal(b.length, 1);
  assert.deepEqual(b[0]!.members, [u.fay.id]);
  assert.notEqual(b[0]!.id, byName.support!.id, "each organization has its own");
  const team = async (orgId: string, id: string) => (await store.queries.findById(orgId, id))!.team;
  assert.equal(await team(old.a, q.q1.id), byName.support!.id);
  assert.equal(await team(old.a, q.q2.id), byName.sales!.id);
  assert.equal(await team(old.a, q.q3.id), null);
  assert.equal(await team(old.b, q.q4.id), b[0]!.id);
  const found = await store.queries.list(old.a, { team: byName.support!.id }, {
    field: "createdAt",
    order: "asc",
  }, { page: 1, limit: 10 });
  assert.deepEqual(found.data.map((x) => x.id), [q.q1.id]);
  assert.equal((await store.users.findById(old.a, u.ann.id))!.team, "Support", "kept on users");
}

async function reopen(config: StoreOptions): Promise<Store> {
  return await openStore(config);
}

Deno.test("0810_teams on SQLite: today's free-text teams become teams, every value kept", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chatcrm-teams-" });
  try {
    const path = join(dir, "old.db");
    const config: StoreOptions = { kind: "sqlite", path };
    const first = await openStore(config);
    const old = await seedOld(first);
    await first.close();
    // The data came before the migration: it runs on them at the next start.
    const db = new DatabaseSync(path);
    db.prepare("DELETE FROM schema_migrations WHERE name = ?").run("0810_teams");
    db.close();
    const store = await reopen(config);
    try {
      await assertMigrated(store, old);
      const id = (await findAll(store.documents("teams"), old.a, {}))[0]!.id;
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "0810_teams on MongoDB: free-text teams become teams, every value kept, once",
  ignore: skipMongo,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const mongo = await startMongo();
    const client = new MongoClient(mongo.uri);
    const config: StoreOptions = { kind: "mongo", uri: mongo.uri, db: mongo.db };
    try {
      const first = await openStore(config);
      const old = await seedOld(first);
      await first.close();
      await client.connect();
      await client.db(mongo.db).collection("schema_migrations").deleteOne({
        _id: "0810_teams" as never,
      });
      const store = await reopen(config);
      try {
        await assertMigrated(store, old);
      } finally {
        await store.close();
      }
      // Run again (an instance that died half-way): nothing doubles.
      await client.db(mongo.db).collection("schema_migrations").deleteOne({
        _id: "0810_teams" as never,
      });
      const again = await reopen(config);
      try {
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
