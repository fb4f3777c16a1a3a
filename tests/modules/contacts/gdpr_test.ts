import assert from "node:assert/strict";
import { skipDovecot } from "@tests/helpers/dovecot.ts";
import { aMailDesk } from "@tests/helpers/mail.ts";
import { anAgent, expectStatus } from "@tests/helpers/support.ts";
import { onePixelPng } from "@tests/helpers/files.ts";

Deno.test({
  name:
    "GET /contacts/{id}/export gives everything; DELETE /contacts/{id} erases it, the team's records keep a marker",
  ignore: skipDovecot,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const m = await aMailDesk();
    try {
      const { t, desk } = m;
      const agent = await anAgent(desk);
      const address = "erin@customer.test";
      await m.deliver({
        from: `Erin Private <${address}>`,
        subject: "My account 4711",
        text: "My home address is 1 Elm Street",
        messageId: "<erin-1@customer.test>",
        attachments: [{ filename: "passport.png", contentType: "image/png", content: onePixelPng }],
      });
      const [imported] = (await m.poll()).imported;
      const queryId = imported!.queryId!;
      const contact = (await t.deps.store.users.findByEmail(desk.org.id, address))!;
      const query = (await t.deps.store.queries.findById(desk.org.id, queryId))!;
      assert.equal(query.assignedTo, agent.user.id, "an open query, assigned");
      await expectStatus(
        t.call("POST", `/api/v1/chat/rooms/${query.roomId}/messages`, {
          token: agent.token,
          json: { message: "We are on it" },
        }),
        201,
      );
      await m.t.services.email.settle();
      await m.smtp.next();

      const denied = await t.call("GET", `/api/v1/contacts/${contact.id}/export`, {
        token: desk.token.TL,
      });
      assert.equal(denied.status, 403, "only an Admin exports");
      await denied.body?.cancel();
      const res = await t.call("GET", `/api/v1/contacts/${contact.id}/export`, {
        token: desk.token.Admin,
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-disposition") ?? "", /attachment/);
      const data = await res.json();
      assert.equal(data.contact.email, address);
      assert.deepEqual(data.queries.map((q: { id: string }) => q.id), [queryId]);
      const texts = data.messages.map((x: { text: string }) => x.text);
      assert.ok(texts.includes("My home address is 1 Elm Street"));
      assert.ok(texts.includes("We are on it"));
      assert.equal(data.mailThreads[0].customerEmail, address);
      assert.equal(data.files.length, 1);
      const download = await t.call("GET", data.files[0].url, { token: desk.token.Admin });
      assert.equal(download.status, 200, "the export's links download the files");
      assert.deepEqual(new Uint8Array(await download.arrayBuffer()), onePixelPng);
      assert.ok(Array.isArray(data.calls) && Array.isArray(data.notifications));
      assert.ok(!JSON.stringify(data).includes("passwordHash"));

      const byTl = await t.call("DELETE", `/api/v1/contacts/${contact.id}`, {
        token: desk.token.TL,
      });
      assert.equal(byTl.status, 403);
      await byTl.body?.cancel();
      await expectStatus(
        t.call("DELETE", `/api/v1/contacts/${contact.id}`, { token: desk.token.Admin }),
        204,
      );

      const gone = await t.call("GET", `/api/v1/contacts/${contact.id}`, {
        token: desk.token.Admin,
      });
      assert.equal(gone.status, 404);
      await gone.body?.cancel();
      assert.equal(await t.deps.store.users.findByEmail(desk.org.id, address), null);
      const kept = await expectStatus(
        t.call("GET", `/api/v1/queries/${queryId}`, { token: desk.token.Admin }),
        200,
      );
      assert.equal(kept.reference, query.reference, "the query's number stays");
      assert.equal(kept.title, "[erased]");
      assert.equal(kept.description, "[erased]");
      assert.equal(kept.status, "Closed", "nobody is left to answer: the open query is closed");
      const room = await expectStatus(
        t.call("GET", `/api/v1/chat/rooms/${query.roomId}/messages`, { token: desk.token.Admin }),
        200,
      );
      const after = room.data.map((x: { text: string }) => x.text);
      assert.ok(after.includes("We are on it"), "the team's own messages stay");
      assert.ok(!after.some((x: string) => x.includes("Elm Street") || x.includes("passport")));
      assert.ok(after.includes("[erased]"));
      const file = await t.call("GET", data.files[0].url, { token: desk.token.Admin });
      assert.equal(file.status, 404, "the contact's files are deleted");
      await file.body?.cancel();
      assert.equal(await t.deps.files.get(data.files[0].id), null, "bytes and all");
      assert.equal(await t.deps.store.documents("mail_threads").get(desk.org.id, queryId), null);
      const audit = await t.deps.store.audit.list(desk.org.id, { targetId: contact.id }, {
        page: 1,
        limit: 10,
      });
      const erased = audit.data.find((e) => e.action === "contact.erased");
      assert.ok(erased, "the erasure is audited");
      assert.ok(!JSON.stringify(erased).includes(address), "without the erased data");
      const state = await t.deps.store.agentStates.get(desk.org.id, agent.user.id);
      assert.equal(state.load, 0, "the agent's load is released");

      // No reply leaves for the erased address, and a new mail from it is a new contact.
      await expectStatus(
        t.call("POST", `/api/v1/chat/rooms/${query.roomId}/messages`, {
          token: agent.token,
          json: { message: "Anyone there?" },
        }),
        201,
      );
      await t.services.email.settle();
      assert.equal(m.smtp.received().length, 1, "nothing more was mailed");
      await m.deliver({ from: address, subject: "Hello again", text: "I am back" });
      const [again] = (await m.poll()).imported;
      assert.equal(again?.status, "created");
      const reborn = (await t.deps.store.users.findByEmail(desk.org.id, address))!;
      assert.notEqual(reborn.id, contact.id);
    } finally {
      await m.close();
    }
  },
});
