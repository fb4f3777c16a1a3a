import assert from "node:assert/strict";
import { openStore } from "@/store/store.ts";
import { type TestApp, testApp } from "@tests/helpers/app.ts";
import { skipMongo, startMongo } from "@tests/helpers/mongo.ts";
import { aDesk, anAgent, type Desk, expectStatus } from "@tests/helpers/support.ts";
import { login } from "@tests/helpers/identity.ts";

/**
 * Opens `count` queries at once, alternating between two app instances on one store, while
 * three agents (at most `max` each) take them. Nothing may be assigned twice, nobody may pass
 * their maximum, and every assignment must show in the agent's load.
 */
async function raceTwoInstances(a: TestApp, b: TestApp) {
  const max = 3;
  const desk: Desk = await aDesk(a);
  const agents = [];
  for (let i = 0; i < 3; i++) agents.push(await anAgent(desk, { max }));
  const tokenOnB = await login(b, desk.users.Customer.email);
  const created = await Promise.all(
    Array.from({ length: 24 }, (_, i) =>
      expectStatus(
        (i % 2 ? b : a).call("POST", "/api/v1/queries", {
          token: i % 2 ? tokenOnB : desk.token.Customer,
          json: { title: `Query ${i}`, description: "at the same time" },
        }),
        201,
      )),
  );
  assert.equal(new Set(created.map((q) => q.reference)).size, 24, "references never repeat");
  const store = a.deps.store;
  const all = await store.queries.list(desk.org.id, {}, { field: "createdAt", order: "asc" }, {
    page: 1,
    limit: 100,
  });
  const held = new Map<string, number>();
  for (const q of all.data) {
    if (q.assignedTo) held.set(q.assignedTo, (held.get(q.assignedTo) ?? 0) + 1);
    const history = await store.queryHistory.list(desk.org.id, q.id, { page: 1, limit: 50 });
    const assignments = history.data.filter((e) => e.action === "assigned").length;
    assert.equal(assignments, q.assignedTo ? 1 : 0, `${q.reference} assigned ${assignments}×`);
  }
  for (const agent of agents) {
    const holds = held.get(agent.user.id) ?? 0;
    assert.equal(holds, max, "every agent filled up, none past the maximum");
    assert.equal((await store.agentStates.get(desk.org.id, agent.user.id)).load, holds);
  }
  assert.equal(all.data.filter((q) => q.assignedTo === null).length, 24 - 3 * max);
}

Deno.test("two instances on one SQLite file never assign a query twice or overfill an agent", async () => {
  const a = await testApp();
  const b = await testApp({ dataDir: a.deps.config.dataDir });
  try {
    await raceTwoInstances(a, b);
  } finally {
    await b.close();
    await a.close();
  }
});

Deno.test({
  name: "two instances on one MongoDB database never assign a query twice or overfill an agent",
  ignore: skipMongo,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const mongo = await startMongo();
    const open = async () =>
      await testApp({ store: await openStore({ kind: "mongo", uri: mongo.uri, db: mongo.db }) });
    const a = await open();
    const b = await open();
    try {
      await raceTwoInstances(a, b);
    } finally {
      await b.close();
      await a.close();
      await mongo.stop();
    }
  },
});
