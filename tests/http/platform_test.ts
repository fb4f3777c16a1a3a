import assert from "node:assert/strict";
import type { LogFields, Logger } from "@/log.ts";
import { memoryBus } from "@/bus/memory.ts";
import { testApp } from "@tests/helpers/app.ts";

Deno.test("GET /health/live and /health/ready answer 200 on the embedded default", async () => {
  const t = await testApp();
  try {
    const live = await t.call("GET", "/health/live");
    assert.equal(live.status, 200);
    assert.deepEqual(await live.json(), { status: "ok" });
    const ready = await t.call("GET", "/health/ready");
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: "ready", checks: { store: "ok", bus: "ok" } });
  } finally {
    await t.close();
  }
});

Deno.test("GET /health/ready answers 503 naming the part that does not answer", async () => {
  const bus = { ...memoryBus(), ping: () => Promise.reject(new Error("connection refused")) };
  const t = await testApp({ bus });
  try {
    const res = await t.call("GET", "/health/ready");
    assert.equal(res.status, 503);
    const body = await res.json();
    assert.equal(body.status, "unavailable");
    assert.equal(body.checks.store, "ok");
    assert.equal(body.checks.bus, "error: connection refused");
  } finally {
    await t.close();
  }
});

Deno.test("an unknown route is a JSON 404 carrying the request id", async () => {
  const t = await testApp();
  try {
    const res = await t.call("GET", "/api/v1/nowhere");
    assert.equal(res.status, 404);
    const body = await res.json();
    assert.equal(body.error.code, "NOT_FOUND");
    assert.equal(body.error.message, "No route for GET /api/v1/nowhere");
    assert.ok(body.error.requestId);
    assert.equal(res.headers.get("x-request-id"), body.error.requestId);
  } finally {
    await t.close();
  }
});

Deno.test("a body over BODY_LIMIT_BYTES is refused with 413", async () => {
  const t = await testApp({ env: { BODY_LIMIT_BYTES: "2048" } });
  try {
    const res = await t.call("POST", "/api/v1/anything", { json: { text: "x".repeat(4096) } });
    assert.equal(res.status, 413);
    assert.equal((await res.json()).error.code, "PAYLOAD_TOO_LARGE");
    const small = await t.call("POST", "/api/v1/anything", { json: { text: "x" } });
    assert.equal(small.status, 404);
  } finally {
    await t.close();
  }
});

Deno.test("a repeated query parameter is refused with 400", async () => {
  const t = await testApp();
  try {
    const res = await t.call("GET", "/health/live?status=a&status=b");
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.error.code, "BAD_REQUEST");
    assert.equal(body.error.details[0].path, "status");
  } finally {
    await t.close();
  }
});

Deno.test("an unexpected error is a 500 that hides its message and stack", async () => {
  const lines: LogFields[] = [];
  const t = await testApp({ log: capture(lines) });
  t.app.get("/boom", () => {
    throw new Error("secret detail at /srv/app.ts:1");
  });
  try {
    const res = await t.call("GET", "/boom");
    assert.equal(res.status, 500);
    const text = await res.text();
    assert.ok(!text.includes("secret detail"));
    assert.equal(JSON.parse(text).error.code, "INTERNAL");
    assert.equal(lines.find((l) => l.msg === "unhandled error")?.path, "/boom");
  } finally {
    await t.close();
  }
});

Deno.test("secure headers are set on every answer; HSTS only over HTTPS", async () => {
  const t = await testApp({ env: { TRUST_PROXY: "true" } });
  try {
    const plain = await t.call("GET", "/health/live");
    assert.equal(plain.headers.get("x-content-type-options"), "nosniff");
    assert.equal(plain.headers.get("x-frame-options"), "SAMEORIGIN");
    assert.equal(plain.headers.get("strict-transport-security"), null);
    await plain.body?.cancel();
    const missing = await t.call("GET", "/api/v1/nothing-here", {
      headers: { "x-forwarded-proto": "https" },
    });
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get("x-content-type-options"), "nosniff");
    assert.match(missing.headers.get("strict-transport-security") ?? "", /^max-age=\d+/);
    await missing.body?.cancel();
  } finally {
    await t.close();
  }
  const untrusted = await testApp();
  try {
    const res = await untrusted.call("GET", "/health/live", {
      headers: { "x-forwarded-proto": "https" },
    });
    assert.equal(res.headers.get("strict-transport-security"), null, "proxy not trusted");
    await res.body?.cancel();
  } finally {
    await untrusted.close();
  }
});

Deno.test("CORS allows only the origins in CORS_ORIGIN", async () => {
  const t = await testApp({ env: { CORS_ORIGIN: "https://app.example" } });
  try {
    const preflight = (origin: string) =>
      t.call("OPTIONS", "/api/v1/auth/login", {
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type",
        },
      });
    const allowed = await preflight("https://app.example");
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers.get("access-control-allow-origin"), "https://app.example");
    assert.equal(allowed.headers.get("access-control-allow-credentials"), "true");
    const denied = await preflight("https://evil.example");
    assert.equal(denied.headers.get("access-control-allow-origin"), null);
  } finally {
    await t.close();
  }
});

Deno.test("one structured log line per request names method, path, status and request id", async () => {
  const lines: LogFields[] = [];
  const t = await testApp({ env: { LOG_LEVEL: "info" }, log: capture(lines) });
  try {
    const res = await t.call("GET", "/health/live", { headers: { "x-request-id": "req-123" } });
    assert.equal(res.headers.get("x-request-id"), "req-123");
    const requests = lines.filter((l) => l.msg === "request");
    assert.equal(requests.length, 1);
    const line = requests[0]!;
    assert.equal(line.method, "GET");
    assert.equal(line.path, "/health/live");
    assert.equal(line.status, 200);
    assert.equal(line.requestId, "req-123");
    assert.equal(typeof line.durationMs, "number");
  } finally {
    await t.close();
  }
});

/** A logger that keeps every line in `lines` as `{msg, level, ...fields}`. */
function capture(lines: LogFields[]): Logger {
  const at = (level: string) => (msg: string, fields?: LogFields) =>
    void lines.push({ msg, level, ...fields });
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
