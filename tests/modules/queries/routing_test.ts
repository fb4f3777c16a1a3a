import assert from "node:assert/strict";
import { fixedClock } from "@/clock.ts";
import { testApp } from "@tests/helpers/app.ts";
import {
  aDesk,
  anAgent,
  type Desk,
  expectStatus,
  openQuery,
  ready,
} from "@tests/helpers/support.ts";

const get = (desk: Desk, id: string, token = desk.token.Admin) =>
  expectStatus(desk.t.call("GET", `/api/v1/queries/${id}`, { token }), 200);

const setStatus = (desk: Desk, id: string, token: string, status: string) =>
  expectStatus(
    desk.t.call("PUT", `/api/v1/queries/${id}/status`, { token, json: { status } }),
    200,
  );

Deno.test("least-loaded routing gives each new query to the agent holding fewest", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t, { routing: { policy: "least-loaded", reassignMinutes: 15 } });
    const a = await anAgent(desk, { name: "A" });
    const b = await anAgent(desk, { name: "B" });
    const first = await openQuery(desk);
    const second = await openQuery(desk);
    assert.notEqual(first.assignedTo, second.assignedTo);
    // Whoever resolves theirs holds fewer, so the next one is theirs.
    const freed = first.assignedTo === a.user.id ? a : b;
    await setStatus(desk, first.id, freed.token, "In Progress");
    await setStatus(desk, first.id, freed.token, "Resolved");
    assert.equal((await openQuery(desk)).assignedTo, freed.user.id);
    assert.equal((await openQuery(desk)).assignedTo === freed.user.id, false);
  } finally {
    await t.close();
  }
});

Deno.test("round-robin routing takes turns whatever the loads", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t, { routing: { policy: "round-robin", reassignMinutes: 15 } });
    const agents = [await anAgent(desk), await anAgent(desk), await anAgent(desk)];
    const got = [];
    for (let i = 0; i < 6; i++) got.push((await openQuery(desk)).assignedTo);
    assert.deepEqual(got.slice(3), got.slice(0, 3));
    assert.deepEqual([...got.slice(0, 3)].sort(), agents.map((a) => a.user.id).sort());
  } finally {
    await t.close();
  }
});

Deno.test("manual routing leaves queries waiting; the customer sees their place", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t, { routing: { policy: "manual", reassignMinutes: 15 } });
    await anAgent(desk);
    const low = await openQuery(desk, { priority: "Low" });
    const urgent = await openQuery(desk, { priority: "Urgent" });
    const medium = await openQuery(desk);
    assert.equal(low.status, "Open");
    assert.equal(low.assignedTo, null);
    assert.equal((await get(desk, urgent.id, desk.token.Customer)).queuePosition, 0);
    assert.equal((await get(desk, medium.id, desk.token.Customer)).queuePosition, 1);
    assert.equal((await get(desk, low.id, desk.token.Customer)).queuePosition, 2);
    const assigned = await expectStatus(
      t.call("PUT", `/api/v1/queries/${urgent.id}/assign`, {
        token: desk.token.TL,
        json: { assignedTo: desk.users.Agent.id },
      }),
      200,
    );
    assert.equal(assigned.status, "Assigned");
    assert.equal((await get(desk, urgent.id)).queuePosition, null);
    assert.equal((await get(desk, low.id, desk.token.Customer)).queuePosition, 1);
  } finally {
    await t.close();
  }
});

Deno.test("routing offers a query only to agents with its skill, the most skilled first", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const novice = await anAgent(desk, { skills: [{ name: "billing", level: 2 }] });
    const expert = await anAgent(desk, { skills: [{ name: "billing", level: 5 }], max: 1 });
    const other = await anAgent(desk, { skills: [{ name: "legal", level: 5 }] });
    assert.equal((await openQuery(desk, { skill: "billing" })).assignedTo, expert.user.id);
    assert.equal((await openQuery(desk, { skill: "billing" })).assignedTo, novice.user.id);
    assert.equal((await openQuery(desk, { skill: "legal" })).assignedTo, other.user.id);
    const none = await openQuery(desk, { skill: "french" });
    assert.equal(none.assignedTo, null);
  } finally {
    await t.close();
  }
});

Deno.test("no agent gets past their maximum; the queue drains as they free up", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const agent = await anAgent(desk, { max: 2 });
    const queries = [];
    for (let i = 0; i < 4; i++) queries.push(await openQuery(desk));
    assert.deepEqual(queries.map((q) => q.assignedTo), [
      agent.user.id,
      agent.user.id,
      null,
      null,
    ]);
    await setStatus(desk, queries[0].id, agent.token, "In Progress");
    await setStatus(desk, queries[0].id, agent.token, "Resolved");
    assert.equal((await get(desk, queries[2].id)).assignedTo, agent.user.id);
    assert.equal((await get(desk, queries[3].id)).assignedTo, null);
    const full = await t.call("PUT", `/api/v1/queries/${queries[3].id}/assign`, {
      token: desk.token.TL,
      json: { assignedTo: agent.user.id },
    });
    assert.equal(full.status, 409);
    await full.body?.cancel();
    const states = await expectStatus(
      t.call("GET", "/api/v1/agents/status", { token: desk.token.TL }),
      200,
    );
    assert.equal(states.data.find((s: { userId: string }) => s.userId === agent.user.id).load, 2);
  } finally {
    await t.close();
  }
});

Deno.test("waiting queries land when an agent comes online and clocks in", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const agent = await anAgent(desk, { ready: false });
    const q = await openQuery(desk);
    assert.equal(q.assignedTo, null);
    await expectStatus(
      t.call("PUT", "/api/v1/agents/me/status", {
        token: agent.token,
        json: { status: "online" },
      }),
      200,
    );
    assert.equal((await get(desk, q.id)).assignedTo, null, "online but not on shift");
    await expectStatus(t.call("POST", "/api/v1/shifts/clock-in", { token: agent.token }), 201);
    assert.equal((await get(desk, q.id)).assignedTo, agent.user.id);
  } finally {
    await t.close();
  }
});

Deno.test("an agent going offline hands their queries back to the queue", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const leaving = await anAgent(desk);
    const q = await openQuery(desk);
    assert.equal(q.assignedTo, leaving.user.id);
    const staying = await anAgent(desk);
    await expectStatus(
      t.call("PUT", "/api/v1/agents/me/status", {
        token: leaving.token,
        json: { status: "offline" },
      }),
      200,
    );
    assert.equal((await get(desk, q.id)).assignedTo, staying.user.id);
    const history = await expectStatus(
      t.call("GET", `/api/v1/queries/${q.id}/history`, { token: desk.token.Admin }),
      200,
    );
    const requeued = history.data.find((e: { action: string }) => e.action === "requeued");
    assert.equal(requeued.reason, "agent went offline");
    assert.equal(requeued.from, leaving.user.id);
  } finally {
    await t.close();
  }
});

Deno.test("a query nobody answered within the reassign time goes back to the queue", async () => {
  const clock = fixedClock("2026-06-01T09:00:00.000Z");
  const t = await testApp({ clock });
  try {
    const desk = await aDesk(t, { routing: { policy: "least-loaded", reassignMinutes: 10 } });
    const silent = await anAgent(desk);
    const answered = await openQuery(desk);
    const ignored = await openQuery(desk);
    await setStatus(desk, answered.id, silent.token, "In Progress");
    const other = await anAgent(desk, { max: 1 });
    const jobs = t.services;
    clock.advance(9 * 60_000);
    assert.equal(await jobs.routing.requeueUnanswered(), 0);
    clock.advance(2 * 60_000);
    assert.equal(await jobs.routing.requeueUnanswered(), 1);
    assert.equal((await get(desk, ignored.id)).assignedTo, other.user.id);
    assert.equal((await get(desk, answered.id)).assignedTo, silent.user.id);
  } finally {
    await t.close();
  }
});

Deno.test("POST /queries/:id/transfer hands over to an agent or to a team's queue", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const from = await anAgent(desk);
    const q = await openQuery(desk);
    await setStatus(desk, q.id, from.token, "In Progress");
    const to = await anAgent(desk, { team: "tier2", ready: false });
    const moved = await expectStatus(
      t.call("POST", `/api/v1/queries/${q.id}/transfer`, {
        token: from.token,
        json: { toAgentId: to.user.id, reason: "needs tier 2" },
      }),
      200,
    );
    assert.equal(moved.assignedTo, to.user.id);
    assert.equal(moved.status, "In Progress");
    const notMine = await t.call("POST", `/api/v1/queries/${q.id}/transfer`, {
      token: from.token,
      json: { toTeam: "tier3", reason: "again" },
    });
    assert.equal(notMine.status, 404, "another agent's query is not even visible");
    await notMine.body?.cancel();
    const queued = await expectStatus(
      t.call("POST", `/api/v1/queries/${q.id}/transfer`, {
        token: desk.token.TL,
        json: { toTeam: "tier2", reason: "team queue" },
      }),
      200,
    );
    const tier2 = await expectStatus(
      t.call("GET", "/api/v1/teams", { token: desk.token.TL }),
      200,
    );
    assert.equal(queued.team, tier2.data[0].id, "the team named tier2, by its id");
    assert.equal(queued.assignedTo, null, "nobody from tier2 is on shift");
    await ready(t, to.token);
    assert.equal((await get(desk, q.id)).assignedTo, to.user.id);
    const bad = await t.call("POST", `/api/v1/queries/${q.id}/transfer`, {
      token: desk.token.TL,
      json: { toTeam: "x", toAgentId: from.user.id, reason: "both" },
    });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
  } finally {
    await t.close();
  }
});
