import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import { aDesk, anAgent, expectStatus, openQuery } from "@tests/helpers/support.ts";

Deno.test("/queries/{id} routes accept the readable reference as well as the id", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const agent = await anAgent(desk);
    const q = await openQuery(desk);
    assert.equal(q.reference, "Q-000001");
    const byRef = await expectStatus(
      t.call("GET", "/api/v1/queries/Q-000001", { token: desk.token.Admin }),
      200,
    );
    assert.equal(byRef.id, q.id);
    const lower = await expectStatus(
      t.call("GET", "/api/v1/queries/q-1", { token: desk.token.Customer }),
      200,
    );
    assert.equal(lower.id, q.id);
    const moved = await expectStatus(
      t.call("PUT", "/api/v1/queries/Q-000001/status", {
        token: agent.token,
        json: { status: "In Progress" },
      }),
      200,
    );
    assert.equal(moved.status, "In Progress");
    const history = await expectStatus(
      t.call("GET", "/api/v1/queries/Q-000001/history", { token: desk.token.TL }),
      200,
    );
    assert.deepEqual(history.data.map((e: { action: string }) => e.action).at(-1), "status");
    await expectStatus(
      t.call("PUT", "/api/v1/queries/Q-000001/status", {
        token: agent.token,
        json: { status: "Resolved" },
      }),
      200,
    );
    const rated = await expectStatus(
      t.call("POST", "/api/v1/queries/Q-000001/csat", {
        token: desk.token.Customer,
        json: { rating: 5 },
      }),
      201,
    );
    assert.equal(rated.csat.rating, 5);
  } finally {
    await t.close();
  }
});

Deno.test("GET /queries/{reference} answers another tenant's or a malformed one as an unknown id", async () => {
  const t = await testApp();
  try {
    const mine = await aDesk(t);
    const other = await aDesk(t);
    await anAgent(other);
    await openQuery(other);
    const answers = [];
    for (const ref of ["Q-000001", "Q-abc", "Q-0", "Q-99999999999999999999", "not-an-id"]) {
      const res = await t.call("GET", `/api/v1/queries/${ref}`, { token: mine.token.Admin });
      assert.equal(res.status, 404, ref);
      const body = await res.json();
      answers.push(body.error.code);
      assert.ok(!JSON.stringify(body).includes(other.org.id), ref);
    }
    assert.deepEqual(new Set(answers).size, 1);
  } finally {
    await t.close();
  }
});
