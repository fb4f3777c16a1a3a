import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { serve, type TestApp, testApp, testDeps } from "@tests/helpers/app.ts";
import { connect } from "@tests/helpers/ws.ts";
import { aTenant, login, type Tenant } from "@tests/helpers/identity.ts";
import { skipMongo, startMongo } from "@tests/helpers/mongo.ts";
import { skipRedis, startRedis } from "@tests/helpers/redis.ts";

const status = async (t: TestApp, path: string, token: string, headers = {}) => {
  const res = await t.call("GET", path, { token, headers });
  await res.body?.cancel();
  return res.status;
};

/** What an agent, a TL and a QA read with their tokens, and the socket upgrade. */
const reads = {
  agent: ["/api/v1/queries", "/api/v1/chat/rooms", "/api/v1/notifications"],
  tl: ["/api/v1/reports/dashboard"],
};
const upgrade = { upgrade: "websocket", connection: "Upgrade" };

/**
 * An Admin deactivates the agent and demotes the TL through the API (on `writer`), the QA logs
 * out: each old token is refused by `check` (another instance, or the same after a restart).
 */
async function changeAndCheck(
  made: TestApp,
  check: () => Promise<TestApp>,
  tenant: Tenant,
  writer: (checked: TestApp) => TestApp = (checked) => checked,
) {
  const { users } = tenant;
  const admin = await login(made, users.Admin.email);
  const agent = await login(made, users.Agent.email);
  const tl = await login(made, users.TL.email);
  const qa = await login(made, users.QA.email);
  const before = await check();
  for (const path of reads.agent) assert.equal(await status(before, path, agent), 200, path);
  assert.equal(await status(before, reads.tl[0]!, tl), 200);
  assert.equal(await status(before, "/api/v1/auth/me", qa), 200);

  const w = writer(before);
  const put = (id: string, json: unknown) =>
    w.call("PUT", `/api/v1/admin/agents/${id}`, { token: admin, json });
  assert.equal((await put(users.Agent.id, { active: false })).status, 200);
  assert.equal((await put(users.TL.id, { role: "Agent" })).status, 200);
  assert.equal((await w.call("POST", "/api/v1/auth/logout", { token: qa })).status, 200);

  const after = await check();
  for (const path of reads.agent) assert.equal(await status(after, path, agent), 401, path);
  assert.equal(await status(after, "/ws", agent, upgrade), 401, "/ws");
  assert.equal(await status(after, reads.tl[0]!, tl), 401);
  assert.equal(await status(after, "/api/v1/auth/me", qa), 401);
  assert.equal(await status(after, "/api/v1/auth/me", admin), 200, "others are untouched");
}

Deno.test("revocations, a deactivation and a demotion survive a restart on the same DATA_DIR", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "chatcrm-restart-" });
  let t = await testApp({ dataDir });
  try {
    const tenant = await aTenant(t);
    const restart = async () => {
      await t.deps.close();
      t = await testApp({ dataDir });
      return t;
    };
    await changeAndCheck(t, restart, tenant);
  } finally {
    await t.deps.close();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});

Deno.test("a request acts with the stored role, not the token's: a change while down holds", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "chatcrm-restart-" });
  let t = await testApp({ dataDir });
  try {
    const { users } = await aTenant(t);
    const tl = await login(t, users.TL.email);
    assert.equal(await status(t, reads.tl[0]!, tl), 200);
    await t.deps.close();
    // Changed behind the API's back (another tool, a restore): nothing revoked the token.
    const offline = await testDeps({ dataDir });
    await offline.store.users.update(users.TL.organizationId, users.TL.id, { role: "Agent" }, "x");
    await offline.close();
    t = await testApp({ dataDir });
    assert.equal(await status(t, reads.tl[0]!, tl), 403);
    const me = await t.call("GET", "/api/v1/auth/me", { token: tl });
    assert.equal((await me.json()).user.role, "Agent");
  } finally {
    await t.deps.close();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});

Deno.test("a token signed with the right key but forged claims grants nothing more", async () => {
  const t = await testApp();
  try {
    const acme = await aTenant(t, "Acme");
    const other = await aTenant(t, "Other");
    const agent = await login(t, acme.users.Agent.email);
    const claims = JSON.parse(atob(agent.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")));
    const forge = (over: Record<string, unknown>) =>
      new SignJWT({ ...claims, ...over }).setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .sign(t.deps.jwtKey);
    const asAdmin = await forge({ role: "Admin" });
    assert.equal(await status(t, "/api/v1/reports/dashboard", asAdmin), 403);
    assert.equal(await status(t, "/api/v1/admin/agents", asAdmin), 403);
    const me = await t.call("GET", "/api/v1/auth/me", { token: asAdmin });
    assert.equal((await me.json()).user.role, "Agent");
    const otherOrg = await forge({ org: other.org.id });
    assert.equal(await status(t, "/api/v1/queries", otherOrg), 401);
    assert.equal(await status(t, "/api/v1/auth/me", otherOrg), 401);
    const superAdmin = await forge({ role: "SuperAdmin", org: null });
    assert.equal(await status(t, "/api/v1/superadmin/organizations", superAdmin), 401);
    const noSession = await forge({ sid: undefined });
    assert.equal(await status(t, "/api/v1/auth/me", noSession), 401);
    assert.equal(await status(t, "/api/v1/auth/me", agent), 200, "the real token still works");
  } finally {
    await t.close();
  }
});

Deno.test({
  name: "a deactivation, a demotion and a logout on one instance hold on the other at once",
  ignore: skipRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const redis = await startRedis();
    const a = await testApp({ env: { REDIS_URL: redis.url } });
    const b = await testApp({ dataDir: a.deps.config.dataDir, env: { REDIS_URL: redis.url } });
    try {
      const tenant = await aTenant(a);
      // The moment each change reaches B's bus, B refuses: no waiting on a cache to expire.
      const wanted = new Set([tenant.users.Agent.id, tenant.users.TL.id, tenant.users.QA.id]);
      const { promise: allHeard, resolve } = Promise.withResolvers<void>();
      await b.deps.bus.subscribe("auth:user-changed", (p) => {
        wanted.delete((p as { userId: string }).userId);
        if (wanted.size === 0) resolve();
      });
      let started = 0;
      const check = async () => {
        if (started++ === 0) return b;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const late = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${wanted.size} changes late`)), 1000);
        });
        await Promise.race([allHeard, late]).finally(() => clearTimeout(timer));
        return b;
      };
      await changeAndCheck(a, check, tenant, () => a);
    } finally {
      await b.close();
      await a.close();
      await redis.stop();
    }
  },
});

Deno.test({
  name: "on MongoDB a logout and a deactivation survive a restart",
  ignore: skipMongo,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const mongo = await startMongo();
    const env = { MONGODB_URI: mongo.uri, MONGODB_DB: mongo.db };
    let t = await testApp({ env });
    try {
      const tenant = await aTenant(t);
      await changeAndCheck(t, async () => {
        await t.close();
        t = await testApp({ env });
        return t;
      }, tenant);
    } finally {
      await t.close();
      await mongo.stop();
    }
  },
});

Deno.test({
  name: "an open socket closes (1008) when its session ends or its user is deactivated",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const t = await testApp();
    const server = serve(t.app);
    try {
      const { users } = await aTenant(t);
      const admin = await login(t, users.Admin.email);
      const first = await login(t, users.Agent.email);
      const second = await login(t, users.Agent.email);
      const ws1 = await connect(server.wsUrl, first);
      const ws2 = await connect(server.wsUrl, second);
      await t.call("POST", "/api/v1/auth/logout", { token: first });
      assert.equal(await ws1.closed, 1008);
      assert.ok((await ws2.request("ping", {})).at, "the other session's socket stays");
      const off = await t.call("PUT", `/api/v1/admin/agents/${users.Agent.id}`, {
        token: admin,
        json: { active: false },
      });
      assert.equal(off.status, 200);
      assert.equal(await ws2.closed, 1008);
    } finally {
      await server.close();
      await t.close();
    }
  },
});
