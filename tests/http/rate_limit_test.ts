import assert from "node:assert/strict";
import { skipRedis, startRedis } from "@tests/helpers/redis.ts";
import { testApp } from "@tests/helpers/app.ts";
import { aTenant, login, password } from "@tests/helpers/identity.ts";

/** Two app instances over one SQLite file and one real Redis, as two API processes run. */
async function twoInstances(env: Record<string, string>) {
  const redis = await startRedis();
  const dataDir = await Deno.makeTempDir({ prefix: "chatcrm-rl-" });
  const shared = { ...env, REDIS_URL: redis.url };
  const a = await testApp({ dataDir, env: shared });
  const b = await testApp({ dataDir, env: shared });
  return {
    a,
    b,
    async close() {
      await a.close();
      await b.close();
      await redis.stop();
      await Deno.remove(dataDir, { recursive: true });
    },
  };
}

Deno.test({
  name: "the API rate limit is shared by two instances through Redis: 429 with Retry-After",
  ignore: skipRedis,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { a, b, close } = await twoInstances({ RATE_LIMIT_MAX: "6" });
    try {
      for (let i = 0; i < 6; i++) {
        const res = await (i % 2 ? b : a).call("GET", "/api/v1/auth/me", { ip: "198.51.100.7" });
        assert.equal(res.status, 401);
        // The RateLimit-* headers show once nine tenths of the window are used.
        assert.equal(res.headers.get("ratelimit-remaining"), i === 5 ? "0" : null);
      }
      for (const app of [a, b]) {
        const res = await app.call("GET", "/api/v1/auth/me", { ip: "198.51.100.7" });
        assert.equal(res.status, 429);
        assert.equal((await res.json()).error.code, "RATE_LIMITED");
        const retry = Number(res.headers.get("retry-after"));
        assert.ok(retry > 0 && retry <= 900, String(retry));
      }
      const other = await b.call("GET", "/api/v1/auth/me", { ip: "198.51.100.8" });
      assert.equal(other.status, 401, "another address has its own count");
      const health = await a.call("GET", "/health/live", { ip: "198.51.100.7" });
      assert.equal(health.status, 200, "health checks are not rate limited");
    } finally {
      await close();
    }
  },
});

Deno.test({
  name: "10 failed logins per IP and email across instances, then 429 even with the password",
  ignore: skipRedis,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { a, b, close } = await twoInstances({});
    try {
      const { users } = await aTenant(a);
      const email = users.Agent.email;
      const attempt = (app: typeof a, pw: string, ip = "203.0.113.50", who = email) =>
        app.call("POST", "/api/v1/auth/login", { json: { email: who, password: pw }, ip });
      for (let i = 0; i < 10; i++) {
        assert.equal((await attempt(i % 2 ? b : a, "wrong password")).status, 401);
      }
      for (const app of [a, b]) {
        const blocked = await attempt(app, password);
        assert.equal(blocked.status, 429);
        assert.ok(Number(blocked.headers.get("retry-after")) > 0);
      }
      const denied = await a.deps.store.loginAttempts.list(users.Agent.organizationId!, {
        outcome: "denied",
      }, { page: 1, limit: 10 });
      assert.deepEqual(denied.data.map((x) => x.reason), ["RATE_LIMITED", "RATE_LIMITED"]);
      assert.equal((await attempt(b, password, "203.0.113.51")).status, 200, "other address");
      assert.equal(
        (await attempt(a, password, "203.0.113.50", users.TL.email)).status,
        200,
        "other email",
      );
    } finally {
      await close();
    }
  },
});

Deno.test("failed logins from one address across emails are limited too (password spraying)", async () => {
  const t = await testApp();
  try {
    const { users } = await aTenant(t);
    const spray = "198.51.100.30";
    const attempt = (email: string, pw: string, ip = spray) =>
      t.call("POST", "/api/v1/auth/login", { json: { email, password: pw }, ip });
    // LOGIN_IP_FAILURE_LIMIT is 20 by default: 20 emails, one wrong password each.
    for (let i = 0; i < 20; i++) {
      const res = await attempt(`victim-${i}@example.com`, "Summer2026!");
      assert.equal(res.status, 401, `email ${i}`);
      await res.body?.cancel();
    }
    for (const email of ["victim-21@example.com", users.Agent.email]) {
      const blocked = await attempt(email, password);
      assert.equal(blocked.status, 429, email);
      assert.ok(Number(blocked.headers.get("retry-after")) > 0);
    }
    assert.equal((await attempt(users.Agent.email, password, "198.51.100.31")).status, 200);
  } finally {
    await t.close();
  }
});

Deno.test("a successful login clears the failed-login count", async () => {
  const t = await testApp({ env: { LOGIN_FAILURE_LIMIT: "3" } });
  try {
    const { users } = await aTenant(t);
    const email = users.Agent.email;
    const attempt = (pw: string) =>
      t.call("POST", "/api/v1/auth/login", { json: { email, password: pw } });
    for (let round = 0; round < 2; round++) {
      assert.equal((await attempt("bad password")).status, 401);
      assert.equal((await attempt("bad password")).status, 401);
      assert.equal((await attempt(password)).status, 200);
    }
    for (let i = 0; i < 3; i++) await attempt("bad password");
    assert.equal((await attempt(password)).status, 429);
  } finally {
    await t.close();
  }
});

Deno.test({
  name: "a token revoked on one instance is refused by the other (Redis)",
  ignore: skipRedis,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { a, b, close } = await twoInstances({});
    try {
      const { users } = await aTenant(a);
      const res = await a.call("POST", "/api/v1/auth/login", {
        json: { email: users.QA.email, password },
      });
      const { token } = await res.json();
      assert.equal((await b.call("GET", "/api/v1/auth/me", { token })).status, 200);
      // b learns of the revocation from the bus: wait for that message, not for time.
      const heard = Promise.withResolvers<void>();
      const stop = await b.deps.bus.subscribe("auth:user-changed", () => heard.resolve());
      assert.equal((await a.call("POST", "/api/v1/auth/logout", { token })).status, 200);
      await heard.promise;
      await stop();
      const fresh = await testApp({
        dataDir: a.deps.config.dataDir,
        env: {
          REDIS_URL: a.deps.config.redisUrl!,
        },
      });
      try {
        assert.equal((await b.call("GET", "/api/v1/auth/me", { token })).status, 401);
        assert.equal((await fresh.call("GET", "/api/v1/auth/me", { token })).status, 401);
      } finally {
        await fresh.close();
      }
    } finally {
      await close();
    }
  },
});

Deno.test({
  name: "with Redis down the API still answers, its requests uncounted",
  ignore: skipRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const redis = await startRedis();
    const t = await testApp({ env: { REDIS_URL: redis.url, RATE_LIMIT_MAX: "2" } });
    try {
      const tenant = await aTenant(t);
      const token = await login(t, tenant.users.Admin.email);
      const before = await t.call("GET", "/api/v1/auth/me", { token });
      assert.equal(before.status, 200);
      assert.equal(before.headers.get("ratelimit-remaining"), "0", "the window is used up");
      await before.body?.cancel();
      await redis.restart(async () => {
        // Over the limit of two (login and the call before), had they been counted.
        for (let i = 0; i < 2; i++) {
          const during = await t.call("GET", "/api/v1/auth/me", { token });
          assert.equal(during.status, 200);
          assert.equal(during.headers.get("ratelimit-remaining"), null, "not counted");
          await during.body?.cancel();
        }
      });
      const after = await t.call("GET", "/api/v1/auth/me", { token });
      assert.equal(after.status, 200, "Redis is back (empty, it keeps nothing): counting anew");
      await after.body?.cancel();
    } finally {
      await t.close();
      await redis.stop();
    }
  },
});

Deno.test("signed-in requests count per user: one agent over the limit does not stop a colleague behind the same address", async () => {
  const t = await testApp({ env: { RATE_LIMIT_USER_MAX: "5", RATE_LIMIT_MAX: "1000" } });
  try {
    const tenant = await aTenant(t);
    const office = "203.0.113.50";
    const busy = await login(t, tenant.users.Agent.email, {}, office);
    const colleague = await login(t, tenant.users.TL.email, {}, office);
    for (let i = 0; i < 5; i++) {
      const res = await t.call("GET", "/api/v1/auth/me", { token: busy, ip: office });
      assert.equal(res.status, 200);
      await res.body?.cancel();
    }
    const over = await t.call("GET", "/api/v1/auth/me", { token: busy, ip: office });
    assert.equal(over.status, 429);
    assert.ok(Number(over.headers.get("retry-after")) > 0);
    await over.body?.cancel();
    const elsewhere = await t.call("GET", "/api/v1/auth/me", { token: busy, ip: "192.0.2.9" });
    assert.equal(elsewhere.status, 429, "the user's own count, from any address");
    await elsewhere.body?.cancel();
    for (let i = 0; i < 5; i++) {
      const res = await t.call("GET", "/api/v1/auth/me", { token: colleague, ip: office });
      assert.equal(res.status, 200, "the colleague on the same address has their own allowance");
      await res.body?.cancel();
    }
    assert.ok(password);
  } finally {
    await t.close();
  }
});
