import assert from "node:assert/strict";
import { serve, testApp } from "@tests/helpers/app.ts";
import { runScript } from "./run.ts";

/**
 * As a new user would, from an empty data dir: create the SuperAdmin with the script, then
 * over real HTTP create an organization, its Admin, agents, and log everyone in.
 */
Deno.test({
  name: "from an empty data dir: create-superadmin, then organization, admin and agents over HTTP",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "chatcrm-e2e-" });
    const script = await runScript("create_superadmin.ts", [
      "--email",
      "root@acme.test",
      "--password",
      "granite sparrow lattice 58",
      "--name",
      "Root",
    ], { DATA_DIR: dataDir });
    assert.equal(script.code, 0, script.stderr);
    const t = await testApp({ dataDir });
    const server = serve(t.app);
    const call = async (method: string, path: string, token?: string, json?: unknown) => {
      const res = await fetch(`${server.url}/api/v1${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(json ? { "content-type": "application/json" } : {}),
        },
        ...(json ? { body: JSON.stringify(json) } : {}),
      });
      return { status: res.status, body: await res.json() };
    };
    const login = async (email: string, password: string) => {
      const res = await call("POST", "/auth/login", undefined, { email, password });
      assert.equal(res.status, 200, `${email}: ${JSON.stringify(res.body)}`);
      return res.body.token as string;
    };
    try {
      const root = await login("root@acme.test", "granite sparrow lattice 58");
      const org = await call("POST", "/superadmin/organizations", root, {
        name: "Acme Help",
        admin: { name: "Ann Admin", email: "ann@acme.test", password: "admin password" },
      });
      assert.equal(org.status, 201);
      const admin = await login("ann@acme.test", "admin password");
      for (const [role, name] of [["TL", "tess"], ["QA", "quincy"], ["Agent", "alex"]]) {
        const res = await call("POST", "/admin/agents", admin, {
          name,
          email: `${name}@acme.test`,
          password: `${name} password 2026`,
          role,
        });
        assert.equal(res.status, 201);
        const token = await login(`${name}@acme.test`, `${name} password 2026`);
        const me = await call("GET", "/auth/me", token);
        assert.equal(me.body.user.role, role);
        assert.equal(me.body.user.organizationId, org.body.organization.id);
      }
      const history = await call("GET", "/location/history", admin);
      assert.equal(history.body.data[0].ip, "127.0.0.1", "the socket's address is recorded");
    } finally {
      await server.close();
      await t.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
