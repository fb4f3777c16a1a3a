import assert from "node:assert/strict";
import { fixedClock } from "@/clock.ts";
import { testApp } from "@tests/helpers/app.ts";
import { aTenant, cookieValue, password } from "@tests/helpers/identity.ts";

async function loginFull(t: Awaited<ReturnType<typeof testApp>>, email: string) {
  const res = await t.call("POST", "/api/v1/auth/login", { json: { email, password } });
  assert.equal(res.status, 200);
  return { token: (await res.json()).token as string, refresh: cookieValue(res, "refresh_token")! };
}

Deno.test("POST /auth/refresh rotates the cookie; a replayed one ends every session", async () => {
  const t = await testApp();
  try {
    const { users } = await aTenant(t);
    const { refresh } = await loginFull(t, users.Agent.email);
    const first = await t.call("POST", "/api/v1/auth/refresh", {
      headers: { cookie: `refresh_token=${refresh}` },
    });
    assert.equal(first.status, 200);
    const body = await first.json();
    assert.equal(body.user.id, users.Agent.id);
    const rotated = cookieValue(first, "refresh_token")!;
    assert.ok(rotated && rotated !== refresh);
    const me = await t.call("GET", "/api/v1/auth/me", { token: body.token });
    assert.equal(me.status, 200);

    const replay = await t.call("POST", "/api/v1/auth/refresh", {
      headers: { cookie: `refresh_token=${refresh}` },
    });
    assert.equal(replay.status, 401);
    const afterReplay = await t.call("POST", "/api/v1/auth/refresh", {
      headers: { cookie: `refresh_token=${rotated}` },
    });
    assert.equal(afterReplay.status, 401, "the replay ended the rotated token too");
    const none = await t.call("POST", "/api/v1/auth/refresh");
    assert.equal(none.status, 401);
  } finally {
    await t.close();
  }
});

Deno.test("POST /auth/logout revokes the token and its refresh token", async () => {
  const t = await testApp();
  try {
    const { users } = await aTenant(t);
    const { token, refresh } = await loginFull(t, users.QA.email);
    const out = await t.call("POST", "/api/v1/auth/logout", {
      token,
      headers: { cookie: `refresh_token=${refresh}` },
    });
    assert.equal(out.status, 200);
    const cleared = out.headers.getSetCookie().find((c) => c.startsWith("token="))!;
    assert.match(cleared, /Max-Age=0/);
    const me = await t.call("GET", "/api/v1/auth/me", { token });
    assert.equal(me.status, 401);
    assert.equal((await me.json()).error.message, "Token has been revoked");
    const refreshed = await t.call("POST", "/api/v1/auth/refresh", {
      headers: { cookie: `refresh_token=${refresh}` },
    });
    assert.equal(refreshed.status, 401);
    const audit = await t.deps.store.audit.list(users.QA.organizationId, { action: "logout" }, {
      page: 1,
      limit: 5,
    });
    assert.equal(audit.total, 1);
  } finally {
    await t.close();
  }
});

Deno.test("a tampered, foreign or expired token is refused with 401", async () => {
  const clock = fixedClock("2026-03-01T09:00:00.000Z");
  const t = await testApp({ clock });
  try {
    const { users } = await aTenant(t);
    const { token } = await loginFull(t, users.Admin.email);
    const [h, p, s] = token.split(".");
    const payload = JSON.parse(atob(p!.replace(/-/g, "+").replace(/_/g, "/")));
    payload.role = "SuperAdmin";
    const forged = `${h}.${btoa(JSON.stringify(payload)).replace(/=+$/, "")}.${s}`;
    for (const bad of [forged, `${token}x`, "not-a-jwt", ""]) {
      const res = await t.call("GET", "/api/v1/auth/me", {
        headers: { authorization: `Bearer ${bad}` },
      });
      assert.equal(res.status, 401, bad);
    }
    clock.advance(60 * 60 * 1000 + 1000);
    const expired = await t.call("GET", "/api/v1/auth/me", { token });
    assert.equal(expired.status, 401);
  } finally {
    await t.close();
  }
});
