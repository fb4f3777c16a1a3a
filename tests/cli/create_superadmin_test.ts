import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import { runScript } from "./run.ts";

Deno.test("create-superadmin creates once, says so the second time, and the login works", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "chatcrm-cli-" });
  try {
    const args = [
      "--email",
      "Root@Example.com",
      "--password",
      "violet tractor orbit 42",
      "--name",
      "Root",
    ];
    const first = await runScript("create_superadmin.ts", args, { DATA_DIR: dataDir });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^Created SuperAdmin root@example\.com/);
    const second = await runScript("create_superadmin.ts", [
      ...args.slice(0, 2),
      "--password",
      "copper lantern meadow 17",
      "--name",
      "Other",
    ], { DATA_DIR: dataDir });
    assert.equal(second.code, 0, second.stderr);
    assert.equal(
      second.stdout.trim(),
      "SuperAdmin root@example.com already exists; nothing changed",
    );

    const t = await testApp({ dataDir });
    try {
      const res = await t.call("POST", "/api/v1/auth/login", {
        json: { email: "root@example.com", password: "violet tractor orbit 42" },
      });
      assert.equal(res.status, 200, "the first password still works");
      const { user } = await res.json();
      assert.equal(user.role, "SuperAdmin");
      assert.equal(user.name, "Root");
      assert.equal(user.organizationId, null);
    } finally {
      await t.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("create-superadmin: bad or missing input prints one line and exits 1", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "chatcrm-cli-" });
  try {
    const cases = [
      [
        ["--email", "nope", "--password", "violet tractor orbit 42", "--name", "R"],
        /^Invalid --email/,
      ],
      [["--email", "a@b.test", "--password", "short", "--name", "R"], /^Invalid --password/],
      [["--email", "a@b.test", "--password", "password1234", "--name", "R"], /^Invalid --password/],
      [["--email", "a@b.test"], /^Missing --password, --name/],
      [["--wat"], /^Unknown option '--wat'/],
    ] as const;
    for (const [args, message] of cases) {
      const res = await runScript("create_superadmin.ts", [...args], { DATA_DIR: dataDir });
      assert.equal(res.code, 1, args.join(" "));
      assert.match(res.stderr, message);
      assert.equal(res.stderr.trim().split("\n").length, 1, res.stderr);
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
