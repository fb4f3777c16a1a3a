import assert from "node:assert/strict";
import { skipDovecot } from "@tests/helpers/dovecot.ts";
import { aMailDesk, type MailDesk } from "@tests/helpers/mail.ts";
import { expectStatus, openQuery } from "@tests/helpers/support.ts";
import { startSmtp } from "@tests/helpers/smtp.ts";
import { fixedClock } from "@/clock.ts";
import { maxReplyAttempts } from "@/modules/email/replies.ts";
import type { Query } from "@/modules/queries/model.ts";
import { onePixelPng } from "@tests/helpers/files.ts";

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
      const m = await aMailDesk({ clock });
      try {
        await fn(m, clock);
      } finally {
        await m.close();
      }
    },
  });
}

async function importedQuery(m: MailDesk, messageId = "<ask-1@customer.test>"): Promise<Query> {
  await m.deliver({
    from: "Jane <jane@customer.test>",
    subject: "Printer on fire",
    messageId,
  });
  const [imported] = (await m.poll()).imported;
  return (await m.t.deps.store.queries.findById(m.desk.org.id, imported!.queryId!))!;
}

function say(m: MailDesk, query: Query, text: string, token = m.desk.token.Admin) {
  return expectStatus(
    m.t.call("POST", `/api/v1/chat/rooms/${query.roomId}/messages`, {
      token,
      json: { message: text },
    }),
    201,
  );
}

async function messageEmail(m: MailDesk, _query: Query, id: string) {
  return (await m.t.deps.store.messages.findById(m.desk.org.id, id))!.email!;
}

/** The message's delivery once its first send attempt has finished (it runs in the background). */
async function firstAttempt(m: MailDesk, query: Query, id: string) {
  for (let i = 0; i < 600; i++) {
    const email = await messageEmail(m, query, id);
    if (email?.attempts >= 1 && (email.status !== "queued" || email.lastError)) return email;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`No send attempt finished for message ${id}`);
}

/** Unfolded header value of a raw message. */
function headerOf(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, " ");
  const line = head.split(/\r?\n/).find((l) =>
    l.toLowerCase().startsWith(`${name.toLowerCase()}:`)
  );
  return line?.slice(name.length + 1).trim();
}

mailTest(
  "reply: an agent's message reaches the customer by SMTP with threading headers",
  async (m) => {
    const query = await importedQuery(m);
    const sent = await say(m, query, "We are sending a technician.");
    const mail = await m.smtp.next();
    assert.deepEqual(mail.to, ["jane@customer.test"]);
    assert.equal(headerOf(mail.raw, "In-Reply-To"), "<ask-1@customer.test>");
    assert.equal(headerOf(mail.raw, "References"), "<ask-1@customer.test>");
    assert.equal(headerOf(mail.raw, "Subject"), `Re: Printer on fire [${query.reference}]`);
    assert.match(headerOf(mail.raw, "From")!, /"?Acme Support"? <support@desk\.test>/);
    const messageId = headerOf(mail.raw, "Message-ID")!;
    assert.match(messageId, /^<chatcrm\.[^@]+@desk\.test>$/);
    assert.match(mail.raw, /We are sending a technician\./);
    const email = await firstAttempt(m, query, sent.id);
    assert.equal(email.status, "sent");
    assert.equal(email.messageId, messageId);
    assert.equal(email.attempts, 1);

    // The customer answers our mail: it joins the same query, and the next reply threads on.
    await m.deliver({
      from: "jane@customer.test",
      subject: `Re: Printer on fire [${query.reference}]`,
      inReplyTo: messageId,
      references: ["<ask-1@customer.test>", messageId],
      messageId: "<ask-2@customer.test>",
      text: "Thanks!",
    });
    const answer = await m.poll();
    assert.deepEqual(answer.imported.map((i) => [i.status, i.queryId]), [["appended", query.id]]);
    await say(m, query, "You are welcome.");
    const second = await m.smtp.next();
    assert.equal(headerOf(second.raw, "In-Reply-To"), "<ask-2@customer.test>");
    assert.equal(
      headerOf(second.raw, "References"),
      `<ask-1@customer.test> ${messageId} <ask-2@customer.test>`,
    );
    // Our own mail delivered back to the support mailbox opens nothing.
    await m.deliver(second.raw);
    assert.deepEqual((await m.poll()).imported.map((i) => i.status), ["skipped"]);
  },
);

mailTest(
  "reply: a file an agent sends leaves as the mail's attachment, read from the file store",
  async (m) => {
    const query = await importedQuery(m);
    // A PNG of 300 KiB: larger than a stream's chunk, so the attachment is read in many.
    const png = new Uint8Array(300 * 1024).fill(7);
    png.set(onePixelPng);
    const form = new FormData();
    form.set("file", new File([png], "plan.png", { type: "image/png" }));
    const file = await expectStatus(
      m.t.call("POST", `/api/v1/chat/rooms/${query.roomId}/files`, {
        token: m.desk.token.Admin,
        body: form,
      }),
      201,
    );
    const sent = await expectStatus(
      m.t.call("POST", `/api/v1/chat/rooms/${query.roomId}/messages`, {
        token: m.desk.token.Admin,
        json: { message: "The plan", type: "file", fileId: file.id },
      }),
      201,
    );
    const mail = await m.smtp.next();
    const part = mail.raw.split(/\r?\n--/).find((p) => /filename="?plan\.png"?/.test(p))!;
    assert.ok(part, "an attachment named plan.png");
    assert.match(part, /Content-Type: image\/png/i);
    const base64 = part.split(/\r?\n\r?\n/).slice(1).join("").replace(/\s+/g, "");
    assert.deepEqual(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)), png);
    assert.equal((await firstAttempt(m, query, sent.id)).status, "sent");
  },
);

mailTest(
  "reply: a note on an email query is never mailed; the next reply is, alone",
  async (m) => {
    const query = await importedQuery(m);
    const note = await expectStatus(
      m.t.call("POST", `/api/v1/chat/rooms/${query.roomId}/messages`, {
        token: m.desk.token.Admin,
        json: { message: "Internal: the printer is under warranty", type: "note" },
      }),
      201,
    );
    await say(m, query, "A technician is on the way.");
    const mail = await m.smtp.next();
    assert.match(mail.raw, /A technician is on the way\./);
    assert.doesNotMatch(mail.raw, /warranty/);
    await m.t.services.email.settle();
    assert.equal(await messageEmail(m, query, note.id), null, "the note has no delivery");
    assert.equal(await m.t.deps.store.documents("mail_outbox").get(m.desk.org.id, note.id), null);
    assert.equal(m.smtp.received().length, 1, "one mail: the reply");
  },
);

mailTest(
  "reply: a failed send stays queued with its error, is retried with backoff, then sent",
  async (m, clock) => {
    const query = await importedQuery(m);
    const down = m.smtp.port;
    await m.smtp.stop();
    const sent = await say(m, query, "Are you there?");
    let email = await firstAttempt(m, query, sent.id);
    assert.equal(email.status, "queued");
    assert.equal(email.attempts, 1);
    assert.match(
      email.lastError ?? "",
      new RegExp(`Connection refused by 127\\.0\\.0\\.1:${down}`),
    );
    const jobs = m.t.services.email;
    assert.deepEqual(await jobs.sendDue(), { sent: 0, failed: 0, waiting: 0 }, "not due yet");
    clock.advance(61_000);
    assert.deepEqual(await jobs.sendDue(), { sent: 0, failed: 0, waiting: 1 });
    email = await messageEmail(m, query, sent.id);
    assert.equal(email.attempts, 2);
    // The admin points the mailbox at a working server; the next due attempt goes out.
    const smtp = await startSmtp();
    try {
      await expectStatus(
        m.t.call("PUT", `/api/v1/email-config/${m.mailbox.id}`, {
          token: m.desk.token.Admin,
          json: { smtp: { port: smtp.port } },
        }),
        200,
      );
      clock.advance(60_000);
      assert.deepEqual(await jobs.sendDue(), { sent: 0, failed: 0, waiting: 0 }, "backoff doubled");
      clock.advance(60_000);
      assert.deepEqual(await jobs.sendDue(), { sent: 1, failed: 0, waiting: 0 });
      const mail = await smtp.next();
      assert.match(mail.raw, /Are you there\?/);
      email = await messageEmail(m, query, sent.id);
      assert.equal(email.status, "sent");
      assert.equal(email.attempts, 3);
      assert.equal(email.lastError, null);
    } finally {
      await smtp.stop();
    }
  },
);

mailTest("reply: a send failing every attempt ends failed, with why", async (m, clock) => {
  const query = await importedQuery(m);
  await m.smtp.stop();
  const sent = await say(m, query, "Hello?");
  await firstAttempt(m, query, sent.id);
  const jobs = m.t.services.email;
  for (let i = 1; i < maxReplyAttempts; i++) {
    clock.advance(60 * 60_000);
    await jobs.sendDue();
  }
  const email = await messageEmail(m, query, sent.id);
  assert.equal(email.status, "failed");
  assert.equal(email.attempts, maxReplyAttempts);
  assert.match(email.lastError ?? "", /Connection refused/);
  clock.advance(60 * 60_000);
  assert.deepEqual(await jobs.sendDue(), { sent: 0, failed: 0, waiting: 0 });
});

mailTest("reply: customer messages and chat queries send no mail", async (m) => {
  await importedQuery(m);
  const chatQuery = await openQuery(m.desk);
  await say(m, chatQuery, "A chat answer");
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(m.smtp.received().length, 0);
  const outbox = await m.t.deps.store.documents("mail_outbox").find(m.desk.org.id, {
    sort: [],
    page: { page: 1, limit: 10 },
  });
  assert.equal(outbox.total, 0);
});

mailTest(
  "reply: when the query's mailbox was removed the reply fails at once, saying why",
  async (m) => {
    const query = await importedQuery(m);
    await expectStatus(
      m.t.call("DELETE", `/api/v1/email-config/${m.mailbox.id}`, { token: m.desk.token.Admin }),
      204,
    );
    const sent = await say(m, query, "Anyone?");
    const email = await firstAttempt(m, query, sent.id);
    assert.equal(email.status, "failed");
    assert.equal(email.attempts, 1);
    assert.match(email.lastError ?? "", /mailbox no longer exists/);
    assert.equal(m.smtp.received().length, 0);
  },
);

mailTest("reply: a bot's message (a chat:write API key) is mailed like an agent's", async (m) => {
  const query = await importedQuery(m);
  const bot = await expectStatus(
    m.t.call("POST", "/api/v1/api-keys", {
      token: m.desk.token.Admin,
      json: { name: "Helper bot", scopes: ["chat:write"] },
    }),
    201,
  );
  const sent = await say(m, query, "An automatic answer: have you tried turning it off?", bot.key);
  assert.equal(sent.senderRole, "bot");
  const mail = await m.smtp.next();
  assert.deepEqual(mail.to, ["jane@customer.test"]);
  assert.match(mail.raw, /have you tried turning it off/);
  assert.equal((await firstAttempt(m, query, sent.id)).status, "sent");
});
