import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import { aTenant, login } from "@tests/helpers/identity.ts";
import { skipDovecot, startDovecot } from "@tests/helpers/dovecot.ts";
import { startSmtp } from "@tests/helpers/smtp.ts";
import { loopbackAllowed, rawMail } from "@tests/helpers/mail.ts";
import { expectStatus } from "@tests/helpers/support.ts";
import { ConfigError, loadConfig } from "@/config.ts";
import { ensureEnvMailbox } from "@/modules/email/env_mailbox.ts";

Deno.test({
  name: "IMAP_* variables make the organization's mailbox at start, and bring it up to date",
  ignore: skipDovecot,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const account = { user: "desk@acme.test", password: "imap-secret-9" };
    const dovecot = await startDovecot([account]);
    const smtp = await startSmtp();
    const slug = `acme-env-${crypto.randomUUID().slice(0, 6)}`;
    const env = {
      ...loopbackAllowed,
      ...smtp.env,
      IMAP_HOST: "127.0.0.1",
      IMAP_PORT: String(dovecot.port),
      IMAP_SECURE: "false",
      IMAP_USER: account.user,
      IMAP_PASS: account.password,
      IMAP_ORGANIZATION: slug,
    };
    const t = await testApp({ env });
    try {
      assert.equal(await ensureEnvMailbox(t.deps, t.services.email), null, "no such org yet");
      const tenant = await aTenant(t, "Acme");
      await t.deps.store.organizations.update(tenant.org.id, { slug }, new Date().toISOString());
      const made = await ensureEnvMailbox(t.deps, t.services.email);
      assert.equal(made?.email, "desk@acme.test");
      assert.equal(made?.imap.port, dovecot.port);
      const again = await ensureEnvMailbox(t.deps, t.services.email);
      assert.equal(again?.id, made!.id, "a second start updates the same mailbox");
      const admin = await login(t, tenant.users.Admin.email);
      const list = await expectStatus(t.call("GET", "/api/v1/email-config", { token: admin }), 200);
      assert.equal(list.meta.total, 1);

      await dovecot.append(account, rawMail({ from: "pat@customer.test", subject: "By env" }));
      const report = await expectStatus(
        t.call("POST", `/api/v1/email-config/${made!.id}/poll`, { token: admin }),
        200,
      );
      assert.deepEqual(report.imported.map((i: { status: string }) => i.status), ["created"]);
    } finally {
      await t.close();
      await smtp.stop();
      await dovecot.close();
    }
  },
});

Deno.test("IMAP_HOST without its login or organization is refused at start, naming what is missing", () => {
  assert.throws(
    () => loadConfig({ IMAP_HOST: "mail.acme.test", IMAP_USER: "desk@acme.test" }),
    (err: unknown) =>
      err instanceof ConfigError && /IMAP_PASS, IMAP_ORGANIZATION must be set/.test(err.message),
  );
  assert.throws(
    () =>
      loadConfig({
        IMAP_HOST: "mail.acme.test",
        IMAP_USER: "desk",
        IMAP_PASS: "x",
        IMAP_ORGANIZATION: "acme",
      }),
    /IMAP_EMAIL must name one/,
  );
  const config = loadConfig({
    IMAP_HOST: "mail.acme.test",
    IMAP_USER: "Desk@Acme.test",
    IMAP_PASS: "secret",
    IMAP_ORGANIZATION: "acme",
  });
  assert.deepEqual(config.envMailbox, {
    organization: "acme",
    email: "desk@acme.test",
    host: "mail.acme.test",
    port: 993,
    secure: true,
    user: "Desk@Acme.test",
    password: "secret",
  });
});
