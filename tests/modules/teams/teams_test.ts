import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import { aDesk, anAgent, expectStatus, openQuery, ready } from "@tests/helpers/support.ts";

type Team = { id: string; name: string; description: string; members: string[] };

async function aTeamDesk() {
  const t = await testApp();
  const desk = await aDesk(t);
  const call = (method: string, path: string, token = desk.token.Admin, json?: unknown) =>
    t.call(method, `/api/v1${path}`, { token, ...(json === undefined ? {} : { json }) });
  const team = (name: string, extra: Record<string, unknown> = {}): Promise<Team> =>
    expectStatus(call("POST", "/teams", desk.token.Admin, { name, ...extra }), 201);
  return { t, desk, call, team };
}

Deno.test("/teams: create with members, list by name, rename, set members, delete; names unique whatever the case", async () => {
  const { t, desk, call, team } = await aTeamDesk();
  try {
    const agent = desk.users.Agent.id;
    const billing = await team("Billing", { description: "Money", members: [agent, agent] });
    assert.deepEqual(
      { name: billing.name, description: billing.description, members: billing.members },
      { name: "Billing", description: "Money", members: [agent] },
    );
    await team("Apps", { members: [agent] });
    const list = await expectStatus(call("GET", "/teams", desk.token.Agent), 200);
    assert.deepEqual(list.data.map((x: Team) => x.name), ["Apps", "Billing"]);
    assert.equal(list.meta.total, 2);
    await expectStatus(call("POST", "/teams", desk.token.Admin, { name: "billing" }), 409);
    await expectStatus(
      call("PUT", `/teams/${billing.id}`, desk.token.Admin, { name: "APPS" }),
      409,
    );
    await expectStatus(
      call("POST", "/teams", desk.token.Admin, { name: "X", members: [desk.users.Customer.id] }),
      422,
    );
    await expectStatus(call("POST", "/teams", desk.token.Agent, { name: "Mine" }), 403);
    const renamed = await expectStatus(
      call("PUT", `/teams/${billing.id}`, desk.token.TL, {
        name: "Billing EU",
        members: [desk.users.TL.id, agent],
      }),
      200,
    );
    assert.equal(renamed.name, "Billing EU");
    assert.deepEqual(renamed.members, [desk.users.TL.id, agent]);
    assert.deepEqual(
      (await expectStatus(call("GET", `/teams/${billing.id}`), 200)).members,
      [desk.users.TL.id, agent],
    );
    await expectStatus(call("DELETE", `/teams/${billing.id}`), 204);
    await expectStatus(call("GET", `/teams/${billing.id}`), 404);
  } finally {
    await t.close();
  }
});

Deno.test("a query with a team is routed only to that team's members; its queue holds it meanwhile", async () => {
  const { t, desk, call, team } = await aTeamDesk();
  try {
    const outsider = await anAgent(desk, { name: "Outsider" });
    const member = await anAgent(desk, { name: "Member", ready: false });
    const other = await anAgent(desk, { name: "Other", ready: false });
    const tier2 = await team("Tier 2", { members: [member.user.id, other.user.id] });
    // Older clients name the team; the query carries its id.
    const q = await openQuery(
      desk,
      { team: "tier 2", customerId: desk.users.Customer.id },
      desk.token.Admin,
    );
    assert.equal(q.team, tier2.id);
    assert.equal(q.assignedTo, null, `not ${outsider.user.id}: they are not in Tier 2`);
    const queue = await expectStatus(
      call("GET", `/teams/${tier2.id}/queue`, desk.token.Agent),
      200,
    );
    assert.deepEqual(queue.data.map((x: { id: string }) => x.id), [q.id]);
    const byTeam = await expectStatus(call("GET", `/queries?team=Tier 2`), 200);
    assert.deepEqual(byTeam.data.map((x: { id: string }) => x.id), [q.id]);
    assert.equal((await expectStatus(call("GET", "/queries?team=nobody"), 200)).meta.total, 0);
    await expectStatus(call("DELETE", `/teams/${tier2.id}`), 409);
    await ready(t, member.token);
    const got = await expectStatus(call("GET", `/queries/${q.id}`), 200);
    assert.equal(got.assignedTo, member.user.id);
    assert.equal(
      (await expectStatus(call("GET", `/teams/${tier2.id}/queue`), 200)).meta.total,
      0,
    );
    const untagged = await openQuery(desk);
    assert.equal(untagged.assignedTo, outsider.user.id, "a query without a team goes to anyone");
    await expectStatus(
      call("POST", "/queries", desk.token.Admin, {
        title: "x",
        description: "y",
        customerId: desk.users.Customer.id,
        team: "No such team",
      }),
      422,
    );
  } finally {
    await t.close();
  }
});

Deno.test("POST /queries/:id/transfer to a team by id or name: its members take it; unknown teams get 422", async () => {
  const { t, desk, call, team } = await aTeamDesk();
  try {
    const first = await anAgent(desk, { name: "First" });
    const q = await openQuery(desk);
    assert.equal(q.assignedTo, first.user.id);
    const second = await anAgent(desk, { name: "Second", ready: false });
    const apps = await team("Apps", { members: [second.user.id] });
    await expectStatus(
      call("POST", `/queries/${q.id}/transfer`, desk.token.TL, { toTeam: "Nope", reason: "x" }),
      422,
    );
    const moved = await expectStatus(
      call("POST", `/queries/${q.id}/transfer`, desk.token.TL, { toTeam: apps.id, reason: "apps" }),
      200,
    );
    assert.equal(moved.team, apps.id);
    assert.equal(moved.assignedTo, null, "the first agent is not in Apps");
    await ready(t, second.token);
    assert.equal(
      (await expectStatus(call("GET", `/queries/${q.id}`), 200)).assignedTo,
      second.user.id,
    );
    const history = await expectStatus(call("GET", `/queries/${q.id}/history`), 200);
    const entry = history.data.find((h: { action: string }) => h.action === "transferred");
    assert.deepEqual([entry.field, entry.to], ["team", apps.id]);
  } finally {
    await t.close();
  }
});

Deno.test("GET /reports/teams has a row per team resource; an agent in two teams counts in both", async () => {
  const { t, desk, call, team } = await aTeamDesk();
  try {
    const both = await anAgent(desk, { name: "Both" });
    const solo = await anAgent(desk, { name: "Solo", ready: false });
    const a = await team("Alpha", { members: [both.user.id, solo.user.id] });
    const b = await team("Beta", { members: [both.user.id] });
    const day = t.deps.clock.now().toISOString().slice(0, 10);
    const report = await expectStatus(
      call("GET", `/reports/teams?from=${day}&to=${day}&tz=UTC`),
      200,
    );
    const rows = Object.fromEntries(
      report.data.map((r: { team: string | null; teamId: string | null; agents: number }) => [
        r.team ?? "(none)",
        [r.teamId, r.agents],
      ]),
    );
    assert.deepEqual(rows.Alpha, [a.id, 2]);
    assert.deepEqual(rows.Beta, [b.id, 1]);
    const agents = await expectStatus(
      call("GET", `/reports/agents?from=${day}&to=${day}&tz=UTC`),
      200,
    );
    assert.equal(
      agents.data.find((r: { agentId: string }) => r.agentId === both.user.id).team,
      "Alpha, Beta",
    );
  } finally {
    await t.close();
  }
});

Deno.test("POST /teams at once with one name in several cases: the store lets one in, the rest get a clear 409", async () => {
  const { t, call } = await aTeamDesk();
  try {
    const names = ["Night", "night", "NIGHT ", "nIght", " Night"];
    const answers = await Promise.all(
      names.map((name) => call("POST", "/teams", undefined, { name })),
    );
    assert.deepEqual(answers.map((r) => r.status).sort(), [201, 409, 409, 409, 409]);
    const refused = await answers.find((r) => r.status === 409)!.json();
    assert.equal(refused.error.code, "CONFLICT");
    assert.match(refused.error.message, /^A team "[^"]+" already exists$/);
    assert.equal(refused.error.details[0].path, "name");
    for (const r of answers) if (r.status === 201) await r.body?.cancel();
    const list = await expectStatus(call("GET", "/teams"), 200);
    assert.equal(list.meta.total, 1);
    assert.equal("nameKey" in list.data[0], false, "the key stays inside");
  } finally {
    await t.close();
  }
});
