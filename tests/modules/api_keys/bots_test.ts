import assert from "node:assert/strict";
import { conversation } from "@tests/helpers/conversation.ts";
import { aDesk, type Desk, expectStatus, openQuery } from "@tests/helpers/support.ts";

async function aKey(desk: Desk, scopes: string[], name = "Helper bot") {
  return await expectStatus(
    desk.t.call("POST", "/api/v1/api-keys", { token: desk.token.Admin, json: { name, scopes } }),
    201,
  );
}

interface Pushed {
  id: string;
  seq: number;
  text: string;
  senderId: string;
  senderRole: string;
  senderName?: string;
  type: string;
}

Deno.test({
  name: "a chat:write key is a bot: it answers a customer, who sees it live with the bot's name",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const c = await conversation();
    try {
      const bot = await aKey(c.desk, ["chat:write"]);
      const reader = await aKey(c.desk, ["chat:read"], "Reader");
      const roomId = c.query.roomId as string;
      const customer = await c.open(c.desk.token.Customer);
      await customer.request("join-room", { roomId });

      // Over REST.
      const posted: Pushed = await expectStatus(
        c.t.call("POST", `/api/v1/chat/rooms/${roomId}/messages`, {
          token: bot.key,
          json: { message: "Hi, I am the helper bot. Have you tried resetting it?" },
        }),
        201,
      );
      assert.equal(posted.senderRole, "bot");
      assert.equal(posted.senderId, `apikey:${bot.id}`);
      assert.equal(posted.senderName, "Helper bot");
      const live = await customer.next(
        "message-received",
        (d) => (d.message as Pushed).id === posted.id,
      );
      const seen = live.data.message as Pushed;
      assert.equal(seen.senderRole, "bot");
      assert.equal(seen.senderName, "Helper bot");
      assert.ok(posted.seq > 0);
      assert.equal(seen.seq, posted.seq, "stored with the room's seq");

      // Over the socket.
      const ws = await c.open(bot.key);
      await ws.request("join-room", { roomId });
      const ack = await ws.request("send-message", { roomId, message: "Anything else?" });
      const second = await customer.next(
        "message-received",
        (d) => (d.message as Pushed).id === ack.messageId,
      );
      assert.equal((second.data.message as Pushed).senderRole, "bot");
      assert.equal((second.data.message as Pushed).senderName, "Helper bot");
      assert.equal(ack.seq, posted.seq + 1);

      // Never a private note, never outside chat:write, never a direct room with staff.
      await expectStatus(
        c.t.call("POST", `/api/v1/chat/rooms/${roomId}/messages`, {
          token: bot.key,
          json: { message: "psst", type: "note" },
        }),
        403,
      );
      const noteErr = await ws.request("send-message", { roomId, message: "psst", type: "note" })
        .then(() => null, (e) => e);
      assert.equal(noteErr?.code, "FORBIDDEN");
      await expectStatus(
        c.t.call("POST", `/api/v1/chat/rooms/${roomId}/messages`, {
          token: reader.key,
          json: { message: "I only read" },
        }),
        403,
      );
      await expectStatus(
        c.t.call("POST", "/api/v1/chat/rooms", {
          token: bot.key,
          json: { members: [c.agent.user.id] },
        }),
        403,
      );

      // Another organization's room is as unknown as a missing one.
      const theirs = await openQuery(await aDesk(c.t));
      await expectStatus(
        c.t.call("POST", `/api/v1/chat/rooms/${theirs.roomId}/messages`, {
          token: bot.key,
          json: { message: "Hello there" },
        }),
        404,
      );

      // As Chatwoot's agent bots: a bot's answer is not the first response; an agent's is.
      const before = await expectStatus(
        c.t.call("GET", `/api/v1/queries/${c.query.id}`, { token: c.desk.token.Admin }),
        200,
      );
      assert.equal(before.firstResponseAt, null);
      await expectStatus(
        c.t.call("POST", `/api/v1/chat/rooms/${roomId}/messages`, {
          token: c.agent.token,
          json: { message: "Agent here" },
        }),
        201,
      );
      const after = await expectStatus(
        c.t.call("GET", `/api/v1/queries/${c.query.id}`, { token: c.desk.token.Admin }),
        200,
      );
      assert.ok(after.firstResponseAt);

      // Named in the query's history and in the audit log.
      const history = await expectStatus(
        c.t.call("GET", `/api/v1/queries/${c.query.id}/history`, { token: c.desk.token.Admin }),
        200,
      );
      const byBot = history.data.filter((h: { actorId: string }) =>
        h.actorId === `apikey:${bot.id}`
      );
      assert.deepEqual(
        byBot.map((h: { action: string; field: string; to: string }) => [h.action, h.field, h.to]),
        [["message", "bot", posted.id], ["message", "bot", ack.messageId]],
      );
      const audit = await expectStatus(
        c.t.call("GET", "/api/v1/admin/audit?action=bot.message_posted", {
          token: c.desk.token.Admin,
        }),
        200,
      );
      assert.equal(audit.data.length, 2);
      assert.equal(audit.data[0].actorId, `apikey:${bot.id}`);
      assert.equal(audit.data[0].targetId, bot.id);
      assert.equal(audit.data[0].details.name, "Helper bot");
    } finally {
      await c.close();
    }
  },
});
