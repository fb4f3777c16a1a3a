import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import { aSuperAdmin, aTenant, login, password } from "@tests/helpers/identity.ts";

Deno.test("a SuperAdmin creates an organization whose Admin creates agents who log in", async () => {
  const t = await testApp();
  try {
    const root = await aSuperAdmin(t);
    const sa = await login(t, root.email);
    const created = await t.call("POST", "/api/v1/superadmin/organizations", {
      token: sa,
      json: {
        name: "Globex Support",
        admin: { name: "Gina Admin", email: "gina@globex.test", password },
      },
    });
    assert.equal(created.status, 201);
    const { organization, admin } = await created.json();
    assert.equal(organization.slug, "globex-support");
    assert.equal(admin.role, "Admin");
    assert.equal(admin.organizationId, organization.id);
    assert.equal(admin.passwordHash, undefined);

    const adminToken = await login(t, "gina@globex.test");
    const agent = await t.call("POST", "/api/v1/admin/agents", {
      token: adminToken,
      json: {
        name: "Al Agent",
        email: "al@globex.test",
        password,
        role: "Agent",
        team: "billing",
        skills: [{ name: "refunds", level: 3 }],
        maxConcurrentQueries: 4,
      },
    });
    assert.equal(agent.status, 201);
    const al = (await agent.json()).agent;
    assert.equal(al.team, "billing");
    const alToken = await login(t, "al@globex.test");
    const me = await t.call("GET", "/api/v1/auth/me", { token: alToken });
    assert.equal((await me.json()).user.organizationId, organization.id);

    const list = await t.call("GET", "/api/v1/admin/agents?skill=refunds", { token: adminToken });
    const page = await list.json();
    assert.deepEqual(page.meta, { total: 1, page: 1, limit: 20 });
    assert.equal(page.data[0].id, al.id);

    const orgs = await t.call("GET", "/api/v1/superadmin/organizations", { token: sa });
    assert.equal((await orgs.json()).meta.total, 1);

    const dup = await t.call("POST", "/api/v1/superadmin/organizations", {
      token: sa,
      json: {
        name: "Other",
        slug: organization.slug,
        admin: { name: "G", email: "gina@other.test", password },
      },
    });
    assert.equal(dup.status, 409);
    assert.equal((await t.deps.store.organizations.list({}, { page: 1, limit: 10 })).total, 1);
    // An email is unique within its organization: Gina may run a second one too.
    const second = await t.call("POST", "/api/v1/superadmin/organizations", {
      token: sa,
      json: { name: "Other", admin: { name: "G", email: "gina@globex.test", password } },
    });
    assert.equal(second.status, 201);
    assert.equal((await t.deps.store.organizations.list({}, { page: 1, limit: 10 })).total, 2);
  } finally {
    await t.close();
  }
});

Deno.test("DELETE /superadmin/organizations/:id deactivates: logins and tokens stop, data stays", async () => {
  const t = await testApp();
  try {
    const sa = await login(t, (await aSuperAdmin(t)).email);
    const { org, users } = await aTenant(t);
    const agentToken = await login(t, users.Agent.email);
    const del = await t.call("DELETE", `/api/v1/superadmin/organizations/${org.id}`, {
      token: sa,
    });
    assert.equal(del.status, 200);
    assert.equal((await del.json()).organization.active, false);
    const me = await t.call("GET", "/api/v1/auth/me", { token: agentToken });
    assert.equal(me.status, 403);
    const relog = await t.call("POST", "/api/v1/auth/login", {
      json: { email: users.Admin.email, password },
    });
    assert.equal(relog.status, 403);
    assert.ok(await t.deps.store.users.findById(org.id, users.Agent.id));
    const back = await t.call("PUT", `/api/v1/superadmin/organizations/${org.id}`, {
      token: sa,
      json: { active: true, name: "Renamed" },
    });
    assert.equal(back.status, 200);
    assert.equal((await back.json()).organization.name, "Renamed");
    await login(t, users.Admin.email);
    const missing = await t.call("DELETE", "/api/v1/superadmin/organizations/nope", { token: sa });
    assert.equal(missing.status, 404);
  } finally {
    await t.close();
  }
});

Deno.test("only a SuperAdmin reaches /superadmin routes", async () => {
  const t = await testApp();
  try {
    const { users } = await aTenant(t);
    for (const user of Object.values(users)) {
      const token = await login(t, user.email);
      const res = await t.call("GET", "/api/v1/superadmin/organizations", { token });
      assert.equal(res.status, 403, user.role);
    }
    const anonymous = await t.call("GET", "/api/v1/superadmin/organizations");
    assert.equal(anonymous.status, 401);
  } finally {
    await t.close();
  }
});
