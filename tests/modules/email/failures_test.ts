import assert from "node:assert/strict";
import { skipDovecot } from "@tests/helpers/dovecot.ts";
import { aMailDesk, mailboxBody, type MailDesk } from "@tests/helpers/mail.ts";
import { expectStatus } from "@tests/helpers/support.ts";
import { fixedClock } from "@/clock.ts";

function mailTest(
  name: string,
  fn: (m: MailDesk, clock: ReturnType<typeof fixedClock>) => Promise<void>,
) {
  Deno.test({
    name,
    ignore: skipDovecot,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const clock = fixedClock("2026-11-25T10:00:00Z");
      const m = await aMailDesk({
        clock,
        env: { IMAP_POLL_SECONDS: "60", IMAP_TIMEOUT_SECONDS: "20" },
      });
      try {
        await fn(m, clock);
      } finally {
        await m.close();
      }
    },
  });
}

const stateOf = async (m: MailDesk, id = m.mailbox.id) =>
  (await m.t.deps.store.documents("mailboxes").get(m.desk.org.id, id))!;

mailTest(
  "job: an IMAP server that is down backs the mailbox off, then it recovers",
  async (m, clock) => {
    const job = m.t.services.email;
    await m.deliver({ from: "waiting@customer.test", messageId: "<w-1@customer.test>" });
    await m.dovecot.stop();
    assert.deepEqual(await job.pollDue(), { polled: 1, imported: 0, failed: 1, busy: 0 });
    let state = await stateOf(m);
    assert.equal(state.failures, 1);
    assert.match(
      state.lastError!,
      new RegExp(`Connection refused by 127\\.0\\.0\\.1:${m.dovecot.port}`),
    );
    assert.equal(state.lastErrorAt, clock.now().toISOString());
    assert.equal(state.nextPollAt, new Date(clock.now().getTime() + 120_000).toISOString());
    assert.equal(state.leaseOwner, null, "the lease is given back after a failure");

    clock.advance(60_000);
    assert.deepEqual(
      await job.pollDue(),
      { polled: 0, imported: 0, failed: 0, busy: 0 },
      "backing off",
    );
    clock.advance(61_000);
    assert.equal((await job.pollDue()).failed, 1);
    state = await stateOf(m);
    assert.equal(state.failures, 2);
    assert.equal(state.nextPollAt, new Date(clock.now().getTime() + 240_000).toISOString());

    // The admin sees it on the settings.
    const shown = await expectStatus(
      m.t.call("GET", `/api/v1/email-config/${m.mailbox.id}`, { token: m.desk.token.Admin }),
      200,
    );
    assert.equal(shown.failures, 2);
    assert.match(shown.lastError, /Connection refused/);

    await m.dovecot.start();
    clock.advance(230_000);
    assert.equal((await job.pollDue()).polled, 0);
    clock.advance(10_000);
    assert.deepEqual(await job.pollDue(), { polled: 1, imported: 1, failed: 0, busy: 0 });
    state = await stateOf(m);
    assert.equal(state.failures, 0);
    assert.equal(state.lastSuccessAt, clock.now().toISOString());
    assert.equal(state.nextPollAt, new Date(clock.now().getTime() + 60_000).toISOString());
    assert.match(
      state.lastError!,
      /Connection refused/,
      "the last error and its time stay visible",
    );
  },
);

mailTest(
  "job: a failing mailbox never stops the others; wrong logins and hosts say why",
  async (m) => {
    const broken = [
      { name: "Bad login", imap: { password: "wrong" }, error: /Login failed at 127\.0\.0\.1/ },
      { name: "Bad host", imap: { host: "no-such-host.invalid" }, error: /no-such-host\.invalid/ },
    ];
    const ids: string[] = [];
    for (const b of broken) {
      const body = mailboxBody(m.dovecot, m.smtp, m.account, { name: b.name });
      const made = await expectStatus(
        m.t.call("POST", "/api/v1/email-config", {
          token: m.desk.token.Admin,
          json: { ...body, imap: { ...body.imap, ...b.imap } },
        }),
        201,
      );
      ids.push(made.id);
    }
    await m.deliver({ from: "ok@customer.test", messageId: "<ok-1@customer.test>" });
    const job = m.t.services.email;
    const run = await job.pollDue();
    assert.deepEqual(run, { polled: 3, imported: 1, failed: 2, busy: 0 });
    for (const [i, b] of broken.entries()) {
      const state = await stateOf(m, ids[i]);
      assert.match(state.lastError!, b.error);
      assert.equal(state.failures, 1);
    }
    // The test endpoint says the same in words, for IMAP and SMTP separately.
    const test = await expectStatus(
      m.t.call("POST", `/api/v1/email-config/${ids[0]}/test`, { token: m.desk.token.Admin }),
      200,
    );
    const good = await expectStatus(
      m.t.call("POST", `/api/v1/email-config/${m.mailbox.id}/test`, { token: m.desk.token.Admin }),
      200,
    );
    assert.deepEqual(good, { imap: { ok: true, error: null }, smtp: { ok: true, error: null } });
    assert.equal(test.imap.ok, false);
    assert.match(test.imap.error, /Login failed/);
    assert.deepEqual(test.smtp, { ok: true, error: null });
  },
);
