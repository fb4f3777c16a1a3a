import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import {
  aDesk,
  anAgent,
  type Desk,
  expectStatus,
  joinTeam,
  openQuery,
} from "@tests/helpers/support.ts";
import { type QueryStatus, queryStatuses, transitions } from "@/modules/queries/model.ts";

/** Walks a fresh query (assigned to `agent`) to `status` along the legal path. */
async function queryIn(desk: Desk, status: QueryStatus, agent: { token: string }) {
  const q = await openQuery(desk);
  assert.equal(q.status, "Assigned");
  const path: QueryStatus[] = ["In Progress", "Resolved", "Closed"];
  const steps = status === "Open" ? [] : path.slice(0, path.indexOf(status) + 1);
  if (status === "Open") {
    // A team nobody routable is in: the query waits in its queue.
    await joinTeam(desk, "nobody", desk.users.QA.id);
    await expectStatus(
      desk.t.call("POST", `/api/v1/queries/${q.id}/transfer`, {
        token: desk.token.TL,
        json: { toTeam: "nobody", reason: "park it" },
      }),
      200,
    );
  }
  for (const next of steps) {
    await expectStatus(
      desk.t.call("PUT", `/api/v1/queries/${q.id}/status`, {
        token: agent.token,
        json: { status: next },
      }),
      200,
    );
  }
  return q.id as string;
}

Deno.test("PUT /queries/:id/status allows exactly the lifecycle's transitions", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const agent = await anAgent(desk, { max: 100 });
    for (const from of queryStatuses) {
      for (const to of queryStatuses) {
        if (from === to || to === "Assigned") continue;
        const id = await queryIn(desk, from, agent);
        const token = from === "Open" ? desk.token.TL : agent.token;
        const res = await t.call("PUT", `/api/v1/queries/${id}/status`, {
          token,
          json: { status: to },
        });
        const body = await res.json();
        if (transitions[from].includes(to)) {
          assert.equal(res.status, 200, `${from} → ${to}: ${JSON.stringify(body)}`);
          assert.equal(body.status, to);
        } else {
          assert.equal(res.status, 409, `${from} → ${to} must be refused`);
          assert.equal(body.error.code, "INVALID_TRANSITION");
          assert.deepEqual(
            body.error.details.allowed,
            transitions[from].filter((s) => s !== "Assigned"),
          );
          const after = await expectStatus(
            t.call("GET", `/api/v1/queries/${id}`, { token: desk.token.Admin }),
            200,
          );
          assert.equal(after.status, from, "a refused change changes nothing");
        }
      }
    }
  } finally {
    await t.close();
  }
});

Deno.test("a query's history records each step: who, when, from, to and why", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const agent = await anAgent(desk);
    const q = await openQuery(desk, { priority: "High", tags: ["login"] });
    assert.equal(q.reference, "Q-000001");
    assert.equal(q.assignedTo, agent.user.id);
    const call = (method: string, path: string, token: string, json?: unknown) =>
      expectStatus(
        t.call(method, `/api/v1/queries/${q.id}${path}`, { token, ...(json ? { json } : {}) }),
        200,
      );
    await call("PUT", "/status", agent.token, { status: "In Progress" });
    await call("PUT", "/priority", desk.token.TL, { priority: "Urgent", reason: "VIP" });
    await call("PUT", "", agent.token, { title: "Cannot log in on mobile" });
    await call("PUT", "/status", agent.token, { status: "Resolved", reason: "password reset" });
    await call("PUT", "/status", agent.token, { status: "Closed" });
    const history = await call("GET", "/history", desk.token.Customer);
    const steps = history.data.map((e: Record<string, unknown>) => [e.action, e.from, e.to]);
    assert.deepEqual(steps, [
      ["created", null, "Open"],
      ["assigned", null, agent.user.id],
      ["status", "Assigned", "In Progress"],
      ["priority", "High", "Urgent"],
      ["edited", "Cannot log in", "Cannot log in on mobile"],
      ["status", "In Progress", "Resolved"],
      ["status", "Resolved", "Closed"],
    ]);
    assert.equal(history.data[1].actorId, "system");
    assert.equal(history.data[3].actorId, desk.users.TL.id);
    assert.equal(history.data[3].reason, "VIP");
    assert.equal(history.data[5].reason, "password reset");
    assert.equal(history.meta.total, 7);
    const closed = await call("GET", "", desk.token.Admin);
    assert.ok(closed.firstResponseAt && closed.resolvedAt && closed.closedAt);
  } finally {
    await t.close();
  }
});

Deno.test("POST /queries validates input and changes nothing when it is bad", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const bad = [
      {},
      { title: "", description: "x" },
      { title: "x", description: "y", priority: "Whenever" },
      { title: "x", description: "y", organizationId: "other" },
      { title: "x", description: "y", tags: "not-a-list" },
    ];
    for (const json of bad) {
      const res = await t.call("POST", "/api/v1/queries", { token: desk.token.Customer, json });
      assert.equal(res.status, 400, JSON.stringify(json));
      assert.equal((await res.json()).error.code, "VALIDATION_FAILED");
    }
    const staffWithoutCustomer = await t.call("POST", "/api/v1/queries", {
      token: desk.token.Agent,
      json: { title: "x", description: "y" },
    });
    assert.equal(staffWithoutCustomer.status, 400);
    const list = await expectStatus(
      t.call("GET", "/api/v1/queries", { token: desk.token.Admin }),
      200,
    );
    assert.equal(list.meta.total, 0);
    const forCustomer = await openQuery(
      desk,
      { customerId: desk.users.Customer.id, source: "Email" },
      desk.token.Agent,
    );
    assert.equal(forCustomer.customerId, desk.users.Customer.id);
    assert.equal(forCustomer.source, "Email");
    assert.equal(forCustomer.reference, "Q-000001");
  } finally {
    await t.close();
  }
});

Deno.test("GET /queries shows each role what it may see, filtered and paged", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t, { routing: { policy: "manual", reassignMinutes: 15 } });
    const other = await t.call("POST", "/api/v1/auth/register", {
      json: {
        name: "Other Customer",
        email: "other@example.com",
        password: "another secret",
        organizationId: desk.org.id,
      },
    });
    assert.equal(other.status, 201, await other.clone().text());
    const otherToken = (await expectStatus(
      t.call("POST", "/api/v1/auth/login", {
        json: { email: "other@example.com", password: "another secret" },
      }),
      200,
    )).token;
    const mine = await openQuery(desk, { title: "Refund please", tags: ["billing"] });
    const skilled = await openQuery(desk, { skill: "legal", priority: "Urgent" });
    const theirs = await openQuery(desk, {}, otherToken);
    await expectStatus(
      t.call("PUT", `/api/v1/queries/${theirs.id}/assign`, {
        token: desk.token.TL,
        json: { assignedTo: desk.users.Agent.id },
      }),
      200,
    );
    const ids = async (token: string, query = "") =>
      (await expectStatus(t.call("GET", `/api/v1/queries${query}`, { token }), 200)).data.map((
        q: { id: string },
      ) => q.id);
    assert.deepEqual(await ids(desk.token.Customer, "?order=asc"), [mine.id, skilled.id]);
    assert.deepEqual(await ids(otherToken), [theirs.id]);
    // The agent: their assigned one and the waiting one without a skill they lack.
    assert.deepEqual(await ids(desk.token.Agent, "?order=asc"), [mine.id, theirs.id]);
    assert.deepEqual(await ids(desk.token.QA, "?order=asc"), [mine.id, skilled.id, theirs.id]);
    assert.deepEqual(await ids(desk.token.Admin, "?tag=billing"), [mine.id]);
    assert.deepEqual(await ids(desk.token.Admin, "?q=refund"), [mine.id]);
    assert.deepEqual(await ids(desk.token.Admin, "?priority=Urgent,High"), [skilled.id]);
    assert.deepEqual(await ids(desk.token.Admin, "?assignedTo=none&order=asc"), [
      mine.id,
      skilled.id,
    ]);
    assert.deepEqual(await ids(desk.token.Admin, "?status=Assigned"), [theirs.id]);
    assert.deepEqual(await ids(desk.token.Admin, "?sort=priority&limit=1"), [skilled.id]);
    const paged = await expectStatus(
      t.call("GET", "/api/v1/queries?page=2&limit=2&order=asc", { token: desk.token.Admin }),
      200,
    );
    assert.deepEqual(paged.meta, { total: 3, page: 2, limit: 2 });
    assert.deepEqual(paged.data.map((q: { id: string }) => q.id), [theirs.id]);
    for (
      const bad of ["?status=Done", "?limit=1000", "?sort=title", "?unknown=1", "?from=yesterday"]
    ) {
      const res = await t.call("GET", `/api/v1/queries${bad}`, { token: desk.token.Admin });
      assert.equal(res.status, 400, bad);
      await res.body?.cancel();
    }
    const hidden = await t.call("GET", `/api/v1/queries/${theirs.id}`, {
      token: desk.token.Customer,
    });
    assert.equal(hidden.status, 404);
    await hidden.body?.cancel();
  } finally {
    await t.close();
  }
});
