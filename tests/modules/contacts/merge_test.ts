import assert from "node:assert/strict";
import { skipDovecot } from "@tests/helpers/dovecot.ts";
import { aMailDesk, type MailDesk } from "@tests/helpers/mail.ts";
import { anAgent, expectStatus } from "@tests/helpers/support.ts";
import { onePixelPng } from "@tests/helpers/files.ts";
import { chatContactRecords } from "@/modules/chat/contact_records.ts";
import type { ContactRecords } from "@/modules/contacts/model.ts";
import { createContactService } from "@/modules/contacts/service.ts";
import { queryContactRecords } from "@/modules/queries/contact_records.ts";
import type { Query } from "@/modules/queries/model.ts";
import { createEmailService } from "@/modules/email/service.ts";

function mailTest(name: string, fn: (m: MailDesk) => Promise<void>) {
  Deno.test({
    name,
    ignore: skipDovecot,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const m = await aMailDesk();
      try {
        await fn(m);
      } finally {
        await m.close();
      }
    },
  });
}

async function queriesOf(m: MailDesk): Promise<Query[]> {
  const page = await m.t.deps.store.queries.list(m.desk.org.id, {}, {
    field: "createdAt",
    order: "asc",
  }, { page: 1, limit: 100 });
  return page.data;
}

/** A contact with a login, a rated chat query, and an email query with a file. */
async function aRichContact(m: MailDesk, email: string) {
  const { t, desk } = m;
  const session = await expectStatus(
    t.call("POST", "/api/v1/auth/register", {
      json: {
        name: "Bea Other",
        email,
        password: "a pass phrase of bea",
        organizationId: desk.org.id,
      },
    }),
    201,
  );
  const agent = await anAgent(desk);
  const chat = await expectStatus(
    t.call("POST", "/api/v1/queries", {
      token: session.token,
      json: { title: "Chat question", description: "From the portal" },
    }),
    201,
  );
  for (const status of ["In Progress", "Resolved"]) {
    await expectStatus(
      t.call("PUT", `/api/v1/queries/${chat.id}/status`, { token: agent.token, json: { status } }),
      200,
    );
  }
  await expectStatus(
    t.call("POST", `/api/v1/queries/${chat.id}/csat`, {
      token: session.token,
      json: { rating: 4, comment: "Fine" },
    }),
    201,
  );
  await m.deliver({
    from: `Bea <${email}>`,
    subject: "By mail",
    text: "My mail text",
    messageId: "<bea-1@customer.test>",
    attachments: [{ filename: "shot.png", contentType: "image/png", content: onePixelPng }],
  });
  const [imported] = (await m.poll()).imported;
  assert.equal(imported?.status, "created");
  return { id: session.user.id as string, token: session.token as string, chat, agent };
}

mailTest(
  "POST /contacts/{id}/merge moves queries, ratings, rooms, messages, files and login; the merged address threads here",
  async (m) => {
    const { t, desk } = m;
    const keep = desk.users.Customer;
    const other = await aRichContact(m, "bea@customer.test");
    const before = (await queriesOf(m)).filter((q) => q.customerId === other.id);
    assert.equal(before.length, 2);

    const merged = await expectStatus(
      t.call("POST", `/api/v1/contacts/${keep.id}/merge`, {
        token: desk.token.TL,
        json: { otherId: other.id },
      }),
      200,
    );
    assert.equal(merged.id, keep.id);

    const gone = await t.call("GET", `/api/v1/contacts/${other.id}`, { token: desk.token.TL });
    assert.equal(gone.status, 404);
    await gone.body?.cancel();
    const list = await expectStatus(
      t.call("GET", "/api/v1/contacts", { token: desk.token.TL }),
      200,
    );
    assert.ok(!list.data.some((c: { id: string }) => c.id === other.id));
    const history = await expectStatus(
      t.call("GET", `/api/v1/contacts/${keep.id}/queries`, { token: desk.token.TL }),
      200,
    );
    for (const q of before) assert.ok(history.data.some((h: Query) => h.id === q.id));
    const rated = history.data.find((q: Query) => q.id === other.chat.id);
    assert.equal(rated.csat.rating, 4, "the rating moved with its query");
    const entries = await expectStatus(
      t.call("GET", `/api/v1/queries/${other.chat.id}/history`, { token: desk.token.TL }),
      200,
    );
    assert.ok(entries.data.some((e: { action: string }) => e.action === "customer-merged"));

    const talk = await expectStatus(
      t.call("GET", `/api/v1/contacts/${keep.id}/conversations?limit=100`, {
        token: desk.token.TL,
      }),
      200,
    );
    const mail = talk.data.find((x: { text: string }) => x.text === "My mail text");
    assert.equal(mail.senderId, keep.id, "the merged contact's messages are this one's");
    const files = await t.deps.store.documents("attachments").find(desk.org.id, {
      sort: [],
      page: { page: 1, limit: 10 },
    });
    assert.ok(files.data.length > 0);
    assert.ok(files.data.every((f) => f.uploadedBy === keep.id));

    // The merged contact's session ends; the one kept reads the moved room.
    const stale = await t.call("GET", "/api/v1/queries", { token: other.token });
    assert.equal(stale.status, 401);
    await stale.body?.cancel();
    const emailQuery = before.find((q) => q.source === "Email")!;
    await expectStatus(
      t.call("GET", `/api/v1/chat/rooms/${emailQuery.roomId}/messages`, {
        token: desk.token.Customer,
      }),
      200,
    );

    // Mail from the merged address: a reply threads into the same query, a new one is this
    // contact's.
    await m.deliver({
      from: "bea@customer.test",
      subject: "Re: By mail",
      inReplyTo: "<bea-1@customer.test>",
      text: "Any news?",
    });
    await m.deliver({ from: "bea@customer.test", subject: "Something new", text: "New topic" });
    const outcomes = (await m.poll()).imported;
    assert.deepEqual(outcomes.map((o) => o.status), ["appended", "created"]);
    assert.equal(outcomes[0]!.queryId, emailQuery.id);
    const fresh = (await queriesOf(m)).find((q) => q.id === outcomes[1]!.queryId)!;
    assert.equal(fresh.customerId, keep.id);

    const audit = await t.deps.store.audit.list(desk.org.id, { targetId: keep.id }, {
      page: 1,
      limit: 20,
    });
    assert.ok(audit.data.some((e) => e.action === "contact.merged"));
    const self = await t.call("POST", `/api/v1/contacts/${keep.id}/merge`, {
      token: desk.token.TL,
      json: { otherId: keep.id },
    });
    assert.equal(self.status, 400);
    await self.body?.cancel();
    const byAgent = await t.call("POST", `/api/v1/contacts/${keep.id}/merge`, {
      token: desk.token.Agent,
      json: { otherId: other.id },
    });
    assert.equal(byAgent.status, 403);
    await byAgent.body?.cancel();
  },
);

mailTest(
  "a merge racing new mail from the merged address leaves nothing with the merged contact",
  async (m) => {
    const { t, desk } = m;
    const address = "racer@customer.test";
    await m.deliver({ from: address, subject: "First", text: "hello" });
    await m.poll();
    const other = (await t.deps.store.users.findByEmail(desk.org.id, address))!;
    const keep = await expectStatus(
      t.call("POST", "/api/v1/contacts", {
        token: desk.token.TL,
        json: { name: "Keeper", email: "keeper@customer.test" },
      }),
      201,
    );
    // The import has found the sender's contact, and the merge happens before it writes.
    const reached = Promise.withResolvers<void>();
    const merged = Promise.withResolvers<void>();
    const real = t.services.queries;
    const racing = createEmailService(t.deps, {
      chat: t.services.chat,
      attachments: t.services.attachments,
      contacts: t.services.contacts,
      queries: {
        ...real,
        async create(actor, input) {
          reached.resolve();
          await merged.promise;
          return await real.create(actor, input);
        },
      },
    });
    await m.deliver({ from: address, subject: "Racing", text: "written during the merge" });
    const polling = racing.poll(desk.org.id, m.mailbox.id);
    await reached.promise;
    await expectStatus(
      t.call("POST", `/api/v1/contacts/${keep.id}/merge`, {
        token: desk.token.TL,
        json: { otherId: other.id },
      }),
      200,
    );
    merged.resolve();
    const report = await polling;
    assert.deepEqual(report.imported.map((i) => i.status), ["created"]);
    const all = await queriesOf(m);
    assert.deepEqual(all.filter((q) => q.customerId === other.id).map((q) => q.reference), []);
    assert.equal(all.filter((q) => q.customerId === keep.id).length, 2);
    const rooms = await t.deps.store.documents("rooms").find(desk.org.id, {
      where: { customerId: other.id },
      sort: [],
      page: { page: 1, limit: 10 },
    });
    assert.equal(rooms.total, 0, "no room is left with the merged contact");
    const messages = await t.deps.store.messages.listInRooms(
      desk.org.id,
      all.map((q) => q.roomId!),
      { page: 1, limit: 100 },
    );
    assert.ok(messages.data.every((x) => x.senderId !== other.id));
  },
);

for (const again of [true, false]) {
  mailTest(
    `a merge stopped half-way completes ${again ? "when it is asked again" : "by the sweep job"}`,
    async (m) => {
      const { t, desk } = m;
      const other = await aRichContact(m, "half@customer.test");
      let fail = true;
      const chat = chatContactRecords(t.deps, t.services.attachments);
      const flaky: ContactRecords = {
        ...chat,
        async move(orgId, from, to) {
          if (fail) throw new Error("the instance died here");
          await chat.move(orgId, from, to);
        },
      };
      const contacts = createContactService({ ...t.deps, events: t.services.events }, {
        queries: t.services.queries,
        customFields: t.services.customFields,
        tokens: t.services.tokens,
        chat: t.services.chat,
        audit: t.services.audit,
        records: [
          queryContactRecords({ ...t.deps, events: t.services.events }, t.services.routing),
          flaky,
        ],
      });
      const actor = { userId: desk.users.TL.id, orgId: desk.org.id, role: "TL" as const };
      await assert.rejects(contacts.merge(actor, desk.users.Customer.id, other.id), /died/);
      const rooms = () =>
        t.deps.store.documents("rooms").find(desk.org.id, {
          where: { customerId: other.id },
          sort: [],
          page: { page: 1, limit: 10 },
        });
      assert.equal((await rooms()).total, 2, "stopped before the rooms moved");
      fail = false;
      if (again) await contacts.merge(actor, desk.users.Customer.id, other.id);
      else assert.deepEqual(await contacts.settleMerges(), { settled: 1 });
      assert.equal((await rooms()).total, 0, "the merge completed");
      const left = (await queriesOf(m)).filter((q) => q.customerId === other.id);
      assert.deepEqual(left, []);
    },
  );
}
