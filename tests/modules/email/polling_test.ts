import assert from "node:assert/strict";
import { skipDovecot } from "@tests/helpers/dovecot.ts";
import {
  aMailDesk,
  loopbackAllowed,
  mailboxBody,
  type MailDesk,
  rawMail,
} from "@tests/helpers/mail.ts";
import { expectStatus } from "@tests/helpers/support.ts";
import { testApp } from "@tests/helpers/app.ts";
import { createEmailService } from "@/modules/email/service.ts";
import type { Query } from "@/modules/queries/model.ts";
import type { Message } from "@/modules/chat/repository.ts";
import { recordId } from "@/modules/email/repository.ts";
import { customerFor } from "@/modules/email/customers.ts";
import { maxImportFailures } from "@/modules/email/importer.ts";
import type { Logger } from "@/log.ts";
import { onePixelPng } from "@tests/helpers/files.ts";

/** Log lines a test's app wrote, to check what was logged. */
type Logged = { level: string; msg: string; fields: Record<string, unknown> }[];

function capture(logged: Logged): Logger {
  const at = (level: string) => (msg: string, fields: Record<string, unknown> = {}) =>
    void logged.push({ level, msg, fields });
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

function mailTest(name: string, fn: (m: MailDesk, logged: Logged) => Promise<void>) {
  Deno.test({
    name,
    ignore: skipDovecot,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const logged: Logged = [];
      const m = await aMailDesk({ log: capture(logged) });
      try {
        await fn(m, logged);
      } finally {
        await m.close();
      }
    },
  });
}

export async function queriesOf(m: MailDesk): Promise<Query[]> {
  const page = await m.t.deps.store.queries.list(
    m.desk.org.id,
    {},
    { field: "number", order: "asc" },
    { page: 1, limit: 100 },
  );
  return page.data;
}

export async function messagesOf(m: MailDesk, query: Query): Promise<Message[]> {
  return await m.t.deps.store.messages.list(m.desk.org.id, query.roomId!, {
    afterSeq: 0,
    limit: 100,
  });
}

const customerText = (messages: Message[]) =>
  messages.filter((x) => x.senderRole === "Customer").map((x) => x.text);

mailTest(
  "poll: a new mail opens an Email query for a new customer, its text in the room",
  async (m) => {
    await m.deliver({
      from: "Jane Doe <Jane@Customer.test>",
      subject: "Printer on fire",
      text: "It is burning since this morning.",
      messageId: "<first@customer.test>",
    });
    const report = await m.poll();
    assert.equal(report.status, "ok");
    assert.deepEqual(report.imported.map((i) => i.status), ["created"]);
    const [query, ...rest] = await queriesOf(m);
    assert.equal(rest.length, 0);
    assert.equal(query!.source, "Email");
    assert.equal(query!.title, "Printer on fire");
    assert.equal(query!.id, report.imported[0]!.queryId);
    const customer = await m.t.deps.store.users.findById(m.desk.org.id, query!.customerId);
    assert.equal(customer?.role, "Customer");
    assert.equal(customer?.email, "jane@customer.test");
    assert.equal(customer?.name, "Jane Doe");
    const messages = await messagesOf(m, query!);
    const mail = messages.find((x) => x.senderRole === "Customer")!;
    assert.equal(mail.text, "It is burning since this morning.");
    assert.equal(mail.senderId, customer!.id);
    assert.equal(mail.email?.status, "received");
    assert.equal(mail.email?.messageId, "<first@customer.test>");
    const after = await expectStatus(
      m.t.call("GET", `/api/v1/email-config/${m.mailbox.id}`, { token: m.desk.token.Admin }),
      200,
    );
    assert.equal(after.lastUid, 1);
    assert.equal(after.failures, 0);
    assert.ok(after.lastSuccessAt);
    assert.deepEqual((await m.poll()).imported, [], "nothing new on the next poll");
  },
);

mailTest(
  "poll: a sender who has an account in another organization becomes a plain contact here",
  async (m) => {
    const now = m.t.deps.clock.now().toISOString();
    const elsewhere = await m.t.deps.store.organizations.create({
      ...m.desk.org,
      id: m.t.deps.ids.next(),
      slug: `elsewhere-${crypto.randomUUID().slice(0, 8)}`,
    });
    const theirs = await m.t.deps.store.users.create({
      ...m.desk.users.Customer,
      id: m.t.deps.ids.next(),
      organizationId: elsewhere.id,
      email: "sam@customer.test",
      createdAt: now,
      updatedAt: now,
    });
    await m.deliver({ from: "Sam <sam@customer.test>", subject: "Hello", text: "Hi there" });
    await m.poll();
    const [query] = await queriesOf(m);
    const contact = await m.t.deps.store.users.findById(m.desk.org.id, query!.customerId);
    assert.equal(contact?.email, "sam@customer.test", "the real address, no +ORGID form");
    assert.equal(contact?.passwordHash, null, "a contact made by mail has no login");
    assert.notEqual(contact?.id, theirs.id);
    assert.equal(
      (await m.t.deps.store.users.findById(elsewhere.id, theirs.id))?.email,
      "sam@customer.test",
      "the other organization's account is untouched",
    );
  },
);

mailTest(
  "poll: replies join their query by In-Reply-To, References or [Q-…] from its customer",
  async (m) => {
    await m.deliver({
      from: "jane@customer.test",
      subject: "Login",
      messageId: "<q1@customer.test>",
    });
    const [created] = (await m.poll()).imported;
    const query = (await queriesOf(m))[0]!;
    assert.equal(created!.queryId, query.id);
    await m.deliver({
      from: "jane@customer.test",
      subject: "Re: Login",
      inReplyTo: "<q1@customer.test>",
      text: "by in-reply-to",
    });
    await m.deliver({
      from: "jane@customer.test",
      subject: "Re: Re: Login",
      references: ["<q1@customer.test>", "<unknown@elsewhere.test>"],
      text: "by references",
    });
    await m.deliver({
      from: "jane@customer.test",
      subject: `New thread about [${query.reference}]`,
      text: "by subject",
    });
    // Someone else naming the same ticket number gets a query of their own.
    await m.deliver({
      from: "mallory@evil.test",
      subject: `Re: [${query.reference}] let me in`,
      text: "not jane",
    });
    const report = await m.poll();
    assert.deepEqual(report.imported.map((i) => i.status), [
      "appended",
      "appended",
      "appended",
      "created",
    ]);
    const queries = await queriesOf(m);
    assert.equal(queries.length, 2);
    assert.deepEqual(customerText(await messagesOf(m, query)), [
      "Hello, I need help.",
      "by in-reply-to",
      "by references",
      "by subject",
    ]);
    assert.deepEqual(customerText(await messagesOf(m, queries[1]!)), ["not jane"]);
    assert.notEqual(queries[1]!.customerId, query.customerId);
  },
);

mailTest("poll: an HTML-only mail is kept as text, scripts and styles dropped", async (m) => {
  await m.deliver({
    from: "html@customer.test",
    html:
      '<html><head><style>p{color:red}</style></head><body><p>Hi &amp; thanks</p><script>alert("x")</script><img src=x onerror=alert(1)><div>Line&nbsp;2 &lt;b&gt;</div></body></html>',
  });
  await m.poll();
  const [query] = await queriesOf(m);
  const [text] = customerText(await messagesOf(m, query!));
  assert.match(text!, /Hi & thanks/);
  assert.match(text!, /Line 2 <b>/);
  assert.doesNotMatch(text!, /alert|color:red|<img|<script/);
});

mailTest(
  "poll: the same mail delivered twice, and to a second mailbox, is imported once",
  async (m) => {
    const second = { user: "sales", password: "imap-secret-2" };
    await m.dovecot.close();
    // A Dovecot with both accounts, and a second mailbox of the organization on it.
    const { startDovecot } = await import("@tests/helpers/dovecot.ts");
    const dovecot = await startDovecot([m.account, second]);
    try {
      await expectStatus(
        m.t.call("PUT", `/api/v1/email-config/${m.mailbox.id}`, {
          token: m.desk.token.Admin,
          json: { imap: { port: dovecot.port } },
        }),
        200,
      );
      const sales = await expectStatus(
        m.t.call("POST", "/api/v1/email-config", {
          token: m.desk.token.Admin,
          json: mailboxBody(dovecot, m.smtp, second, {
            name: "Sales",
            email: "sales@desk.test",
          }),
        }),
        201,
      );
      const mail = rawMail({ from: "dup@customer.test", messageId: "<dup-1@customer.test>" });
      await dovecot.append(m.account, mail);
      await dovecot.append(m.account, mail);
      await dovecot.append(second, mail);
      const first = await m.poll();
      assert.deepEqual(first.imported.map((i) => i.status), ["created", "duplicate"]);
      const other = await m.poll(sales.id);
      assert.deepEqual(other.imported.map((i) => i.status), ["duplicate"]);
      assert.equal((await queriesOf(m)).length, 1);
      const [query] = await queriesOf(m);
      assert.equal(customerText(await messagesOf(m, query!)).length, 1);
    } finally {
      await dovecot.close();
    }
  },
);

Deno.test({
  name: "poll: two instances polling one mailbox at the same time import each mail once",
  ignore: skipDovecot,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const m = await aMailDesk();
    const other = await testApp({
      dataDir: (m.t.deps as unknown as { dataDir: string }).dataDir,
      env: loopbackAllowed,
    });
    try {
      for (let i = 0; i < 5; i++) {
        await m.deliver({ from: `c${i}@customer.test`, messageId: `<race-${i}@customer.test>` });
      }
      const services = [m.t, other].map((t) => t.services.email);
      const reports = await Promise.all(
        [...services, ...services].map((s) => s.poll(m.desk.org.id, m.mailbox.id)),
      );
      const created = reports.flatMap((r) => r.imported).filter((i) => i.status === "created");
      assert.equal(created.length, 5);
      assert.ok(reports.some((r) => r.status === "busy"), "the lease turned the others away");
      assert.equal((await queriesOf(m)).length, 5);
      // Even without the lease (two mailboxes' pollers racing on one mail) the ledger decides.
      await m.t.deps.store.documents("mailboxes").update(m.desk.org.id, m.mailbox.id, {
        lastUid: 0,
        uidValidity: null,
      });
      const again = await Promise.all(services.map((s) => s.poll(m.desk.org.id, m.mailbox.id)));
      assert.equal(
        again.flatMap((r) => r.imported).filter((i) => i.status === "created").length,
        0,
      );
      assert.equal((await queriesOf(m)).length, 5);
    } finally {
      await other.close();
      await m.close();
    }
  },
});

mailTest(
  "poll: a crash between storing and the checkpoint neither duplicates nor loses mail",
  async (m) => {
    await m.deliver({ from: "crash@customer.test", messageId: "<crash-1@customer.test>" });
    const email = m.t.services.email;
    const crashed = await email.poll(m.desk.org.id, m.mailbox.id, {
      beforeCheckpoint() {
        throw new Error("simulated crash");
      },
    });
    assert.equal(crashed.status, "failed");
    assert.equal((await queriesOf(m)).length, 1, "the mail was stored");
    const state = await expectStatus(
      m.t.call("GET", `/api/v1/email-config/${m.mailbox.id}`, { token: m.desk.token.Admin }),
      200,
    );
    assert.equal(state.lastUid, 0, "but its checkpoint was not");
    await m.deliver({ from: "crash@customer.test", messageId: "<crash-2@customer.test>" });
    const report = await m.poll();
    assert.deepEqual(report.imported.map((i) => i.status), ["duplicate", "created"]);
    assert.equal((await queriesOf(m)).length, 2);
    // Fetching everything again (a lost checkpoint) imports nothing twice.
    await m.t.deps.store.documents("mailboxes").update(m.desk.org.id, m.mailbox.id, {
      lastUid: 0,
    });
    const again = await m.poll();
    assert.deepEqual(again.imported.map((i) => i.status), ["duplicate", "duplicate"]);
    assert.equal((await queriesOf(m)).length, 2);
  },
);

mailTest("poll: auto-replies, bulk mail and our own Message-IDs open nothing", async (m) => {
  await m.deliver({ from: "ooo@customer.test", headers: { "Auto-Submitted": "auto-replied" } });
  await m.deliver({ from: "news@list.test", headers: { Precedence: "bulk" } });
  await m.deliver({ from: "l@list.test", headers: { Precedence: "list" } });
  await m.deliver({ from: "x@customer.test", messageId: "<chatcrm.0192@desk.test>" });
  await m.deliver({ from: "support@desk.test", subject: "our own mail came back" });
  await m.deliver({ from: "human@customer.test", headers: { "Auto-Submitted": "no" } });
  const report = await m.poll();
  assert.deepEqual(report.imported.map((i) => i.status), [
    "skipped",
    "skipped",
    "skipped",
    "skipped",
    "skipped",
    "created",
  ]);
  assert.match(report.imported[0]!.reason!, /Auto-Submitted: auto-replied/);
  assert.match(report.imported[1]!.reason!, /Precedence: bulk/);
  assert.equal((await queriesOf(m)).length, 1);
  assert.equal(m.smtp.received().length, 0, "no reply went out");
});

mailTest(
  "poll: malformed MIME is handled, logged, and later mails still arrive",
  async (m, logged) => {
    await m.deliver("this is not a mail at all\r\n\r\n\u0000\u0001 binary junk");
    await m.deliver(
      [
        "From: broken@customer.test",
        "Subject: =?utf-8?B?not base64!!?=",
        "Message-ID: <broken-1@customer.test>",
        'Content-Type: multipart/mixed; boundary="never-closed"',
        "",
        "--never-closed",
        "Content-Type: text/plain",
        "Content-Transfer-Encoding: base64",
        "",
        "%%%% not base64 %%%%",
        "--never-closed",
        "Content-Type: application/pdf",
        "Content-Transfer-Encoding: base64",
        "",
        "AAAA====****",
      ].join("\r\n"),
    );
    await m.deliver({ from: "fine@customer.test", text: "after the broken ones" });
    const report = await m.poll();
    assert.equal(report.status, "ok");
    assert.equal(report.imported.length, 3);
    assert.equal(report.imported[2]!.status, "created");
    assert.equal(report.imported[0]!.status, "skipped", "no sender: nothing to answer");
    const texts = (await Promise.all((await queriesOf(m)).map((q) => messagesOf(m, q)))).flat()
      .map((x) => x.text);
    assert.ok(texts.includes("after the broken ones"));
    assert.ok(
      logged.some((l) => l.msg === "mail skipped" && l.fields.reason === "no sender address"),
      JSON.stringify(logged),
    );
  },
);

mailTest(
  "poll: a 30 MB attachment is kept out, noted and logged; small allowed ones are stored",
  async (m, logged) => {
    const big = new Uint8Array(30 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = i % 251;
    const png = onePixelPng;
    await m.deliver({
      from: "files@customer.test",
      text: "See the attached files",
      attachments: [
        { filename: "huge.pdf", contentType: "application/pdf", content: big },
        { filename: "shot.png", contentType: "image/png", content: png },
        { filename: "run.exe", contentType: "application/x-msdownload", content: png },
      ],
    });
    const report = await m.poll();
    assert.deepEqual(report.imported.map((i) => i.status), ["created"]);
    const [query] = await queriesOf(m);
    const messages = (await messagesOf(m, query!)).filter((x) => x.senderRole === "Customer");
    assert.match(messages[0]!.text, /See the attached files/);
    assert.match(messages[0]!.text, /"huge\.pdf" not imported: 30 MB is over the 10 MB limit/);
    assert.match(messages[0]!.text, /"run\.exe" not imported: type "application\/x-msdownload"/);
    const file = messages.find((x) => x.type === "file")!;
    assert.match(file.text, /shot\.png/);
    assert.deepEqual(await m.t.deps.files.get(file.fileId!), png);
    const download = await m.t.call("GET", `/api/v1/chat/files/${file.fileId}`, {
      token: m.desk.token.Admin,
    });
    assert.equal(download.status, 200);
    assert.deepEqual(new Uint8Array(await download.arrayBuffer()), png);
    const refused = logged.filter((l) => l.msg === "mail attachment refused");
    assert.deepEqual(refused.map((l) => l.fields.filename), ["huge.pdf", "run.exe"]);
  },
);

mailTest(
  "poll: a folder whose UIDVALIDITY changed is scanned again without re-importing",
  async (m) => {
    await m.deliver({ from: "v@customer.test", messageId: "<uv-1@customer.test>" }, "Support");
    await expectStatus(
      m.t.call("PUT", `/api/v1/email-config/${m.mailbox.id}`, {
        token: m.desk.token.Admin,
        json: { imap: { folder: "Support" } },
      }),
      200,
    );
    assert.deepEqual((await m.poll()).imported.map((i) => i.status), ["created"]);
    const before = (await m.t.deps.store.documents("mailboxes").get(
      m.desk.org.id,
      m.mailbox.id,
    ))!;
    await m.dovecot.deleteFolder(m.account, "Support");
    await m.deliver({ from: "v@customer.test", messageId: "<uv-1@customer.test>" }, "Support");
    await m.deliver({ from: "v@customer.test", messageId: "<uv-2@customer.test>" }, "Support");
    const report = await m.poll();
    assert.deepEqual(report.imported.map((i) => i.status), ["duplicate", "created"]);
    const after = (await m.t.deps.store.documents("mailboxes").get(
      m.desk.org.id,
      m.mailbox.id,
    ))!;
    assert.notEqual(after.uidValidity, before.uidValidity);
    assert.equal(after.lastUid, 2);
  },
);

Deno.test({
  name: "poll: a mail far over the limits is read only in part: its text arrives, no attachment",
  ignore: skipDovecot,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // 1 KB uploads: mails over 1 MB are read only that far.
    const m = await aMailDesk({ env: { UPLOAD_LIMIT_BYTES: "1024" } });
    try {
      await m.deliver({
        from: "huge@customer.test",
        text: "The logs are attached",
        attachments: [{
          filename: "logs.txt",
          contentType: "text/plain",
          content: new TextEncoder().encode("x".repeat(3 * 1024 * 1024)),
        }],
      });
      await m.deliver({ from: "next@customer.test", text: "still here" });
      const report = await m.poll();
      assert.deepEqual(report.imported.map((i) => i.status), ["created", "created"]);
      const [query] = await queriesOf(m);
      const messages = (await messagesOf(m, query!)).filter((x) => x.senderRole === "Customer");
      assert.equal(messages.length, 1, "no file message");
      assert.match(messages[0]!.text, /^The logs are attached/);
      assert.match(messages[0]!.text, /This mail was 4 MB, over the 1 MB read limit/);
    } finally {
      await m.close();
    }
  },
});

mailTest(
  "poll: an import its poller left half done is completed once by the next poll",
  async (m) => {
    await m.deliver({ from: "half@customer.test", messageId: "<half-1@customer.test>" });
    // A poller of this mailbox claimed the mail and died before finishing it.
    const at = m.t.deps.clock.now().toISOString();
    await m.t.deps.store.documents("mail_records").insert({
      id: await recordId(m.desk.org.id, "<half-1@customer.test>"),
      organizationId: m.desk.org.id,
      messageId: "<half-1@customer.test>",
      direction: "in",
      state: "importing",
      owner: "dead-instance:1",
      mailboxId: m.mailbox.id,
      queryId: null,
      roomId: null,
      chatMessageId: null,
      reason: null,
      failures: 0,
      createdAt: at,
      updatedAt: at,
    });
    const report = await m.poll();
    assert.deepEqual(report.imported.map((i) => i.status), ["created"]);
    assert.equal((await queriesOf(m)).length, 1);
    const record = await m.t.deps.store.documents("mail_records").get(
      m.desk.org.id,
      await recordId(m.desk.org.id, "<half-1@customer.test>"),
    );
    assert.equal(record?.state, "done");
    assert.equal(record?.queryId, report.imported[0]!.queryId);
  },
);

mailTest(
  "poll: a query the dead poller opened before noting it is reused, not doubled",
  async (m) => {
    await m.deliver({
      from: "half@customer.test",
      subject: "Half made",
      messageId: "<half-2@customer.test>",
      text: "the mail text",
    });
    const orgId = m.desk.org.id;
    const at = m.t.deps.clock.now().toISOString();
    await m.t.deps.store.documents("mail_records").insert({
      id: await recordId(orgId, "<half-2@customer.test>"),
      organizationId: orgId,
      messageId: "<half-2@customer.test>",
      direction: "in",
      state: "importing",
      owner: "dead-instance:2",
      mailboxId: m.mailbox.id,
      queryId: null,
      roomId: null,
      chatMessageId: null,
      reason: null,
      failures: 0,
      createdAt: at,
      updatedAt: at,
    });
    // It had made the customer and the query, then died.
    const customer =
      (await customerFor(m.t.deps, orgId, { address: "half@customer.test", name: "" }))!;
    const orphan = await m.t.services.queries.create(
      { userId: customer.id, orgId, role: "Customer" },
      { title: "Half made", description: "the mail text", source: "Email" },
    );
    const report = await m.poll();
    assert.deepEqual(report.imported.map((i) => [i.status, i.queryId]), [["created", orphan.id]]);
    assert.equal((await queriesOf(m)).length, 1);
    assert.deepEqual(customerText(await messagesOf(m, orphan)), ["the mail text"]);
  },
);

mailTest(
  "poll: a mail that cannot be stored is retried, then skipped; the mailbox goes on",
  async (m) => {
    await m.deliver({ from: "poison@customer.test", messageId: "<poison@customer.test>" });
    await m.deliver({ from: "next@customer.test", messageId: "<after-poison@customer.test>" });
    const support = m.t.services;
    const broken = createEmailService(m.t.deps, {
      chat: support.chat,
      attachments: support.attachments,
      contacts: support.contacts,
      queries: {
        ...support.queries,
        create: () => Promise.reject(new Error("the store said no")),
      },
    });
    for (let i = 1; i <= maxImportFailures; i++) {
      const report = await broken.poll(m.desk.org.id, m.mailbox.id);
      assert.equal(report.status, "failed");
      assert.equal(report.error, "Importing UID 1 failed: the store said no");
    }
    const state = await expectStatus(
      m.t.call("GET", `/api/v1/email-config/${m.mailbox.id}`, { token: m.desk.token.Admin }),
      200,
    );
    assert.equal(state.lastError, "Importing UID 1 failed: the store said no");
    assert.equal(state.lastUid, 0);
    const report = await m.poll();
    assert.deepEqual(report.imported.map((i) => i.status), ["skipped", "created"]);
    assert.match(report.imported[0]!.reason!, /gave up after 5 failed imports: the store said no/);
    assert.equal((await queriesOf(m)).length, 1);
  },
);
