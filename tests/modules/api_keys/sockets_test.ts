import assert from "node:assert/strict";
import { serve, testApp } from "@tests/helpers/app.ts";
import { conversation } from "@tests/helpers/conversation.ts";
import { skipRedis, startRedis } from "@tests/helpers/redis.ts";
import { aDesk, type Desk, expectStatus, openQuery } from "@tests/helpers/support.ts";
import { connect, upgradeStatus } from "@tests/helpers/ws.ts";

async function aKey(desk: Desk, scopes: string[], name = "Inbox bridge") {
  return await expectStatus(
    desk.t.call("POST", "/api/v1/api-keys", { token: desk.token.Admin, json: { name, scopes } }),
    201,
  );
}

Deno.test({
  name: "GET /ws takes an API key as an integration of its organization, within its scopes",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const c = await conversation();
    try {
      const reader = await aKey(c.desk, ["chat:read"]);
      const port = Number(new URL(c.server.wsUrl).port);
      // A key without any chat scope, or a wrong one, opens no socket.
      const queriesOnly = await aKey(c.desk, ["queries:read"]);
      assert.equal(
        await upgradeStatus(port, "/ws", { authorization: `Bearer ${queriesOnly.key}` }),
        403,
      );
      // The key with its last character changed (to another one, whatever it was).
      const wrong = reader.key.slice(0, -1) + (reader.key.endsWith("0") ? "1" : "0");
      assert.equal(await upgradeStatus(port, "/ws", { authorization: `Bearer ${wrong}` }), 401);

      // The header form and the query form both work.
      const bot = await c.open(reader.key);
      const viaHeader = await connect(c.server.wsUrl, reader.key, { header: true });
      assert.equal(viaHeader.frames[0]?.data.userId, `apikey:${reader.id}`);
      await viaHeader.close();

      // It reads any query room of its organization and sees the customer live.
      await bot.request("join-room", { roomId: c.query.roomId });
      const customer = await c.open(c.desk.token.Customer);
      await customer.request("join-room", { roomId: c.query.roomId });
      await customer.request("send-message", { roomId: c.query.roomId, message: "Hello?" });
      const seen = await bot.next(
        "message-received",
        (d) => (d.message as { text: string }).text === "Hello?",
      );
      assert.equal((seen.data.message as { senderRole: string }).senderRole, "Customer");

      // Read only: it may not write, and nothing of a user's (presence, calls) is a key's.
      const refused = async (event: string, data: Record<string, unknown>) => {
        const err = await bot.request(event, data).then(() => null, (e) => e);
        assert.equal(err?.code, "FORBIDDEN", event);
      };
      await refused("send-message", { roomId: c.query.roomId, message: "Hi" });
      await refused("typing", { roomId: c.query.roomId, isTyping: true });
      await refused("presence", { status: "online" });
      await refused("call-user", { to: c.agent.user.id, offer: { type: "offer", sdp: "x" } });
      assert.ok((await bot.request("ping", {})).at, "the socket stays up");

      // Another organization's room is as unknown as a missing one.
      const other = await aDesk(c.t);
      const theirs = await openQuery(other);
      const err = await bot.request("join-room", { roomId: theirs.roomId }).then(
        () => null,
        (e) => e,
      );
      assert.equal(err?.code, "NOT_FOUND");

      // Revoked: its open socket closes at once, as a socket of an ended session does.
      await expectStatus(
        c.t.call("DELETE", `/api/v1/api-keys/${reader.id}`, { token: c.desk.token.Admin }),
        204,
      );
      assert.equal(await bot.closed, 1008);
      assert.equal(
        await upgradeStatus(port, "/ws", { authorization: `Bearer ${reader.key}` }),
        401,
      );
    } finally {
      await c.close();
    }
  },
});

Deno.test({
  name: "a key revoked on one instance closes its socket on the other (Redis)",
  ignore: skipRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const redis = await startRedis();
    const a = await testApp({ env: { REDIS_URL: redis.url } });
    const b = await testApp({ dataDir: a.deps.config.dataDir, env: { REDIS_URL: redis.url } });
    const onB = serve(b.app);
    try {
      const desk = await aDesk(a);
      const made = await aKey(desk, ["chat:read"]);
      const kept = await aKey(desk, ["chat:read"], "Kept");
      const ws = await connect(onB.wsUrl, made.key, { header: true });
      const other = await connect(onB.wsUrl, kept.key);
      await expectStatus(
        a.call("DELETE", `/api/v1/api-keys/${made.id}`, { token: desk.token.Admin }),
        204,
      );
      assert.equal(await ws.closed, 1008);
      assert.ok((await other.request("ping", {})).at, "another key's socket stays");
      await other.close();
    } finally {
      await b.close();
      await a.close();
      await onB.close();
      await redis.stop();
    }
  },
});

Deno.test({
  name: "a key that expires while its socket is open closes the socket (1008) when it expires",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const c = await conversation();
    try {
      const expiresAt = new Date(Date.now() + 1500).toISOString();
      const key = await expectStatus(
        c.t.call("POST", "/api/v1/api-keys", {
          token: c.desk.token.Admin,
          json: { name: "Short-lived", scopes: ["chat:read"], expiresAt },
        }),
        201,
      );
      const bot = await c.open(key.key);
      await bot.request("join-room", { roomId: c.query.roomId });
      assert.equal(await bot.closed, 1008);
      assert.ok(Date.now() >= Date.parse(expiresAt) - 50, "not before it expired");
    } finally {
      await c.close();
    }
  },
});
