import assert from "node:assert/strict";
import { testApp, testStore } from "@tests/helpers/app.ts";
import { skipMongo } from "@tests/helpers/mongo.ts";
import { aSuperAdmin, aTenant, login, password } from "@tests/helpers/identity.ts";

/** The identity flow over HTTP on each store: same answers on SQLite and MongoDB. */
for (const kind of ["sqlite", "mongo"] as const) {
  Deno.test({
    name: `[${kind}] organizations, agents, allow-list, location policy, refresh and audit`,
    ignore: kind === "mongo" && skipMongo,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const store = await testStore(kind);
      const t = await testApp({ store });
      try {
        const sa = await login(t, (await aSuperAdmin(t)).email);
        const created = await t.call("POST", "/api/v1/superadmin/organizations", {
          token: sa,
          json: { name: "Store Co", admin: { name: "A", email: "a@store.test", password } },
        });
        assert.equal(created.status, 201);
        const admin = await login(t, "a@store.test");
        const agent = await t.call("POST", "/api/v1/admin/agents", {
          token: admin,
          json: { name: "G", email: "g@store.test", password, role: "Agent" },
        });
        assert.equal(agent.status, 201);
        const rule = await t.call("POST", "/api/v1/ip-whitelist", {
          token: admin,
          json: { value: "10.0.0.0/8" },
        });
        assert.equal(rule.status, 201);
        const denied = await t.call("POST", "/api/v1/auth/login", {
          json: { email: "g@store.test", password },
          ip: "192.0.2.1",
        });
        assert.equal((await denied.json()).error.code, "IP_DENIED");
        await t.call("PUT", "/api/v1/admin/location-access/toggle", {
          token: admin,
          ip: "10.1.1.1",
          json: {
            enforce: true,
            roles: ["Agent"],
            places: [{ name: "HQ", latitude: 10, longitude: 10 }],
          },
        });
        const away = await t.call("POST", "/api/v1/auth/login", {
          json: { email: "g@store.test", password, latitude: 11, longitude: 10 },
          ip: "10.1.1.2",
        });
        assert.equal((await away.json()).error.code, "LOCATION_DENIED");
        const res = await t.call("POST", "/api/v1/auth/login", {
          json: { email: "g@store.test", password, latitude: 10.001, longitude: 10 },
          ip: "10.1.1.2",
        });
        assert.equal(res.status, 200);
        const cookie = res.headers.getSetCookie().find((c) => c.startsWith("refresh_token="))!;
        const refreshed = await t.call("POST", "/api/v1/auth/refresh", {
          headers: { cookie: cookie.split(";")[0]! },
          ip: "10.1.1.2",
        });
        assert.equal(refreshed.status, 200);
        const history = await t.call("GET", "/api/v1/location/history", {
          token: admin,
          ip: "10.1.1.1",
        });
        const outcomes = (await history.json()).data.map((a: { reason: string | null }) =>
          a.reason
        );
        assert.deepEqual(outcomes.slice(0, 3).sort(), ["IP_DENIED", "LOCATION_DENIED", null]);
        const audit = await t.call("GET", "/api/v1/admin/audit?action=ip_rule.added", {
          token: admin,
          ip: "10.1.1.1",
        });
        assert.equal((await audit.json()).meta.total, 1);
        const other = await aTenant(t);
        const cross = await t.call("GET", `/api/v1/admin/agents/${other.users.Agent.id}`, {
          token: admin,
          ip: "10.1.1.1",
        });
        assert.equal(cross.status, 404);
      } finally {
        await t.close(); // closes the store too (and its FerretDB)
      }
    },
  });
}
