import assert from "node:assert/strict";
import { join } from "node:path";
import { serve, testApp } from "@tests/helpers/app.ts";
import { responseChecker } from "@tests/helpers/openapi.ts";
import { aTenant, login } from "@tests/helpers/identity.ts";

/** The Redocly CLI the lint runs, pinned like every dependency (deno.json, deno.lock). */
const redocly = "npm:@redocly/cli@2.77.0";

type Operation = {
  operationId?: string;
  security?: unknown[];
  parameters?: { name: string; in: string }[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
};
type Doc = { servers?: unknown[]; paths: Record<string, Record<string, Operation>> };

async function servedDocument(): Promise<Doc> {
  const t = await testApp();
  try {
    return await (await t.call("GET", "/openapi.json")).json();
  } finally {
    await t.close();
  }
}

function operations(doc: Doc) {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ path, method, op }))
  );
}

Deno.test("Redocly lint (recommended rules) finds no error in the served /openapi.json", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chatcrm-openapi-" });
  try {
    const file = join(dir, "openapi.json");
    await Deno.writeTextFile(file, JSON.stringify(await servedDocument()));
    const { stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", redocly, "lint", "--format=json", file],
      env: { NO_COLOR: "1", REDOCLY_TELEMETRY: "off", RUST_BACKTRACE: "0" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(stdout);
    assert.ok(
      out.trim().startsWith("{"),
      `redocly printed no report:\n${new TextDecoder().decode(stderr)}`,
    );
    const report = JSON.parse(out) as {
      problems: { ruleId: string; severity: string; message: string; location: unknown }[];
    };
    const errors = report.problems.filter((p) => p.severity === "error");
    assert.deepEqual(errors, [], "no lint errors");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("/openapi.json: servers, a unique operationId and declared security on every operation", async () => {
  const doc = await servedDocument();
  assert.ok((doc.servers ?? []).length > 0, "servers");
  const ops = operations(doc);
  assert.ok(ops.length >= 95, `${ops.length} operations`);
  const ids = ops.map(({ op }) => op.operationId);
  assert.ok(ids.every(Boolean), "every operation has an operationId");
  assert.equal(new Set(ids).size, ids.length, "operationIds are unique");
  for (const { path, method, op } of ops) {
    assert.ok(Array.isArray(op.security), `${method} ${path} declares its security`);
  }
  const publicOps = ops.filter(({ op }) => op.security!.length === 0).map((o) => o.path);
  for (const path of ["/health/live", "/api/v1/auth/login", "/api/v1/auth/register"]) {
    assert.ok(publicOps.includes(path), `${path} is public (security: [])`);
  }
  assert.deepEqual(doc.paths["/api/v1/auth/me"]!.get!.security, [{ bearerAuth: [] }]);
});

Deno.test("/openapi.json: every path parameter is declared, also the orgId a mount adds", async () => {
  const doc = await servedDocument();
  const underOrg = operations(doc).filter(({ path }) =>
    path.startsWith("/api/v1/superadmin/organizations/{orgId}/")
  );
  // audit, location history and access, 7 email-config, 5 reports.
  assert.ok(underOrg.length >= 16, `${underOrg.length} operations under {orgId}`);
  for (const { path, method, op } of operations(doc)) {
    for (const [, name] of path.matchAll(/\{([^}]+)\}/g)) {
      const declared = op.parameters?.some((p) => p.in === "path" && p.name === name);
      assert.ok(declared, `${method} ${path} declares {${name}}`);
    }
  }
});

Deno.test("/openapi.json: each operation documents the errors its guards answer", async () => {
  const doc = await servedDocument();
  for (const { path, method, op } of operations(doc)) {
    const has = (status: number) => String(status) in op.responses;
    const where = `${method} ${path}`;
    assert.ok(has(400), `${where}: 400 (repeated query parameters, validation)`);
    if (path.startsWith("/api/v1/")) assert.ok(has(429), `${where}: 429`);
    if (op.security!.length > 0) assert.ok(has(401) && has(403), `${where}: 401 and 403`);
    if (method !== "get") assert.ok(has(413), `${where}: 413`);
    if (op.requestBody) assert.ok(has(415), `${where}: 415`);
    if (path.includes("{")) assert.ok(has(404), `${where}: 404`);
  }
});

Deno.test("the response check fails an answer that drifts from /openapi.json", async () => {
  const t = await testApp();
  try {
    const checker = await responseChecker(() => t.call("GET", "/openapi.json"));
    const live = "http://localhost/health/live";
    const json = (body: unknown, status = 200, type = "application/json") =>
      new Response(JSON.stringify(body), { status, headers: { "content-type": type } });
    assert.deepEqual(await checker.problems("GET", live, json({ status: "ok" })), []);
    const cases: [string, Response, RegExp][] = [
      ["a wrong value", json({ status: "dead" }), /status/],
      ["a missing field", json({}), /required/],
      ["an undocumented status", json({ status: "ok" }, 418), /418 is not documented/],
      ["an undocumented media type", json({ status: "ok" }, 200, "text/html"), /text\/html/],
    ];
    const login429 = "http://localhost/api/v1/auth/login";
    const limited = json({ error: { code: "RATE_LIMITED", message: "Too many" } }, 429);
    assert.match(
      (await checker.problems("POST", login429, limited)).join("; "),
      /retry-after/i,
      "a 429 without Retry-After",
    );
    for (const [what, response, problem] of cases) {
      const problems = await checker.problems("GET", live, response);
      assert.match(problems.join("; "), problem, what);
    }
    // An error answer must be the Error envelope.
    const login = "http://localhost/api/v1/auth/login";
    const bad = await checker.problems("POST", login, json({ message: "no" }, 401));
    assert.match(bad.join("; "), /required/);
    // A path that is not documented may only answer an error.
    const unknown = await checker.problems("GET", "http://localhost/nope", json({ ok: 1 }));
    assert.match(unknown.join("; "), /no documented operation/);
  } finally {
    await t.close();
  }
});

Deno.test("POST /location/validate answers place: null, as /openapi.json says it may", async () => {
  const t = await testApp();
  try {
    const tenant = await aTenant(t);
    const token = await login(t, tenant.users.Agent.email);
    // t.call checks the answer against the document: a place that may not be null fails here.
    const res = await t.call("POST", "/api/v1/location/validate", {
      token,
      json: { latitude: 48.85, longitude: 2.35 },
    });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).place, null);
  } finally {
    await t.close();
  }
});

Deno.test("answers of the guards are documented where they happen: 401, 403, 400, 413, 415, 429", async () => {
  const t = await testApp({ env: { RATE_LIMIT_MAX: "40", BODY_LIMIT_BYTES: "1024" } });
  try {
    const tenant = await aTenant(t);
    const agent = await login(t, tenant.users.Agent.email);
    // Each answer passes through t.call's check against /openapi.json.
    const cases: [string, string, Parameters<typeof t.call>[2], number][] = [
      ["GET", "/api/v1/queries", {}, 401],
      ["GET", "/api/v1/admin/agents", { token: agent }, 403],
      ["GET", "/api/v1/queries?page=1&page=2", { token: agent }, 400],
      ["POST", "/api/v1/queries", { token: agent, json: { title: "x".repeat(2000) } }, 413],
      ["POST", "/api/v1/queries", {
        token: agent,
        body: "title=x",
        headers: { "content-type": "text/plain" },
      }, 415],
    ];
    for (const [method, path, options, status] of cases) {
      const res = await t.call(method, path, options);
      assert.equal(res.status, status, `${method} ${path}: ${await res.text()}`);
    }
    let last = 0;
    for (let i = 0; i < 50 && last !== 429; i++) {
      const res = await t.call("GET", "/api/v1/auth/me", { token: agent });
      await res.body?.cancel();
      last = res.status;
    }
    assert.equal(last, 429);
  } finally {
    await t.close();
  }
});

Deno.test("an answer that drifts fails the test that receives it: t.call, app.request and serve()", async () => {
  const t = await testApp();
  // A route the document does not know, answering as if all were well.
  t.app.get("/undocumented", (c) => c.json({ ok: true }, 200));
  const server = serve(t.app);
  try {
    await assert.rejects(t.call("GET", "/undocumented"), /matches no documented operation/);
    await assert.rejects(
      Promise.resolve(t.app.request("/undocumented")),
      /matches no documented operation/,
    );
    const res = await fetch(`${server.url}/undocumented`);
    await res.body?.cancel();
    assert.equal(res.status, 500, "the served answer is refused");
  } finally {
    await assert.rejects(server.close(), /drift from \/openapi\.json/);
    await t.close();
  }
});
