import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import { aDesk, expectStatus } from "@tests/helpers/support.ts";
import { aSuperAdmin, login } from "@tests/helpers/identity.ts";
import { secretBox } from "@/modules/email/secrets.ts";

const body = {
  name: "Support",
  email: "Support@Desk.test",
  imap: { host: "imap.desk.test", port: 993, secure: true, user: "support", password: "imap-pw-1" },
  smtp: { host: "smtp.desk.test", port: 465, secure: true, user: "support", password: "smtp-pw-1" },
  pollingEnabled: true,
};

function settingsTest(name: string, fn: (t: Awaited<ReturnType<typeof testApp>>) => Promise<void>) {
  Deno.test({
    name,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const t = await testApp();
      try {
        await fn(t);
      } finally {
        await t.close();
      }
    },
  });
}

settingsTest("email-config: create, read, list, change and remove a mailbox", async (t) => {
  const d = await aDesk(t);
  const token = d.token.Admin;
  const made = await expectStatus(
    t.call("POST", "/api/v1/email-config", { token, json: body }),
    201,
  );
  assert.equal(made.email, "support@desk.test");
  assert.deepEqual(made.imap, {
    host: "imap.desk.test",
    port: 993,
    secure: true,
    user: "support",
    folder: "INBOX",
    passwordSet: true,
  });
  assert.deepEqual(made.smtp, {
    host: "smtp.desk.test",
    port: 465,
    secure: true,
    user: "support",
    passwordSet: true,
  });
  assert.equal(made.lastError, null);
  assert.equal(made.failures, 0);
  const text = JSON.stringify(made);
  assert.doesNotMatch(text, /imap-pw-1|smtp-pw-1|lease/);
  assert.deepEqual(
    await expectStatus(t.call("GET", `/api/v1/email-config/${made.id}`, { token }), 200),
    made,
  );
  const list = await expectStatus(t.call("GET", "/api/v1/email-config", { token }), 200);
  assert.deepEqual(list.meta, { total: 1, page: 1, limit: 20 });
  assert.equal(list.data[0].id, made.id);

  const changed = await expectStatus(
    t.call("PUT", `/api/v1/email-config/${made.id}`, {
      token,
      json: {
        name: "Help desk",
        imap: { folder: "Support" },
        smtp: { user: null, password: null },
      },
    }),
    200,
  );
  assert.equal(changed.name, "Help desk");
  assert.equal(changed.imap.folder, "Support");
  assert.equal(changed.imap.passwordSet, true, "a password left out is kept");
  assert.equal(changed.smtp.user, null);
  assert.equal(changed.smtp.passwordSet, false);

  await expectStatus(t.call("DELETE", `/api/v1/email-config/${made.id}`, { token }), 204);
  await expectStatus(t.call("GET", `/api/v1/email-config/${made.id}`, { token }), 404);
  const events = await expectStatus(t.call("GET", "/api/v1/admin/audit", { token }), 200);
  const actions = events.data.map((e: { action: string }) => e.action);
  for (const a of ["email_config.created", "email_config.updated", "email_config.removed"]) {
    assert.ok(actions.includes(a), a);
  }
  assert.doesNotMatch(JSON.stringify(events), /imap-pw-1|smtp-pw-1/);
});

settingsTest(
  "email-config: passwords are AES-GCM sealed at rest, bound to their mailbox",
  async (t) => {
    const d = await aDesk(t);
    const made = await expectStatus(
      t.call("POST", "/api/v1/email-config", { token: d.token.Admin, json: body }),
      201,
    );
    const stored = (await t.deps.store.documents("mailboxes").get(d.org.id, made.id))!;
    assert.match(stored.imap.password, /^v1\.[\w-]+\.[\w-]+$/);
    assert.doesNotMatch(JSON.stringify(stored), /imap-pw-1|smtp-pw-1/);
    const box = await secretBox(t.deps.config.encryptionKey!);
    assert.equal(await box.open(stored.imap.password, `${made.id}:imap`), "imap-pw-1");
    assert.equal(await box.open(stored.smtp.password!, `${made.id}:smtp`), "smtp-pw-1");
    await assert.rejects(box.open(stored.imap.password, `${made.id}:smtp`), /Cannot decrypt/);
    const other = await secretBox("another-key-that-is-long-enough-for-this-test");
    await assert.rejects(other.open(stored.imap.password, `${made.id}:imap`), /ENCRYPTION_KEY/);
  },
);

settingsTest(
  "email-config: only Admins of the tenant (and a SuperAdmin naming it) manage it",
  async (t) => {
    const d = await aDesk(t);
    const other = await aDesk(t);
    for (const role of ["TL", "QA", "Agent", "Customer"] as const) {
      await expectStatus(
        t.call("POST", "/api/v1/email-config", { token: d.token[role], json: body }),
        403,
      );
      await expectStatus(t.call("GET", "/api/v1/email-config", { token: d.token[role] }), 403);
    }
    await expectStatus(t.call("GET", "/api/v1/email-config"), 401);
    const made = await expectStatus(
      t.call("POST", "/api/v1/email-config", { token: d.token.Admin, json: body }),
      201,
    );
    for (
      const [method, path] of [
        ["GET", ""],
        ["PUT", ""],
        ["DELETE", ""],
        ["POST", "/test"],
        ["POST", "/poll"],
      ] as const
    ) {
      await expectStatus(
        t.call(method, `/api/v1/email-config/${made.id}${path}`, {
          token: other.token.Admin,
          ...(method === "PUT" ? { json: { name: "x" } } : {}),
        }),
        404,
      );
    }
    const list = await expectStatus(
      t.call("GET", "/api/v1/email-config", { token: other.token.Admin }),
      200,
    );
    assert.equal(list.meta.total, 0);

    const sa = await login(t, (await aSuperAdmin(t)).email);
    await expectStatus(t.call("GET", "/api/v1/email-config", { token: sa }), 403);
    const named = await expectStatus(
      t.call("GET", `/api/v1/superadmin/organizations/${d.org.id}/email-config/${made.id}`, {
        token: sa,
      }),
      200,
    );
    assert.equal(named.id, made.id);
    await expectStatus(
      t.call("GET", `/api/v1/superadmin/organizations/${d.org.id}/email-config`, {
        token: d.token.Admin,
      }),
      403,
    );
  },
);

settingsTest("email-config: invalid settings are refused with field details", async (t) => {
  const d = await aDesk(t);
  const cases: [Record<string, unknown>, string][] = [
    [{ ...body, email: "not-an-address" }, "email"],
    [{ ...body, imap: { ...body.imap, port: 70000 } }, "imap.port"],
    [{ ...body, imap: { ...body.imap, host: "bad host!" } }, "imap.host"],
    [{ ...body, imap: { ...body.imap, password: "" } }, "imap.password"],
    [{ ...body, smtp: { ...body.smtp, extra: 1 } }, "smtp"],
    [{ ...body, imap: undefined }, "imap"],
  ];
  for (const [json, path] of cases) {
    const res = await expectStatus(
      t.call("POST", "/api/v1/email-config", { token: d.token.Admin, json }),
      400,
    );
    assert.equal(res.error.code, "VALIDATION_FAILED");
    assert.ok(
      res.error.details.some((x: { path: string }) => x.path.startsWith(path)),
      `${path}: ${JSON.stringify(res.error.details)}`,
    );
  }
  assert.equal(
    (await t.deps.store.documents("mailboxes").find(d.org.id, {
      sort: [],
      page: { page: 1, limit: 5 },
    })).total,
    0,
  );
});

settingsTest("email-config: documented in the OpenAPI document", async (t) => {
  const doc = await expectStatus(t.call("GET", "/openapi.json"), 200);
  for (const path of ["/api/v1/email-config", "/api/v1/email-config/{id}/poll"]) {
    assert.ok(doc.paths[path], path);
  }
  assert.ok(doc.components.schemas.Mailbox);
  assert.doesNotMatch(JSON.stringify(doc.components.schemas.Mailbox), /"password"/);
});
