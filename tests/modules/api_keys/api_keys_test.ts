import assert from "node:assert/strict";
import { fixedClock } from "@/clock.ts";
import { testApp } from "@tests/helpers/app.ts";
import { aDesk, type Desk, expectStatus, openQuery } from "@tests/helpers/support.ts";

async function aKey(desk: Desk, scopes: string[], extra: Record<string, unknown> = {}) {
  return await expectStatus(
    desk.t.call("POST", "/api/v1/api-keys", {
      token: desk.token.Admin,
      json: { name: "CRM sync", scopes, ...extra },
    }),
    201,
  );
}

Deno.test("an API key reads its organization's queries as an integration, within its scopes", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const other = await aDesk(t);
    const query = await openQuery(desk);
    const theirs = await openQuery(other);
    const made = await aKey(desk, ["queries:read"]);
    assert.match(made.key, /^ccrm_/);
    assert.equal(made.key.slice(-4), made.lastChars);
    assert.deepEqual(made.scopes, ["queries:read"]);

    const list = await expectStatus(t.call("GET", "/api/v1/queries", { token: made.key }), 200);
    assert.deepEqual(list.data.map((q: { id: string }) => q.id), [query.id]);
    const one = await expectStatus(
      t.call("GET", `/api/v1/queries/${query.id}`, { token: made.key }),
      200,
    );
    assert.equal(one.title, "Cannot log in");
    // Another organization's query is as unknown as a missing one.
    await expectStatus(t.call("GET", `/api/v1/queries/${theirs.id}`, { token: made.key }), 404);

    // Outside its scopes: writes, other areas, anything about users or settings.
    const denied = [
      ["POST", "/api/v1/queries", {
        title: "x",
        description: "y",
        customerId: desk.users.Customer.id,
      }],
      ["GET", "/api/v1/reports/dashboard"],
      ["GET", "/api/v1/webhooks"],
      ["GET", "/api/v1/auth/me"],
      ["GET", "/api/v1/admin/agents"],
      ["GET", "/api/v1/api-keys"],
      ["GET", "/api/v1/notifications"],
    ] as const;
    for (const [method, path, json] of denied) {
      const res = await t.call(method, path, { token: made.key, ...(json ? { json } : {}) });
      assert.equal(res.status, 403, `${method} ${path}`);
      await res.body?.cancel();
    }

    // A write scope opens the area's writes: the integration opens a query for a customer.
    const writer = await aKey(desk, ["queries:write"]);
    const opened = await expectStatus(
      t.call("POST", "/api/v1/queries", {
        token: writer.key,
        json: { title: "From the CRM", description: "Synced", customerId: desk.users.Customer.id },
      }),
      201,
    );
    assert.equal(opened.createdBy, `apikey:${writer.id}`);
    await expectStatus(t.call("GET", `/api/v1/queries/${opened.id}`, { token: writer.key }), 200);
  } finally {
    await t.close();
  }
});

Deno.test("API keys: shown once, stored as a hash, last use recorded; a wrong, revoked or expired key gets 401", async () => {
  // Staff tokens are checked against the real time: the clock starts now.
  const clock = fixedClock(new Date());
  const t = await testApp({ clock });
  try {
    const desk = await aDesk(t);
    const start = clock.now().toISOString();
    const expiresAt = new Date(clock.now().getTime() + 10 * 60_000).toISOString();
    const made = await aKey(desk, ["queries:read"], { expiresAt });
    const stored = await t.deps.store.documents("api_keys").get(desk.org.id, made.id);
    assert.ok(stored && !JSON.stringify(stored).includes(made.key.slice(-64)));
    await expectStatus(
      t.call("GET", "/api/v1/queries", { token: made.key, ip: "203.0.113.7" }),
      200,
    );
    const list = await expectStatus(
      t.call("GET", "/api/v1/api-keys", { token: desk.token.Admin }),
      200,
    );
    assert.equal(list.data[0].key, undefined);
    assert.equal(list.data[0].secretHash, undefined);
    assert.equal(list.data[0].lastUsedAt, start);
    assert.equal(list.data[0].expiresAt, expiresAt);
    assert.equal(list.data[0].lastUsedIp, "203.0.113.7");

    const wrong = made.key.slice(0, -1) + (made.key.endsWith("0") ? "1" : "0");
    for (const key of [wrong, "ccrm_nonsense", `ccrm_${desk.org.id}_nokey_${"0".repeat(64)}`]) {
      const res = await t.call("GET", "/api/v1/queries", { token: key });
      assert.equal(res.status, 401, key);
      await res.body?.cancel();
    }
    clock.advance(10 * 60_000);
    await expectStatus(t.call("GET", "/api/v1/queries", { token: made.key }), 401);

    const live = await aKey(desk, ["queries:read"]);
    await expectStatus(t.call("GET", "/api/v1/queries", { token: live.key }), 200);
    await expectStatus(
      t.call("DELETE", `/api/v1/api-keys/${live.id}`, { token: desk.token.Admin }),
      204,
    );
    await expectStatus(t.call("GET", "/api/v1/queries", { token: live.key }), 401);
    await expectStatus(
      t.call("DELETE", `/api/v1/api-keys/${live.id}`, { token: desk.token.Admin }),
      404,
    );
    const audit = await expectStatus(
      t.call("GET", "/api/v1/admin/audit?limit=100", { token: desk.token.Admin }),
      200,
    );
    const actions = audit.data.filter((e: { targetId: string }) => e.targetId === live.id)
      .map((e: { action: string }) => e.action).sort();
    assert.deepEqual(actions, ["api_key.created", "api_key.revoked"]);
    assert.ok(!JSON.stringify(audit).includes(live.key), "no key in the audit log");
  } finally {
    await t.close();
  }
});

Deno.test("/api-keys: validation and Admin only", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    for (
      const json of [
        { name: "x", scopes: [] },
        { name: "x", scopes: ["everything:write"] },
        { name: "", scopes: ["queries:read"] },
        { name: "x", scopes: ["queries:read"], secretHash: "mine" },
        { name: "x", scopes: ["queries:read"], expiresAt: "tomorrow" },
        { name: "x", scopes: ["queries:read"], expiresAt: "2020-01-01T00:00:00Z" },
      ]
    ) {
      await expectStatus(
        t.call("POST", "/api/v1/api-keys", { token: desk.token.Admin, json }),
        400,
      );
    }
    for (const role of ["TL", "QA", "Agent", "Customer"] as const) {
      await expectStatus(t.call("GET", "/api/v1/api-keys", { token: desk.token[role] }), 403);
      await expectStatus(
        t.call("POST", "/api/v1/api-keys", {
          token: desk.token[role],
          json: { name: "x", scopes: ["queries:read"] },
        }),
        403,
      );
    }
  } finally {
    await t.close();
  }
});
