import assert from "node:assert/strict";
import { fixedClock } from "@/clock.ts";
import { testApp } from "@tests/helpers/app.ts";
import { aSuperAdmin, login } from "@tests/helpers/identity.ts";
import { aDesk, anAgent, expectStatus, openQuery } from "@tests/helpers/support.ts";

const minute = 60_000;

Deno.test("GET /reports/agents counts a query walked through the API", async () => {
  const clock = fixedClock("2026-03-29T08:00:00.000Z");
  const t = await testApp({ clock, env: { JWT_EXPIRE: "1d" } });
  try {
    const desk = await aDesk(t);
    const agent = await anAgent(desk, { name: "Zed", team: "Night" });
    const q = await openQuery(desk);
    assert.equal(q.assignedTo, agent.user.id);
    const status = async (s: string) =>
      await expectStatus(
        t.call("PUT", `/api/v1/queries/${q.id}/status`, {
          token: agent.token,
          json: { status: s },
        }),
        200,
      );
    clock.advance(10 * minute);
    await status("In Progress");
    clock.advance(50 * minute);
    await status("Resolved");
    clock.advance(5 * minute);
    await status("In Progress");
    clock.advance(5 * minute);
    await status("Resolved");
    await expectStatus(
      t.call("POST", `/api/v1/queries/${q.id}/csat`, {
        token: desk.token.Customer,
        json: { rating: 4 },
      }),
      201,
    );
    const body = await expectStatus(
      t.call("GET", "/api/v1/reports/agents?from=2026-03-29&to=2026-03-29&tz=UTC", {
        token: desk.token.TL,
      }),
      200,
    );
    assert.deepEqual(body.period, { from: "2026-03-29", to: "2026-03-29", tz: "UTC" });
    const row = body.data.find((r: { agentId: string }) => r.agentId === agent.user.id);
    assert.deepEqual(
      [row.assigned, row.resolved, row.reopened, row.firstResponse, row.resolution, row.csat],
      [
        1,
        1,
        1,
        { count: 1, averageSeconds: 600, medianSeconds: 600 },
        { count: 1, averageSeconds: 4200, medianSeconds: 4200 },
        { average: 4, count: 1 },
      ],
    );
    assert.equal(row.team, "Night");
    assert.equal(row.shiftSeconds, 70 * 60, "clocked in at 08:00, now 09:10");
    const dash = await expectStatus(
      t.call("GET", "/api/v1/reports/dashboard?tz=UTC", { token: desk.token.QA }),
      200,
    );
    assert.equal(dash.queries.total, 1);
    assert.equal(dash.queries.resolvedToday, 1);
    assert.deepEqual(dash.agents, { online: 1, onShift: 1 });
    const teams = await expectStatus(
      t.call("GET", "/api/v1/reports/teams?from=2026-03-29&to=2026-03-29&tz=UTC", {
        token: desk.token.Admin,
      }),
      200,
    );
    assert.equal(teams.data.find((r: { team: string }) => r.team === "Night").resolved, 1);
    const trends = await expectStatus(
      t.call("GET", "/api/v1/reports/trends?from=2026-03-28&to=2026-03-29&tz=UTC", {
        token: desk.token.Admin,
      }),
      200,
    );
    assert.deepEqual(trends.data, [
      { day: "2026-03-28", created: 0, resolved: 0 },
      { day: "2026-03-29", created: 1, resolved: 1 },
    ]);
  } finally {
    await t.close();
  }
});

Deno.test("GET /reports/* is for TL, QA and Admin of the organization only", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const other = await aDesk(t, undefined);
    const paths = ["dashboard", "agents", "teams", "trends", "export?type=agents&format=csv"];
    const expected = { Admin: 200, TL: 200, QA: 200, Agent: 403, Customer: 403 } as const;
    for (const path of paths) {
      for (const [role, code] of Object.entries(expected)) {
        const res = await t.call("GET", `/api/v1/reports/${path}`, {
          token: desk.token[role as keyof typeof expected],
        });
        await res.body?.cancel();
        assert.equal(res.status, code, `${role} GET ${path}`);
      }
      const anon = await t.call("GET", `/api/v1/reports/${path}`);
      await anon.body?.cancel();
      assert.equal(anon.status, 401);
    }
    const root = await login(t, (await aSuperAdmin(t)).email);
    await expectStatus(t.call("GET", "/api/v1/reports/dashboard", { token: root }), 403);
    const named = await expectStatus(
      t.call("GET", `/api/v1/superadmin/organizations/${desk.org.id}/reports/dashboard`, {
        token: root,
      }),
      200,
    );
    assert.equal(named.tz, "UTC");
    await expectStatus(
      t.call("GET", `/api/v1/superadmin/organizations/${other.org.id}/reports/agents`, {
        token: desk.token.Admin,
      }),
      403,
    );
    await expectStatus(
      t.call("GET", "/api/v1/superadmin/organizations/nope/reports/dashboard", { token: root }),
      404,
    );
  } finally {
    await t.close();
  }
});

Deno.test("GET /reports/* validates dates, ranges and time zones", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const bad = [
      "agents?tz=Mars/Olympus",
      "agents?from=2026-02-30",
      "agents?from=29.03.2026",
      "trends?from=2026-03-10&to=2026-03-01",
      "teams?from=2025-01-01&to=2026-03-01",
      "dashboard?tz=",
      "export?type=customers",
      "export?type=queries&format=pdf",
    ];
    for (const path of bad) {
      const body = await expectStatus(
        t.call("GET", `/api/v1/reports/${path}`, { token: desk.token.Admin }),
        400,
      );
      assert.equal(body.error.code, "VALIDATION_FAILED", path);
    }
    const ok = await expectStatus(
      t.call("GET", "/api/v1/reports/trends?from=2026-03-29&to=2026-03-29&tz=Europe/Berlin", {
        token: desk.token.Admin,
      }),
      200,
    );
    assert.deepEqual(ok.period, { from: "2026-03-29", to: "2026-03-29", tz: "Europe/Berlin" });
  } finally {
    await t.close();
  }
});

Deno.test("GET /openapi.json documents the report routes", async () => {
  const t = await testApp();
  try {
    const doc = await expectStatus(t.call("GET", "/openapi.json"), 200);
    for (const p of ["dashboard", "agents", "teams", "trends", "export"]) {
      assert.ok(doc.paths[`/api/v1/reports/${p}`]?.get, p);
      assert.ok(doc.paths[`/api/v1/superadmin/organizations/{orgId}/reports/${p}`]?.get, p);
    }
    const params = doc.paths["/api/v1/reports/export"].get.parameters.map((
      p: { name: string },
    ) => p.name);
    assert.deepEqual(params.sort(), ["format", "from", "to", "type", "tz"]);
  } finally {
    await t.close();
  }
});
