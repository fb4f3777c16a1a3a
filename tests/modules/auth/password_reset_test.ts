import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import { aTenant, login } from "@tests/helpers/identity.ts";
import { startSmtp } from "@tests/helpers/smtp.ts";

const codeIn = (raw: string) => /code is (\d{6})/.exec(raw)?.[1];

Deno.test({
  name: "POST /auth/forgot-password mails a code; /auth/reset-password sets the new password",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const smtp = await startSmtp();
    const t = await testApp({ env: smtp.env });
    try {
      const { users } = await aTenant(t);
      const unknown = await t.call("POST", "/api/v1/auth/forgot-password", {
        json: { email: "nobody@example.com" },
      });
      const known = await t.call("POST", "/api/v1/auth/forgot-password", {
        json: { email: users.Agent.email },
      });
      assert.equal(unknown.status, 200);
      assert.equal(known.status, 200);
      assert.deepEqual(await unknown.json(), await known.json());
      const mail = await smtp.next();
      assert.deepEqual(mail.to, [users.Agent.email]);
      const code = codeIn(mail.raw);
      assert.ok(code, "the mail carries a 6-digit code");
      const secret = await t.deps.store.authSecrets.latestUnused("reset", users.Agent.id);
      assert.ok(secret && !secret.hash.includes(code!), "the code is hashed at rest");

      const reset = await t.call("POST", "/api/v1/auth/reset-password", {
        json: { email: users.Agent.email, code, newPassword: "a brand new secret" },
      });
      assert.equal(reset.status, 200);
      const again = await t.call("POST", "/api/v1/auth/reset-password", {
        json: { email: users.Agent.email, code, newPassword: "another new secret" },
      });
      assert.equal(again.status, 400, "a code works once");
      const old = await t.call("POST", "/api/v1/auth/login", {
        json: { email: users.Agent.email, password: "correct horse battery" },
      });
      assert.equal(old.status, 401);
      const fresh = await t.call("POST", "/api/v1/auth/login", {
        json: { email: users.Agent.email, password: "a brand new secret" },
      });
      assert.equal(fresh.status, 200);
    } finally {
      await t.close();
      await smtp.stop();
    }
  },
});

Deno.test({
  name: "POST /auth/reset-password spends the code after 5 wrong tries and after 10 minutes",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const smtp = await startSmtp();
    const t = await testApp({ env: smtp.env });
    try {
      const { users } = await aTenant(t);
      const email = users.TL.email;
      await t.call("POST", "/api/v1/auth/forgot-password", { json: { email } });
      const code = codeIn((await smtp.next()).raw)!;
      const wrong = code === "000000" ? "111111" : "000000";
      for (let i = 0; i < 5; i++) {
        const res = await t.call("POST", "/api/v1/auth/reset-password", {
          json: { email, code: wrong, newPassword: "a sturdy replacement 77" },
        });
        assert.equal(res.status, 400);
      }
      const late = await t.call("POST", "/api/v1/auth/reset-password", {
        json: { email, code, newPassword: "a sturdy replacement 77" },
      });
      assert.equal(late.status, 400, "the right code no longer works after 5 wrong ones");
      await login(t, email);

      await t.call("POST", "/api/v1/auth/forgot-password", { json: { email } });
      const second = codeIn((await smtp.next()).raw)!;
      const secret = await t.deps.store.authSecrets.latestUnused("reset", users.TL.id);
      assert.ok(secret);
      const expired = new Date(Date.parse(secret.createdAt) + 10 * 60 * 1000 + 1000);
      const later = await testApp({
        dataDir: t.deps.config.dataDir,
        env: smtp.env,
        clock: { now: () => expired },
      });
      try {
        const res = await later.call("POST", "/api/v1/auth/reset-password", {
          json: { email, code: second, newPassword: "a sturdy replacement 77" },
        });
        assert.equal(res.status, 400);
      } finally {
        await later.close();
      }
    } finally {
      await t.close();
      await smtp.stop();
    }
  },
});
