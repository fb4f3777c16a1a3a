import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { MongoClient } from "mongodb";
import { openStore, type Store, type StoreOptions } from "@/store/store.ts";
import { findAll } from "@/store/documents.ts";
import { skipMongo, startMongo } from "@tests/helpers/mongo.ts";
import { anOrganization, aQuery, aUser } from "@tests/contract/fixtures.ts";
import { ConflictError } from "@/errors.ts";
import { uuidv7 } from "@/ids.ts";

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

/** The MongoDB database as before 0810_teams and 0820_team_name_keys (and their index). */
async function beforeTeams(client: MongoClient, db: string, names = ["0810_teams"]) {
  const migrations = client.db(db).collection("schema_migrations");
  for (const name of [...names, "0820_team_name_keys"]) {
    await migrations.deleteOne({ _id: name as never });
  }
  await client.db(db).collection("teams").dropIndex("organizationId_1_nameKey_1").catch(() => {});
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
      await beforeTeams(client, mongo.db);
      const store = await reopen(config);
      try {
        await assertMigrated(store, old);
      } finally {
        await store.close();
      }
      // Run again (an instance that died half-way): nothing doubles.
      await beforeTeams(client, mongo.db);
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

/** Teams as 0810 and the previous version wrote them: no name key, a name in two cases. */
const oldTeams = [
  { name: "Support", createdAt: "2026-01-01T00:00:00.000Z" },
  { name: "support ", createdAt: "2026-01-02T00:00:00.000Z" },
  { name: "SUPPORT", createdAt: "2026-01-03T00:00:00.000Z" },
  { name: "Night", createdAt: "2026-01-04T00:00:00.000Z" },
];

/** Each team kept, with its key; the later repeats renamed; the store now refuses a repeat. */
async function assertKeyed(store: Store, orgId: string, otherId: string) {
  const teams = store.documents("teams");
  const all = await findAll(teams, orgId, {});
  assert.deepEqual(
    all.map((t) => [t.name, t.nameKey]).sort(),
    [
      ["Night", "night"],
      ["SUPPORT (3)", "support (3)"],
      ["Support", "support"],
      ["support (2)", "support (2)"],
    ].sort(),
  );
  const other = await findAll(teams, otherId, {});
  assert.deepEqual(other.map((t) => t.nameKey), ["support"], "per organization");
  const t = all.find((x) => x.name === "Night")!;
  await assert.rejects(
    teams.insert({ ...t, id: uuidv7(), name: "NIGHT" }),
    ConflictError,
  );
}

Deno.test("0820_team_name_keys on SQLite: every team gets its name key, repeats renamed, then unique", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chatcrm-teams-" });
  try {
    const path = join(dir, "old.db");
    const config: StoreOptions = { kind: "sqlite", path };
    const first = await openStore(config);
    const a = await first.organizations.create(anOrganization());
    const b = await first.organizations.create(anOrganization());
    await first.close();
    const db = new DatabaseSync(path);
    db.exec("DROP INDEX documents_team_name");
    db.prepare("DELETE FROM schema_migrations WHERE name = ?").run("0820_team_name_keys");
    const insert = db.prepare(
      "INSERT INTO documents (collection, id, org_id, doc) VALUES (?, ?, ?, ?)",
    );
    for (const [orgId, list] of [[a.id, oldTeams], [b.id, oldTeams.slice(0, 1)]] as const) {
      for (const t of list) {
        const id = uuidv7();
        insert.run(
          "teams",
          id,
          orgId,
          JSON.stringify({
            id,
            organizationId: orgId,
            description: "",
            members: [],
            updatedAt: t.createdAt,
            ...t,
          }),
        );
      }
    }
    db.close();
    const store = await reopen(config);
    try {
      await assertKeyed(store, a.id, b.id);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "0820_team_name_keys on MongoDB: every team gets its name key, repeats renamed, then unique",
  ignore: skipMongo,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const mongo = await startMongo();
    const client = new MongoClient(mongo.uri);
    const config: StoreOptions = { kind: "mongo", uri: mongo.uri, db: mongo.db };
    try {
      const first = await openStore(config);
      const a = await first.organizations.create(anOrganization());
      const b = await first.organizations.create(anOrganization());
      await first.close();
      await client.connect();
      await beforeTeams(client, mongo.db, []);
      const teams = client.db(mongo.db).collection("teams");
      for (const [orgId, list] of [[a.id, oldTeams], [b.id, oldTeams.slice(0, 1)]] as const) {
        for (const t of list) {
          await teams.insertOne({
            _id: uuidv7() as never,
            organizationId: orgId,
            description: "",
            members: [],
            updatedAt: t.createdAt,
            ...t,
          });
        }
      }
      for (let run = 0; run < 2; run++) {
        // The second time as after an instance that died half-way: the same outcome.
        if (run) await beforeTeams(client, mongo.db, []);
        const store = await reopen(config);
        try {
          await assertKeyed(store, a.id, b.id);
        } finally {
          await store.close();
        }
      }
    } finally {
      await client.close();
      await mongo.stop();
    }
  },
});
