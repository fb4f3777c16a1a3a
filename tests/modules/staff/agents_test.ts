import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import { aTenant, login, password } from "@tests/helpers/identity.ts";

Deno.test("an Admin cannot create or edit an Admin or SuperAdmin through /admin/agents", async () => {
  const t = await testApp();
  try {
    const { users } = await aTenant(t);
    const token = await login(t, users.Admin.email);
    for (const role of ["Admin", "SuperAdmin", "Customer"]) {
      const res = await t.call("POST", "/api/v1/admin/agents", {
        token,
        json: { name: "X", email: `${role}@x.test`, password, role },
      });
      assert.equal(res.status, 400, role);
    }
    const promote = await t.call("PUT", `/api/v1/admin/agents/${users.Agent.id}`, {
      token,
      json: { role: "Admin" },
    });
    assert.equal(promote.status, 400);
    const otherAdmin = await t.call("PUT", `/api/v1/admin/agents/${users.Admin.id}`, {
      token,
      json: { name: "Renamed" },
    });
    assert.equal(otherAdmin.status, 404);
  } finally {
    await t.close();
  }
});

Deno.test("PUT and DELETE /admin/agents/:id change role and status, audited; history stays", async () => {
  const t = await testApp();
  try {
    const { org, users } = await aTenant(t);
    const token = await login(t, users.Admin.email);
    const up = await t.call("PUT", `/api/v1/admin/agents/${users.Agent.id}`, {
      token,
      json: { role: "TL", skills: [{ name: "vip", level: 5 }] },
    });
    assert.equal(up.status, 200);
    assert.equal((await up.json()).agent.role, "TL");
    const del = await t.call("DELETE", `/api/v1/admin/agents/${users.Agent.id}`, { token });
    assert.equal(del.status, 200);
    assert.equal((await del.json()).agent.active, false);
    const stored = await t.deps.store.users.findById(org.id, users.Agent.id);
    assert.equal(stored?.active, false);
    const relog = await t.call("POST", "/api/v1/auth/login", {
      json: { email: users.Agent.email, password },
    });
    assert.equal(relog.status, 403);
    const audit = await t.call("GET", "/api/v1/admin/audit", { token });
    const actions = (await audit.json()).data.map((e: { action: string }) => e.action);
    for (const a of ["user.role_changed", "user.status_changed", "user.updated", "login.denied"]) {
      assert.ok(actions.includes(a), a);
    }
    const tlToken = await login(t, users.TL.email);
    const read = await t.call("GET", "/api/v1/admin/agents", { token: tlToken });
    assert.equal(read.status, 200);
    const write = await t.call("DELETE", `/api/v1/admin/agents/${users.QA.id}`, { token: tlToken });
    assert.equal(write.status, 403);
  } finally {
    await t.close();
  }
});

Deno.test("GET/PUT /admin/organization reads and renames the caller's own", async () => {
  const t = await testApp();
  try {
    const { org, users } = await aTenant(t);
    const token = await login(t, users.Admin.email);
    const get = await t.call("GET", "/api/v1/admin/organization", { token });
    assert.equal((await get.json()).organization.id, org.id);
    const put = await t.call("PUT", "/api/v1/admin/organization", {
      token,
      json: { name: "New Name", timezone: "Europe/Paris" },
    });
    assert.equal(put.status, 200);
    const after = (await put.json()).organization;
    assert.equal(after.name, "New Name");
    assert.equal(after.settings.timezone, "Europe/Paris");
    const bad = await t.call("PUT", "/api/v1/admin/organization", {
      token,
      json: { timezone: "Mars/Olympus" },
    });
    assert.equal(bad.status, 400);
    const slug = await t.call("PUT", "/api/v1/admin/organization", {
      token,
      json: { slug: "mine", active: false },
    });
    assert.equal(slug.status, 400, "an Admin cannot re-slug or deactivate");
  } finally {
    await t.close();
  }
});

Deno.test("deactivating or re-roling an agent ends the sessions they already have", async () => {
  const t = await testApp();
  try {
    const { users } = await aTenant(t);
    const admin = await login(t, users.Admin.email);
    const agentToken = await login(t, users.Agent.email);
    const tlToken = await login(t, users.TL.email);
    assert.equal((await t.call("GET", "/api/v1/admin/agents", { token: tlToken })).status, 200);
    await t.call("PUT", `/api/v1/admin/agents/${users.TL.id}`, {
      token: admin,
      json: { role: "Agent" },
    });
    const stale = await t.call("GET", "/api/v1/admin/agents", { token: tlToken });
    assert.equal(stale.status, 401, "the TL token of a demoted user is refused");
    const fresh = await login(t, users.TL.email);
    assert.equal((await t.call("GET", "/api/v1/admin/agents", { token: fresh })).status, 403);

    await t.call("DELETE", `/api/v1/admin/agents/${users.Agent.id}`, { token: admin });
    assert.equal((await t.call("GET", "/api/v1/auth/me", { token: agentToken })).status, 401);
    assert.equal((await t.call("GET", "/api/v1/auth/me", { token: admin })).status, 200);
  } finally {
    await t.close();
  }
});

Deno.test("GET /admin/agents refuses a repeated query parameter", async () => {
  const t = await testApp();
  try {
    const { users } = await aTenant(t);
    const admin = await login(t, users.Admin.email);
    const res = await t.call("GET", "/api/v1/admin/agents?role=TL&role=QA", { token: admin });
    assert.equal(res.status, 400);
  } finally {
    await t.close();
  }
});
