import assert from "node:assert/strict";
import { fixedClock } from "@/clock.ts";
import { testApp } from "@tests/helpers/app.ts";
import { aTenant, cookieValue, password } from "@tests/helpers/identity.ts";

async function loginFull(t: Awaited<ReturnType<typeof testApp>>, email: string) {
  const res = await t.call("POST", "/api/v1/auth/login", { json: { email, password } });
  assert.equal(res.status, 200);
  return { token: (await res.json()).token as string, refresh: cookieValue(res, "refresh_token")! };
}

Deno.test("POST /auth/refresh rotates the cookie; a replayed one ends its session", async () => {
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

Deno.test("POST /auth/logout with a Bearer token alone ends its session's refresh token", async () => {
  const t = await testApp();
  try {
    const { users } = await aTenant(t);
    const { token, refresh } = await loginFull(t, users.Agent.email);
    const other = await loginFull(t, users.Agent.email);
    const out = await t.call("POST", "/api/v1/auth/logout", { token });
    assert.equal(out.status, 200);
    const refreshed = await t.call("POST", "/api/v1/auth/refresh", {
      headers: { cookie: `refresh_token=${refresh}` },
    });
    assert.equal(refreshed.status, 401, "the session's refresh token ended with it");
    const me = await t.call("GET", "/api/v1/auth/me", { token: other.token });
    assert.equal(me.status, 200, "another session of the same user goes on");
    const again = await t.call("POST", "/api/v1/auth/refresh", {
      headers: { cookie: `refresh_token=${other.refresh}` },
    });
    assert.equal(again.status, 200);
  } finally {
    await t.close();
  }
});

Deno.test("a password change ends every other session's access and refresh tokens", async () => {
  const t = await testApp();
  try {
    const { users } = await aTenant(t);
    const here = await loginFull(t, users.TL.email);
    const there = await loginFull(t, users.TL.email);
    const changed = await t.call("PUT", "/api/v1/auth/update-profile", {
      token: here.token,
      json: { currentPassword: password, newPassword: "a much better secret 42" },
    });
    assert.equal(changed.status, 200);
    const stolen = await t.call("GET", "/api/v1/auth/me", { token: there.token });
    assert.equal(stolen.status, 401);
    const stolenRefresh = await t.call("POST", "/api/v1/auth/refresh", {
      headers: { cookie: `refresh_token=${there.refresh}` },
    });
    assert.equal(stolenRefresh.status, 401);
    assert.equal((await t.call("GET", "/api/v1/auth/me", { token: here.token })).status, 200);
    const mine = await t.call("POST", "/api/v1/auth/refresh", {
      headers: { cookie: `refresh_token=${here.refresh}` },
    });
    assert.equal(mine.status, 200, "the session that changed it goes on");
  } finally {
    await t.close();
  }
});

Deno.test("a replayed refresh token ends its family's access tokens too, not other sessions", async () => {
  const t = await testApp();
  try {
    const { users } = await aTenant(t);
    const first = await loginFull(t, users.QA.email);
    const elsewhere = await loginFull(t, users.QA.email);
    const rotated = await t.call("POST", "/api/v1/auth/refresh", {
      headers: { cookie: `refresh_token=${first.refresh}` },
    });
    assert.equal(rotated.status, 200);
    const second = (await rotated.json()).token as string;
    assert.equal((await t.call("GET", "/api/v1/auth/me", { token: second })).status, 200);
    const replay = await t.call("POST", "/api/v1/auth/refresh", {
      headers: { cookie: `refresh_token=${first.refresh}` },
    });
    assert.equal(replay.status, 401);
    for (const token of [first.token, second]) {
      const res = await t.call("GET", "/api/v1/auth/me", { token });
      assert.equal(res.status, 401, "issued in the replayed family");
      await res.body?.cancel();
    }
    const other = await t.call("GET", "/api/v1/auth/me", { token: elsewhere.token });
    assert.equal(other.status, 200, "a session of another login is not that family");
  } finally {
    await t.close();
  }
});
