import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import { aTenant, cookieValue, password } from "@tests/helpers/identity.ts";

Deno.test("POST /auth/login returns a top-level token, the user, and HttpOnly cookies", async () => {
  const t = await testApp();
  try {
    const { users } = await aTenant(t);
    const res = await t.call("POST", "/api/v1/auth/login", {
      json: { email: users.Agent.email.toUpperCase(), password },
    });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(typeof body.token, "string");
    assert.equal(body.user.id, users.Agent.id);
    assert.equal(body.user.passwordHash, undefined);
    assert.ok(body.user.lastLoginAt);
    const cookies = res.headers.getSetCookie();
    const access = cookies.find((c) => c.startsWith("token="))!;
    assert.match(access, /HttpOnly/);
    assert.match(access, /SameSite=Strict/);
    assert.doesNotMatch(access, /Secure/);
    assert.equal(cookieValue(res, "token"), body.token);
    assert.match(cookies.find((c) => c.startsWith("refresh_token="))!, /Path=\/api\/v1\/auth/);
    const me = await t.call("GET", "/api/v1/auth/me", { token: body.token });
    assert.equal(me.status, 200);
    assert.equal((await me.json()).user.email, users.Agent.email);
    const byCookie = await t.call("GET", "/api/v1/auth/me", {
      headers: { cookie: `token=${body.token}` },
    });
    assert.equal(byCookie.status, 200);
  } finally {
    await t.close();
  }
});

Deno.test("POST /auth/login answers the same 401 for a wrong email and a wrong password", async () => {
  const t = await testApp();
  try {
    const { users } = await aTenant(t);
    const wrongPassword = await t.call("POST", "/api/v1/auth/login", {
      json: { email: users.Agent.email, password: "not the password" },
    });
    const wrongEmail = await t.call("POST", "/api/v1/auth/login", {
      json: { email: "nobody@example.com", password: "not the password" },
    });
    assert.equal(wrongPassword.status, 401);
    assert.equal(wrongEmail.status, 401);
    const a = await wrongPassword.json();
    const b = await wrongEmail.json();
    assert.equal(a.error.message, "Invalid email or password");
    assert.equal(a.error.message, b.error.message);
    assert.equal(a.error.code, b.error.code);
  } finally {
    await t.close();
  }
});

Deno.test("POST /auth/login rejects unknown fields, operator values and bad coordinates", async () => {
  const t = await testApp();
  try {
    const cases: unknown[] = [
      { email: "a@example.com", password: "x", role: "Admin" },
      { email: { $gt: "" }, password: "x" },
      { email: "a@example.com", password: { $ne: null } },
      { email: "a@example.com", password: "x", latitude: 91, longitude: 0 },
      { email: "a@example.com", password: "x", latitude: 0, longitude: -181 },
      { email: "a@example.com", password: "x", latitude: "north", longitude: 0 },
      { email: "a@example.com", password: "x", latitude: 10 },
    ];
    for (const json of cases) {
      const res = await t.call("POST", "/api/v1/auth/login", { json });
      assert.equal(res.status, 400, JSON.stringify(json));
      assert.equal((await res.json()).error.code, "VALIDATION_FAILED");
    }
  } finally {
    await t.close();
  }
});

Deno.test("a deactivated account or organization cannot log in", async () => {
  const t = await testApp();
  try {
    const { org, users } = await aTenant(t);
    const now = t.deps.clock.now().toISOString();
    await t.deps.store.users.update(org.id, users.TL.id, { active: false }, now);
    const tl = await t.call("POST", "/api/v1/auth/login", {
      json: { email: users.TL.email, password },
    });
    assert.equal(tl.status, 403);
    await t.deps.store.organizations.update(org.id, { active: false }, now);
    const agent = await t.call("POST", "/api/v1/auth/login", {
      json: { email: users.Agent.email, password },
    });
    assert.equal(agent.status, 403);
    assert.equal((await agent.json()).error.message, "This organization is deactivated");
  } finally {
    await t.close();
  }
});
