import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import { aDesk, expectStatus } from "@tests/helpers/support.ts";

Deno.test("POST /queries that fails to store its query leaves no room behind", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const rooms = () =>
      t.deps.store.documents("rooms").find(desk.org.id, { sort: [], page: { page: 1, limit: 10 } });
    const create = t.deps.store.queries.create;
    t.deps.store.queries.create = () => Promise.reject(new Error("the disk is full"));
    const res = await t.call("POST", "/api/v1/queries", {
      token: desk.token.Customer,
      json: { title: "Cannot log in", description: "It says my password is wrong" },
    });
    assert.equal(res.status, 500);
    await res.body?.cancel();
    assert.equal((await rooms()).total, 0, "no room without its query");
    t.deps.store.queries.create = create;
    const made = await expectStatus(
      t.call("POST", "/api/v1/queries", {
        token: desk.token.Customer,
        json: { title: "Cannot log in", description: "It says my password is wrong" },
      }),
      201,
    );
    const after = await rooms();
    assert.deepEqual(after.data.map((r) => [r.id, r.queryId]), [[made.roomId, made.id]]);
  } finally {
    await t.close();
  }
});
