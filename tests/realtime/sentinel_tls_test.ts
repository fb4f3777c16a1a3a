import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "@/config.ts";
import { testApp } from "@tests/helpers/app.ts";
import { skipTlsRedis } from "@tests/helpers/redis.ts";
import { startSentinel } from "@tests/helpers/sentinel.ts";
import { collect } from "@tests/contract/bus_contract.ts";
import type { TestApp } from "@tests/helpers/app.ts";
import { within } from "@tests/helpers/within.ts";

/** Publishes on `a` until `b` hears it (instances follow a failover within seconds). */
async function relayed(a: TestApp, b: TestApp, channel: string, timeoutMs = 30_000) {
  const got = collect(b.deps.bus, channel, 1);
  await got.subscribed;
  const deadline = Date.now() + timeoutMs;
  let heard = false;
  got.all.then(() => heard = true);
  while (!heard) {
    if (Date.now() > deadline) throw new Error(`nothing relayed on ${channel} in ${timeoutMs} ms`);
    await a.deps.bus.publish(channel, { over: "tls" }).catch(() => {});
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.deepEqual(got.got[0], { over: "tls" });
}

// Without TLS to the sentinels, connecting never ends: the apps are awaited within a bound.
const unreached = "The API did not reach Redis through the Sentinel";

Deno.test({
  name: "through a Sentinel over TLS (REDIS_SENTINEL_TLS), two instances reach the primary over " +
    "rediss:// with REDIS_TLS_CA_FILE, relay and share state, and follow a failover",
  ignore: skipTlsRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const sentinel = await startSentinel({ tls: true });
    const env = {
      ...sentinel.env,
      REDIS_SENTINEL_TLS: "true",
      // The URL gives only the scheme (and a login, had the servers one): the sentinels name the host.
      REDIS_URL: "rediss://localhost",
      REDIS_TLS_CA_FILE: sentinel.caFile!,
      RATE_LIMIT_MAX: "3",
    };
    const apps: TestApp[] = [];
    try {
      const a = await within(20_000, testApp({ env }), unreached);
      apps.push(a);
      const b = await within(20_000, testApp({ dataDir: a.deps.config.dataDir, env }), unreached);
      apps.push(b);
      assert.equal(a.deps.bus.kind, "redis");
      await relayed(a, b, "tls:before");
      await a.deps.shared.addMember("presence:tls", "agent-1", Date.now(), 0);
      assert.deepEqual(await b.deps.shared.membersUpTo("presence:tls", Date.now() + 1), [
        "agent-1",
      ]);
      for (let i = 0; i < 3; i++) {
        const res = await (i % 2 ? b : a).call("GET", "/api/v1/auth/me", { ip: "198.51.100.7" });
        assert.equal(res.status, 401);
      }
      const limited = await b.call("GET", "/api/v1/auth/me", { ip: "198.51.100.7" });
      assert.equal(limited.status, 429, "the count went through the primary over TLS");
      await sentinel.failover();
      await relayed(a, b, "tls:after");
      assert.equal((await a.call("GET", "/health/ready")).status, 200);
    } finally {
      for (const app of apps) await app.close();
      await sentinel.stop();
    }
  },
});

Deno.test("REDIS_SENTINEL_TLS needs REDIS_SENTINELS, and is off unless set", () => {
  assert.throws(
    () => loadConfig({ REDIS_SENTINEL_TLS: "true", REDIS_URL: "rediss://cache:6379" }),
    (err) =>
      err instanceof ConfigError && /REDIS_SENTINEL_TLS is set.*REDIS_SENTINELS/.test(err.message),
  );
  const sentinels = { REDIS_SENTINELS: "s1:26379,s2:26380" };
  assert.equal(loadConfig(sentinels).redisSentinel?.tls, false);
  assert.equal(loadConfig({ ...sentinels, REDIS_SENTINEL_TLS: "true" }).redisSentinel?.tls, true);
});
