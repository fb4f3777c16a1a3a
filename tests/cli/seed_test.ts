import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import { runScript } from "./run.ts";

Deno.test("seed makes a demo organization whose printed logins work; refuses twice without --reset", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "chatcrm-seed-" });
  try {
    const first = await runScript("seed.ts", [], { DATA_DIR: dataDir });
    assert.equal(first.code, 0, first.stderr);
    const emails = [...first.stdout.matchAll(/^\s+(\w+)\s+(\S+@\S+)$/gm)].map((m) => [m[1], m[2]]);
    const roles = emails.map(([role]) => role);
    assert.deepEqual(roles.filter((r) => r === "Agent").length, 3);
    assert.deepEqual(roles.filter((r) => r === "Customer").length, 5);
    for (const r of ["Admin", "TL", "QA"]) assert.ok(roles.includes(r), r);
    assert.match(first.stdout, /Password for every login: demo-password/);

    const again = await runScript("seed.ts", [], { DATA_DIR: dataDir });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already has data.*--reset/);

    const reset = await runScript("seed.ts", ["--reset", "--password", "fresh-password"], {
      DATA_DIR: dataDir,
    });
    assert.equal(reset.code, 0, reset.stderr);

    const t = await testApp({ dataDir });
    try {
      for (const [role, email] of emails) {
        const res = await t.call("POST", "/api/v1/auth/login", {
          json: { email, password: "fresh-password" },
        });
        assert.equal(res.status, 200, `${role} ${email}`);
        const { user } = await res.json();
        assert.equal(user.role, role);
        if (role === "Agent") assert.ok(user.skills.length > 0);
      }
      const orgs = await t.deps.store.organizations.list({}, { page: 1, limit: 10 });
      assert.equal(orgs.total, 1, "--reset replaced, not added");
    } finally {
      await t.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
