import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import { aTenant, login, password, type Tenant, tokensOf } from "@tests/helpers/identity.ts";

type T = Awaited<ReturnType<typeof testApp>>;

/** Everything tenant B has that tenant A's calls could touch. */
async function snapshot(t: T, b: Tenant) {
  const all = { page: 1, limit: 100 };
  return JSON.stringify({
    org: await t.deps.store.organizations.findById(b.org.id),
    users: await t.deps.store.users.list(b.org.id, {}, all),
    rules: await t.deps.store.ipRules.all(b.org.id),
    attempts: await t.deps.store.loginAttempts.list(b.org.id, {}, all),
    audit: await t.deps.store.audit.list(b.org.id, {}, all),
  });
}

/** Every identity route that names an object, aimed at tenant B's objects. */
function routesOnB(b: Tenant, ruleId: string) {
  const agent = b.users.Agent.id;
  const org = b.org.id;
  return [
    ["GET", `/api/v1/admin/agents/${agent}`],
    ["PUT", `/api/v1/admin/agents/${agent}`, { name: "pwned", active: false }],
    ["DELETE", `/api/v1/admin/agents/${agent}`],
    ["PUT", `/api/v1/admin/agents/${b.users.TL.id}`, { role: "Agent" }],
    ["DELETE", `/api/v1/ip-whitelist/${ruleId}`],
    ["GET", `/api/v1/superadmin/organizations/${org}`],
    ["PUT", `/api/v1/superadmin/organizations/${org}`, { name: "pwned" }],
    ["DELETE", `/api/v1/superadmin/organizations/${org}`],
    ["GET", `/api/v1/superadmin/organizations/${org}/location-access`],
    ["GET", `/api/v1/superadmin/organizations/${org}/location/history`],
    ["PUT", `/api/v1/superadmin/organizations/${org}/location-access/toggle`, { enforce: true }],
    ["GET", `/api/v1/superadmin/organizations/${org}/audit`],
    ["GET", "/api/v1/superadmin/organizations"],
    ["POST", "/api/v1/superadmin/organizations", {
      name: "x",
      admin: { name: "x", email: "x@x.test", password },
    }],
    ["GET", "/api/v1/superadmin/audit"],
  ] as const;
}

/** Routes scoped to the caller's own tenant, with fields that try to name tenant B. */
function ownTenantRoutes(b: Tenant) {
  return [
    ["GET", `/api/v1/admin/agents?organizationId=${b.org.id}`],
    ["POST", "/api/v1/admin/agents", {
      name: "x",
      email: "new@x.test",
      password,
      role: "Agent",
      organizationId: b.org.id,
    }],
    ["GET", "/api/v1/admin/organization"],
    ["PUT", "/api/v1/admin/organization", { name: "A renamed" }],
    ["GET", "/api/v1/admin/location-access"],
    ["PUT", "/api/v1/admin/location-access/toggle", { enforce: false }],
    ["GET", "/api/v1/admin/audit"],
    ["GET", "/api/v1/location/history"],
    ["POST", "/api/v1/location/validate", { latitude: 1, longitude: 1 }],
    ["GET", "/api/v1/ip-whitelist"],
    ["POST", "/api/v1/ip-whitelist", { value: "0.0.0.0/0" }],
    ["GET", "/api/v1/auth/me"],
    ["PUT", "/api/v1/auth/update-profile", { name: "Me" }],
  ] as const;
}

Deno.test("tenant matrix: every role of tenant A on tenant B's objects gets 403/404, B unchanged", async () => {
  const t = await testApp();
  try {
    const a = await aTenant(t, "Alpha");
    const b = await aTenant(t, "Beta");
    const bAdmin = await login(t, b.users.Admin.email);
    const rule = await t.call("POST", "/api/v1/ip-whitelist", {
      token: bAdmin,
      json: { value: "0.0.0.0/0" },
    });
    const ruleId = (await rule.json()).entry.id;
    const tokens = await tokensOf(t, a);
    const before = await snapshot(t, b);
    const bIds = [b.org.id, ...Object.values(b.users).map((u) => u.id), ruleId];

    for (const [role, token] of Object.entries(tokens)) {
      for (const [method, path, json] of routesOnB(b, ruleId)) {
        const res = await t.call(method, path, { token, ...(json ? { json } : {}) });
        assert.ok(
          res.status === 403 || res.status === 404,
          `${role} ${method} ${path} answered ${res.status}`,
        );
        const text = await res.text();
        for (const id of bIds) {
          assert.ok(!text.includes(id) || path.includes(id), `${role} ${path}`);
        }
      }
      for (const [method, path, json] of ownTenantRoutes(b)) {
        const res = await t.call(method, path, { token, ...(json ? { json } : {}) });
        const text = await res.text();
        assert.ok(res.status < 500, `${role} ${method} ${path} answered ${res.status}`);
        for (const id of bIds) {
          assert.ok(!text.includes(id), `${role} ${method} ${path} leaked ${id}: ${text}`);
        }
      }
    }
    assert.equal(await snapshot(t, b), before, "tenant B is unchanged");
    const bLogin = await t.call("POST", "/api/v1/auth/login", {
      json: { email: b.users.Agent.email, password },
    });
    assert.equal(bLogin.status, 200);
  } finally {
    await t.close();
  }
});

Deno.test("tenant matrix: an Admin's own-tenant writes land in their own tenant only", async () => {
  const t = await testApp();
  try {
    const a = await aTenant(t, "Alpha");
    const b = await aTenant(t, "Beta");
    const admin = await login(t, a.users.Admin.email);
    const res = await t.call("POST", "/api/v1/admin/agents", {
      token: admin,
      json: { name: "New", email: "new.agent@x.test", password, role: "QA" },
    });
    assert.equal(res.status, 201);
    assert.equal((await res.json()).agent.organizationId, a.org.id);
    const list = await t.call("GET", "/api/v1/admin/agents?limit=100", { token: admin });
    const ids = (await list.json()).data.map((u: { id: string }) => u.id);
    assert.ok(!ids.includes(b.users.Agent.id));
    assert.ok(ids.includes(a.users.Agent.id));
  } finally {
    await t.close();
  }
});

/** The identity operations this matrix covers, or that act on the caller alone. */
const covered = new Set([
  "post /api/v1/auth/register",
  "post /api/v1/auth/login",
  "post /api/v1/auth/refresh",
  "post /api/v1/auth/logout",
  "get /api/v1/auth/me",
  "get /api/v1/auth/me/avatar",
  "put /api/v1/auth/update-profile",
  "post /api/v1/auth/forgot-password",
  "post /api/v1/auth/reset-password",
  "get /api/v1/superadmin/organizations",
  "post /api/v1/superadmin/organizations",
  "get /api/v1/superadmin/organizations/{id}",
  "put /api/v1/superadmin/organizations/{id}",
  "delete /api/v1/superadmin/organizations/{id}",
  "get /api/v1/superadmin/organizations/{orgId}/location-access",
  "get /api/v1/superadmin/organizations/{orgId}/location/history",
  "put /api/v1/superadmin/organizations/{orgId}/location-access/toggle",
  "get /api/v1/superadmin/audit",
  "get /api/v1/superadmin/organizations/{orgId}/audit",
  "get /api/v1/admin/organization",
  "put /api/v1/admin/organization",
  "get /api/v1/admin/agents",
  "post /api/v1/admin/agents",
  "get /api/v1/admin/agents/{id}",
  "put /api/v1/admin/agents/{id}",
  "delete /api/v1/admin/agents/{id}",
  "get /api/v1/admin/location-access",
  "put /api/v1/admin/location-access/toggle",
  "get /api/v1/admin/audit",
  "post /api/v1/location/validate",
  "get /api/v1/location/history",
  "get /api/v1/ip-whitelist",
  "post /api/v1/ip-whitelist",
  "delete /api/v1/ip-whitelist/{id}",
]);

Deno.test("/superadmin routes refuse an Admin even for their own organization", async () => {
  const t = await testApp();
  try {
    const a = await aTenant(t, "Alpha");
    const admin = await login(t, a.users.Admin.email);
    for (
      const path of [
        `/api/v1/superadmin/organizations/${a.org.id}`,
        `/api/v1/superadmin/organizations/${a.org.id}/location-access`,
        `/api/v1/superadmin/organizations/${a.org.id}/audit`,
      ]
    ) {
      assert.equal((await t.call("GET", path, { token: admin })).status, 403, path);
    }
  } finally {
    await t.close();
  }
});

Deno.test("tenant matrix: covers every identity route in /openapi.json", async () => {
  const t = await testApp();
  try {
    const doc = await (await t.call("GET", "/openapi.json")).json();
    const tags = new Set(["auth", "superadmin", "admin", "location", "access"]);
    const missing: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths as Record<string, object>)) {
      for (const [method, op] of Object.entries(ops as Record<string, { tags?: string[] }>)) {
        const mine = op.tags?.some((tag) => tags.has(tag));
        if (mine && !covered.has(`${method} ${path}`)) missing.push(`${method} ${path}`);
      }
    }
    assert.deepEqual(missing, []);
  } finally {
    await t.close();
  }
});

/** Every webhook route, aimed at tenant B's endpoint and delivery. */
function webhookRoutesOnB(hookId: string, deliveryId: string) {
  return [
    ["GET", `/api/v1/webhooks/${hookId}`],
    ["PUT", `/api/v1/webhooks/${hookId}`, { url: "https://evil.example/x", active: true }],
    ["DELETE", `/api/v1/webhooks/${hookId}`],
    ["POST", `/api/v1/webhooks/${hookId}/rotate-secret`],
    ["GET", `/api/v1/webhooks/${hookId}/deliveries`],
    ["POST", `/api/v1/webhooks/${hookId}/deliveries/${deliveryId}/retry`],
    ["POST", `/api/v1/webhooks/${hookId}/test`],
  ] as const;
}

const webhookRoutes = new Set([
  "get /api/v1/webhooks",
  "post /api/v1/webhooks",
  "get /api/v1/webhooks/{id}",
  "put /api/v1/webhooks/{id}",
  "delete /api/v1/webhooks/{id}",
  "post /api/v1/webhooks/{id}/rotate-secret",
  "get /api/v1/webhooks/{id}/deliveries",
  "post /api/v1/webhooks/{id}/deliveries/{deliveryId}/retry",
  "post /api/v1/webhooks/{id}/test",
]);

Deno.test("tenant matrix: another organization's Admin gets 404 on every webhook route, B unchanged", async () => {
  const t = await testApp();
  try {
    const a = await aTenant(t, "Alpha");
    const b = await aTenant(t, "Beta");
    const bAdmin = await login(t, b.users.Admin.email);
    const made = await t.call("POST", "/api/v1/webhooks", {
      token: bAdmin,
      json: { url: "https://hooks.beta.example/in" },
    });
    assert.equal(made.status, 201);
    const hook = await made.json();
    const opened = await t.call("POST", "/api/v1/queries", {
      token: await login(t, b.users.Customer.email),
      json: { title: "Beta's query", description: "Only Beta sees this" },
    });
    assert.equal(opened.status, 201);
    const [delivery] = (await t.services.webhooks.deliveries(b.org.id, hook.id, {
      page: 1,
      limit: 10,
    })).data;
    assert.ok(delivery);
    const docs = (name: "webhooks" | "webhook_deliveries") =>
      t.deps.store.documents(name).find(b.org.id, { sort: [], page: { page: 1, limit: 100 } });
    const before = JSON.stringify([await docs("webhooks"), await docs("webhook_deliveries")]);

    for (const [role, token] of Object.entries(await tokensOf(t, a))) {
      for (const [method, path, json] of webhookRoutesOnB(hook.id, delivery.id)) {
        const res = await t.call(method, path, { token, ...(json ? { json } : {}) });
        const expected = role === "Admin" ? 404 : 403;
        assert.equal(res.status, expected, `${role} ${method} ${path}`);
        assert.ok(!(await res.text()).includes(b.org.id), `${role} ${method} ${path}`);
      }
      const list = await t.call("GET", "/api/v1/webhooks", { token });
      const text = await list.text();
      assert.ok(!text.includes(hook.id), `${role} sees B's webhook: ${text}`);
    }
    assert.equal(
      JSON.stringify([await docs("webhooks"), await docs("webhook_deliveries")]),
      before,
      "tenant B's webhooks and deliveries are unchanged",
    );
    const doc = await (await t.call("GET", "/openapi.json")).json();
    const missing: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths as Record<string, object>)) {
      for (const [method, op] of Object.entries(ops as Record<string, { tags?: string[] }>)) {
        if (op.tags?.includes("Webhooks") && !webhookRoutes.has(`${method} ${path}`)) {
          missing.push(`${method} ${path}`);
        }
      }
    }
    assert.deepEqual(missing, []);
  } finally {
    await t.close();
  }
});

Deno.test("tenant matrix: another organization's Admin cannot see or revoke an API key; covers every API-key route", async () => {
  const t = await testApp();
  try {
    const a = await aTenant(t, "Alpha");
    const b = await aTenant(t, "Beta");
    const bAdmin = await login(t, b.users.Admin.email);
    const made = await t.call("POST", "/api/v1/api-keys", {
      token: bAdmin,
      json: { name: "Beta's CRM", scopes: ["queries:read"] },
    });
    assert.equal(made.status, 201);
    const key = await made.json();
    for (const [role, token] of Object.entries(await tokensOf(t, a))) {
      const res = await t.call("DELETE", `/api/v1/api-keys/${key.id}`, { token });
      assert.equal(res.status, role === "Admin" ? 404 : 403, role);
      await res.body?.cancel();
      const list = await t.call("GET", "/api/v1/api-keys", { token });
      assert.ok(!(await list.text()).includes(key.id), role);
    }
    assert.equal((await t.call("GET", "/api/v1/queries", { token: key.key })).status, 200);
    const doc = await (await t.call("GET", "/openapi.json")).json();
    const ops = Object.entries(doc.paths as Record<string, Record<string, { tags?: string[] }>>)
      .flatMap(([path, item]) =>
        Object.entries(item).filter(([, op]) => op.tags?.includes("API keys"))
          .map(([method]) => `${method} ${path}`)
      );
    assert.deepEqual(ops.sort(), [
      "delete /api/v1/api-keys/{id}",
      "get /api/v1/api-keys",
      "post /api/v1/api-keys",
    ]);
  } finally {
    await t.close();
  }
});
