import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import { aTenant, login, password } from "@tests/helpers/identity.ts";
import { onePixelPng } from "@tests/helpers/files.ts";

const png = onePixelPng;

Deno.test("POST /auth/register makes a Customer only, in an active organization", async () => {
  const t = await testApp();
  try {
    const { org } = await aTenant(t);
    const res = await t.call("POST", "/api/v1/auth/register", {
      json: { name: "Cat", email: "Cat@Example.com", password, organizationSlug: org.slug },
    });
    assert.equal(res.status, 201);
    const body = await res.json();
    assert.equal(body.user.role, "Customer");
    assert.equal(body.user.email, "cat@example.com");
    assert.equal(body.user.organizationId, org.id);
    assert.ok(body.token);
    const twice = await t.call("POST", "/api/v1/auth/register", {
      json: { name: "Cat", email: "cat@example.com", password, organizationId: org.id },
    });
    assert.equal(twice.status, 409);
    const staff = await t.call("POST", "/api/v1/auth/register", {
      json: { name: "X", email: "x@example.com", password, organizationId: org.id, role: "Admin" },
    });
    assert.equal(staff.status, 400);
    const short = await t.call("POST", "/api/v1/auth/register", {
      json: { name: "X", email: "y@example.com", password: "short", organizationId: org.id },
    });
    assert.equal(short.status, 400);
    const nowhere = await t.call("POST", "/api/v1/auth/register", {
      json: { name: "X", email: "z@example.com", password, organizationId: "missing" },
    });
    assert.equal(nowhere.status, 404);
  } finally {
    await t.close();
  }
});

Deno.test("a new password follows the policy on every route that sets one (ASVS L2)", async () => {
  const t = await testApp();
  try {
    const { org, users } = await aTenant(t);
    const admin = await login(t, users.Admin.email);
    const agent = await login(t, users.Agent.email);
    const weak = ["password", "12345678", " ".repeat(8), "Password123!", "qwertyuiop123"];
    const sets = [
      (pw: string) =>
        t.call("POST", "/api/v1/auth/register", {
          json: { name: "Nia", email: "nia@example.com", password: pw, organizationId: org.id },
        }),
      (pw: string) =>
        t.call("POST", "/api/v1/admin/agents", {
          token: admin,
          json: { name: "Sam", email: "sam@example.com", password: pw, role: "Agent" },
        }),
      (pw: string) =>
        t.call("PUT", `/api/v1/admin/agents/${users.QA.id}`, {
          token: admin,
          json: { password: pw },
        }),
      (pw: string) =>
        t.call("PUT", "/api/v1/auth/update-profile", {
          token: agent,
          json: { currentPassword: password, newPassword: pw },
        }),
    ];
    for (const [i, set] of sets.entries()) {
      for (const pw of weak) {
        const res = await set(pw);
        const body = await res.json();
        assert.equal(res.status, 400, `route ${i}, ${JSON.stringify(pw)}`);
        assert.match(JSON.stringify(body.error.details), /ssword/, JSON.stringify(body));
      }
    }
    assert.equal(
      (await t.deps.store.users.findAllByEmail("nia@example.com", {
        limit: 1,
        withPassword: false,
      })).length,
      0,
      "nothing was written",
    );
    const long = ("the quiet ferry leaves at dawn while gulls argue over bread ok!! " +
      "my seventh umbrella went missing near the old tram depot again, sadly").slice(0, 128);
    assert.equal(long.length, 128);
    assert.equal((await sets[0]!(long)).status, 201, "128 characters are accepted");
    const login2 = await t.call("POST", "/api/v1/auth/login", {
      json: { email: "nia@example.com", password: long },
    });
    assert.equal(login2.status, 200);
    const cut = await t.call("POST", "/api/v1/auth/login", {
      json: { email: "nia@example.com", password: long.slice(0, 72) },
    });
    assert.equal(cut.status, 401, "no truncation: the first 72 characters are not enough");
  } finally {
    await t.close();
  }
});

Deno.test("PUT /auth/update-profile changes name and phone; a new password needs the current", async () => {
  const t = await testApp();
  try {
    const { users } = await aTenant(t);
    const token = await login(t, users.Agent.email);
    const res = await t.call("PUT", "/api/v1/auth/update-profile", {
      token,
      json: { name: "Ada Lovelace", phone: "+44 20 7946 0000" },
    });
    assert.equal(res.status, 200);
    const { user } = await res.json();
    assert.equal(user.name, "Ada Lovelace");
    assert.equal(user.phone, "+44 20 7946 0000");
    const noCurrent = await t.call("PUT", "/api/v1/auth/update-profile", {
      token,
      json: { newPassword: "a fresh passphrase 2026" },
    });
    assert.equal(noCurrent.status, 400);
    const wrong = await t.call("PUT", "/api/v1/auth/update-profile", {
      token,
      json: { currentPassword: "nope nope", newPassword: "a fresh passphrase 2026" },
    });
    assert.equal(wrong.status, 400);
    const ok = await t.call("PUT", "/api/v1/auth/update-profile", {
      token,
      json: { currentPassword: password, newPassword: "a fresh passphrase 2026" },
    });
    assert.equal(ok.status, 200);
    const relog = await t.call("POST", "/api/v1/auth/login", {
      json: { email: users.Agent.email, password: "a fresh passphrase 2026" },
    });
    assert.equal(relog.status, 200);
    const sneaky = await t.call("PUT", "/api/v1/auth/update-profile", {
      token,
      json: { role: "Admin" },
    });
    assert.equal(sneaky.status, 400);
  } finally {
    await t.close();
  }
});

Deno.test("PUT /auth/update-profile takes an avatar as multipart, checking type and size", async () => {
  const t = await testApp({ env: { AVATAR_LIMIT_BYTES: "1024" } });
  try {
    const { users } = await aTenant(t);
    const token = await login(t, users.Customer.email);
    const form = (file: File, name?: string) => {
      const f = new FormData();
      f.set("avatar", file);
      if (name) f.set("name", name);
      return f;
    };
    const ok = await t.call("PUT", "/api/v1/auth/update-profile", {
      token,
      body: form(new File([png], "me.png", { type: "image/png" }), "Pic"),
    });
    assert.equal(ok.status, 200);
    const { user } = await ok.json();
    assert.equal(user.name, "Pic");
    assert.ok(user.avatarFileId);
    const avatar = await t.call("GET", "/api/v1/auth/me/avatar", { token });
    assert.deepEqual(new Uint8Array(await avatar.arrayBuffer()), png);

    const text = await t.call("PUT", "/api/v1/auth/update-profile", {
      token,
      body: form(new File(["hello"], "x.txt", { type: "text/plain" })),
    });
    assert.equal(text.status, 415);
    const liar = await t.call("PUT", "/api/v1/auth/update-profile", {
      token,
      body: form(new File(["not a png at all"], "x.png", { type: "image/png" })),
    });
    assert.equal(liar.status, 415);
    const big = new Uint8Array(2048);
    big.set(png);
    const large = await t.call("PUT", "/api/v1/auth/update-profile", {
      token,
      body: form(new File([big], "big.png", { type: "image/png" })),
    });
    assert.equal(large.status, 413);
  } finally {
    await t.close();
  }
});
