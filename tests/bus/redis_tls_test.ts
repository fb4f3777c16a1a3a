import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "@/config.ts";
import { skipTlsRedis, startTlsRedis } from "@tests/helpers/redis.ts";
import { testApp, testDeps } from "@tests/helpers/app.ts";
import { collect } from "@tests/contract/bus_contract.ts";

const tlsTest = { ignore: skipTlsRedis, sanitizeResources: false, sanitizeOps: false };

Deno.test({
  ...tlsTest,
  name: "two instances on rediss:// with REDIS_TLS_CA_FILE relay events and share rate limits",
  async fn() {
    const redis = await startTlsRedis();
    const dataDir = await Deno.makeTempDir({ prefix: "chatcrm-tls-" });
    const env = { REDIS_URL: redis.url, REDIS_TLS_CA_FILE: redis.caFile, RATE_LIMIT_MAX: "3" };
    const a = await testApp({ dataDir, env });
    const b = await testApp({ dataDir, env });
    try {
      assert.ok(redis.url.startsWith("rediss://127.0.0.1:"));
      const got = collect(b.deps.bus, "tls:check", 1);
      await got.subscribed;
      await a.deps.bus.publish("tls:check", { over: "tls" });
      assert.deepEqual(await got.all, [{ over: "tls" }]);
      await a.deps.shared.addMember("presence:tls", "agent-1", Date.now(), 0);
      assert.deepEqual(await b.deps.shared.membersUpTo("presence:tls", Date.now() + 1), [
        "agent-1",
      ]);
      for (let i = 0; i < 3; i++) {
        const res = await (i % 2 ? b : a).call("GET", "/api/v1/auth/me", { ip: "198.51.100.9" });
        assert.equal(res.status, 401);
      }
      const limited = await b.call("GET", "/api/v1/auth/me", { ip: "198.51.100.9" });
      assert.equal(limited.status, 429, "the count went through the TLS Redis");
      const ready = await a.call("GET", "/health/ready");
      assert.equal(ready.status, 200);
    } finally {
      await a.close();
      await b.close();
      await redis.stop();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

Deno.test({
  ...tlsTest,
  name: "rediss:// to a server whose certificate no CA vouches for is refused, not trusted",
  async fn() {
    const redis = await startTlsRedis();
    try {
      await assert.rejects(
        testDeps({ env: { REDIS_URL: redis.url } }),
        /certificate|Connection is closed/i,
      );
    } finally {
      await redis.stop();
    }
  },
});

Deno.test("REDIS_TLS_CA_FILE needs a rediss:// REDIS_URL and a readable PEM file", async () => {
  assert.throws(
    () => loadConfig({ REDIS_TLS_CA_FILE: "/ca.pem", REDIS_URL: "redis://cache:6379" }),
    (err) =>
      err instanceof ConfigError && /REDIS_TLS_CA_FILE is set.*rediss:\/\//.test(err.message),
  );
  const dir = await Deno.makeTempDir({ prefix: "chatcrm-tls-ca-" });
  try {
    const missing = `${dir}/missing.pem`;
    await assert.rejects(
      testDeps({ env: { REDIS_URL: "rediss://127.0.0.1:1", REDIS_TLS_CA_FILE: missing } }),
      (err) =>
        err instanceof ConfigError && err.message.startsWith("Cannot read REDIS_TLS_CA_FILE"),
    );
    const notPem = `${dir}/not.pem`;
    await Deno.writeTextFile(notPem, "hello");
    await assert.rejects(
      testDeps({ env: { REDIS_URL: "rediss://127.0.0.1:1", REDIS_TLS_CA_FILE: notPem } }),
      /expected PEM certificates/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
