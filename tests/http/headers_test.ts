import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import { aTenant, cookieValue, login, password } from "@tests/helpers/identity.ts";

Deno.test("answers carrying tokens or account data are Cache-Control: no-store", async () => {
  const t = await testApp();
  try {
    const tenant = await aTenant(t);
    const email = tenant.users.Agent.email;
    const loggedIn = await t.call("POST", "/api/v1/auth/login", { json: { email, password } });
    assert.equal(loggedIn.status, 200);
    const { token } = await loggedIn.json();
    const refreshCookie = loggedIn.headers.getSetCookie().find((c) => /refresh/i.test(c));
    const name = refreshCookie?.split("=")[0] ?? "refreshToken";
    const refresh = cookieValue(loggedIn, name);
    assert.ok(refresh, "login sets the refresh cookie");
    const answers: [string, Response][] = [
      ["login", loggedIn],
      ["me", await t.call("GET", "/api/v1/auth/me", { token })],
      [
        "refresh",
        await t.call("POST", "/api/v1/auth/refresh", { headers: { cookie: `${name}=${refresh}` } }),
      ],
      [
        "failed login",
        await t.call("POST", "/api/v1/auth/login", { json: { email, password: "x" } }),
      ],
      [
        "email-config",
        await t.call("GET", "/api/v1/email-config", {
          token: await login(t, tenant.users.Admin.email),
        }),
      ],
    ];
    for (const [what, res] of answers) {
      if (!res.bodyUsed) await res.body?.cancel();
      assert.ok(res.status < 500, `${what}: ${res.status}`);
      assert.equal(res.headers.get("cache-control"), "no-store", what);
    }
  } finally {
    await t.close();
  }
});

Deno.test("/docs carries a Content-Security-Policy and sends HSTS only over HTTPS", async () => {
  const t = await testApp({ env: { TRUST_PROXY: "true" } });
  try {
    const plain = await t.call("GET", "/docs");
    await plain.body?.cancel();
    const csp = plain.headers.get("content-security-policy") ?? "";
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/, "only the app's own scripts, nothing inline");
    assert.match(csp, /object-src 'none'/);
    assert.match(csp, /frame-ancestors 'none'/);
    for (const path of ["/docs", "/docs/init.js", "/health/live"]) {
      const res = await t.call("GET", path);
      await res.body?.cancel();
      assert.equal(res.headers.get("strict-transport-security"), null, `${path} over HTTP`);
      const secure = await t.call("GET", path, { headers: { "x-forwarded-proto": "https" } });
      await secure.body?.cancel();
      assert.match(secure.headers.get("strict-transport-security") ?? "", /max-age=/, path);
    }
  } finally {
    await t.close();
  }
});

Deno.test("a wrong method on an existing path answers 405 with Allow; an unknown path 404", async () => {
  const t = await testApp();
  try {
    const cases: [string, string, number, string | null][] = [
      ["DELETE", "/api/v1/auth/me", 405, "GET, HEAD"],
      ["POST", "/health/live", 405, "GET, HEAD"],
      ["PATCH", "/api/v1/auth/login", 405, "POST"],
      ["DELETE", "/openapi.json", 405, "GET, HEAD"],
      ["GET", "/api/v1/nothing-here", 404, null],
      ["GET", "/docs/assets/missing.js", 404, null],
    ];
    for (const [method, path, status, allow] of cases) {
      const res = await t.call(method, path);
      const body = await res.json();
      assert.equal(res.status, status, `${method} ${path}: ${JSON.stringify(body)}`);
      assert.equal(res.headers.get("allow"), allow, `${method} ${path}`);
      assert.equal(body.error.code, status === 405 ? "METHOD_NOT_ALLOWED" : "NOT_FOUND");
    }
    // A path with parameters, behind authentication: every method registered for it.
    const tenant = await aTenant(t);
    const token = await login(t, tenant.users.Agent.email);
    const res = await t.call("PATCH", "/api/v1/queries/some-id", { token });
    await res.body?.cancel();
    assert.equal(res.status, 405);
    assert.deepEqual(res.headers.get("allow")?.split(", ").sort(), ["GET", "HEAD", "PUT"]);
  } finally {
    await t.close();
  }
});
