import assert from "node:assert/strict";
import { type TestApp, testApp } from "@tests/helpers/app.ts";
import { aDesk, expectStatus } from "@tests/helpers/support.ts";
import { listenWithBanner } from "@tests/net/banner_listener.ts";
import { reviewHosts } from "@tests/helpers/hosts.ts";

function mailbox(host: string, port: number) {
  return {
    name: "Internal",
    email: "internal@desk.test",
    imap: { host, port, secure: false, user: "u", password: "p" },
    smtp: { host, port, secure: false },
    pollingEnabled: false,
  };
}

async function testEndpoint(t: TestApp, token: string, host: string, port: number) {
  const made = await expectStatus(
    t.call("POST", "/api/v1/email-config", { token, json: mailbox(host, port) }),
    201,
  );
  return await expectStatus(
    t.call("POST", `/api/v1/email-config/${made.id}/test`, { token }),
    200,
  );
}

Deno.test({
  name: "POST /email-config/{id}/test refuses internal hosts in every form and never connects",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const listener = listenWithBanner();
    const t = await testApp({ env: { IMAP_TIMEOUT_SECONDS: "5" } });
    try {
      const d = await aDesk(t);
      for (const host of [...reviewHosts, "[::ffff:127.0.0.1]"]) {
        const result = await testEndpoint(t, d.token.Admin, host, listener.port);
        for (const side of ["imap", "smtp"] as const) {
          assert.equal(result[side].ok, false, host);
          assert.match(result[side].error, /refused by the egress policy/, host);
          assert.doesNotMatch(result[side].error, /SECRET/, host);
        }
      }
      assert.equal(listener.accepted(), 0, "no connection was opened");
      // The poll job goes through the same policy.
      const made = await expectStatus(
        t.call("POST", "/api/v1/email-config", {
          token: d.token.Admin,
          json: mailbox("127.1", listener.port),
        }),
        201,
      );
      const poll = await expectStatus(
        t.call("POST", `/api/v1/email-config/${made.id}/poll`, { token: d.token.Admin }),
        200,
      );
      assert.equal(poll.status, "failed");
      assert.match(poll.error, /refused by the egress policy/);
      assert.equal(listener.accepted(), 0);
    } finally {
      await t.close();
      await listener.close();
    }
  },
});

Deno.test({
  name: "POST /email-config/{id}/test reaches a loopback server once allowed, without echoing it",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const listener = listenWithBanner();
    const t = await testApp({
      env: { OUTBOUND_ALLOWED_CIDRS: "127.0.0.0/8", IMAP_TIMEOUT_SECONDS: "2" },
    });
    try {
      const d = await aDesk(t);
      const result = await testEndpoint(t, d.token.Admin, "127.0.0.1", listener.port);
      assert.ok(listener.accepted() >= 2, "both IMAP and SMTP connected");
      for (const side of ["imap", "smtp"] as const) {
        assert.equal(result[side].ok, false);
        assert.match(result[side].error, new RegExp(`127\\.0\\.0\\.1:${listener.port}`));
        assert.doesNotMatch(result[side].error, /SECRET|BANNER|internal-service/);
        assert.doesNotMatch(result[side].error, /egress policy/);
      }
      const stored = await expectStatus(
        t.call("GET", "/api/v1/email-config", { token: d.token.Admin }),
        200,
      );
      assert.doesNotMatch(JSON.stringify(stored), /SECRET/);
    } finally {
      await t.close();
      await listener.close();
    }
  },
});
