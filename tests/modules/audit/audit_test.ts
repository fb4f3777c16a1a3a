import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import { aSuperAdmin, aTenant, login } from "@tests/helpers/identity.ts";

Deno.test("GET /admin/audit lists the tenant's security events with actor, target, IP", async () => {
  const t = await testApp();
  try {
    const a = await aTenant(t, "Alpha");
    const b = await aTenant(t, "Beta");
    await t.call("POST", "/api/v1/auth/login", {
      json: { email: a.users.Agent.email, password: "wrong password" },
      ip: "198.51.100.20",
    });
    const admin = await login(t, a.users.Admin.email, {}, "198.51.100.21");
    await login(t, b.users.Admin.email);
    await t.call("POST", "/api/v1/ip-whitelist", { token: admin, json: { value: "0.0.0.0/0" } });

    const res = await t.call("GET", "/api/v1/admin/audit", { token: admin });
    assert.equal(res.status, 200);
    const page = await res.json();
    const actions = page.data.map((e: { action: string }) => e.action);
    assert.deepEqual([...actions].sort(), ["ip_rule.added", "login.failure", "login.success"]);
    const byAction = (a: string) => page.data.find((e: { action: string }) => e.action === a);
    const [rule, success, failure] = ["ip_rule.added", "login.success", "login.failure"].map(
      byAction,
    );
    assert.equal(rule.actorId, a.users.Admin.id);
    assert.equal(rule.actorRole, "Admin");
    assert.equal(rule.details.value, "0.0.0.0/0");
    assert.equal(success.ip, "198.51.100.21");
    assert.equal(failure.targetId, a.users.Agent.id);
    assert.equal(failure.details.reason, "UNAUTHORIZED");
    assert.equal(failure.ip, "198.51.100.20");
    assert.equal(JSON.stringify(page).includes("wrong password"), false);
    const filtered = await t.call("GET", "/api/v1/admin/audit?action=login.failure", {
      token: admin,
    });
    assert.equal((await filtered.json()).meta.total, 1);
    const agent = await login(t, a.users.Agent.email);
    assert.equal((await t.call("GET", "/api/v1/admin/audit", { token: agent })).status, 403);
  } finally {
    await t.close();
  }
});

Deno.test("GET /superadmin/audit sees every tenant; /organizations/:orgId/audit one", async () => {
  const t = await testApp();
  try {
    const sa = await login(t, (await aSuperAdmin(t)).email);
    const a = await aTenant(t, "Alpha");
    const b = await aTenant(t, "Beta");
    await login(t, a.users.TL.email);
    await login(t, b.users.TL.email);
    const all = await (await t.call("GET", "/api/v1/superadmin/audit?limit=100", { token: sa }))
      .json();
    const orgs = new Set(all.data.map((e: { organizationId: string | null }) => e.organizationId));
    assert.ok(orgs.has(a.org.id) && orgs.has(b.org.id) && orgs.has(null));
    const one = await (await t.call("GET", `/api/v1/superadmin/organizations/${b.org.id}/audit`, {
      token: sa,
    })).json();
    assert.deepEqual(one.data.map((e: { organizationId: string }) => e.organizationId), [b.org.id]);
    const admin = await login(t, a.users.Admin.email);
    const denied = await t.call("GET", "/api/v1/superadmin/audit", { token: admin });
    assert.equal(denied.status, 403);
    const sneaky = await t.call("GET", `/api/v1/admin/audit?organizationId=${b.org.id}`, {
      token: admin,
    });
    assert.ok(
      (await sneaky.json()).data.every((e: { organizationId: string }) =>
        e.organizationId === a.org.id
      ),
    );
  } finally {
    await t.close();
  }
});
