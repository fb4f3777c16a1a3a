import assert from "node:assert/strict";
import { serve, testApp } from "@tests/helpers/app.ts";
import { skipRedis } from "@tests/helpers/redis.ts";
import { startSentinel } from "@tests/helpers/sentinel.ts";
import { aDesk, anAgent, openQuery } from "@tests/helpers/support.ts";
import { login } from "@tests/helpers/identity.ts";
import { connect } from "@tests/helpers/ws.ts";

Deno.test({
  name:
    "through Redis Sentinel, a primary killed mid-conversation loses nothing stored; both instances relay again",
  ignore: skipRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const sentinel = await startSentinel();
    const env = { ...sentinel.env, PRESENCE_TTL_SECONDS: "3" };
    const a = await testApp({ env });
    const b = await testApp({ dataDir: a.deps.config.dataDir, env });
    const servers = [serve(a.app), serve(b.app)];
    const clients: Awaited<ReturnType<typeof connect>>[] = [];
    try {
      assert.equal(a.deps.bus.kind, "redis");
      const desk = await aDesk(a);
      const agent = await anAgent(desk);
      const query = await openQuery(desk);
      const customer = await connect(servers[0]!.wsUrl, desk.token.Customer);
      const staff = await connect(servers[1]!.wsUrl, await login(b, agent.user.email));
      clients.push(customer, staff);
      await customer.request("join-room", { roomId: query.roomId });
      const joined = await staff.request("join-room", { roomId: query.roomId });
      const sent: number[] = [];
      const say = async (text: string) =>
        sent.push(
          (await customer.request("send-message", { roomId: query.roomId, message: text }))
            .seq as number,
        );
      await say("before 1");
      await say("before 2");
      await sentinel.failover();
      // Stored either way; relayed once the instances follow the Sentinel to the new primary.
      for (let i = 1; i <= 3; i++) await say(`after ${i}`);
      const last = sent[sent.length - 1]!;
      await staff.next("message-received", (d) => (d.message as { seq: number }).seq === last);
      // What the agent's socket missed while Redis moved, a resume by seq gives back.
      const resumed = await staff.request("join-room", {
        roomId: query.roomId,
        sinceSeq: joined.lastSeq,
      });
      assert.ok(resumed);
      const stored = await a.deps.store.messages.list(desk.org.id, query.roomId, {
        afterSeq: joined.lastSeq as number,
        limit: 50,
      });
      assert.deepEqual(
        stored.filter((m) => m.senderRole === "Customer").map((m) => m.text),
        ["before 1", "before 2", "after 1", "after 2", "after 3"],
      );
      const delivered = new Set(
        staff.frames.filter((f) => f.event === "message-received").map((f) =>
          (f.data.message as { seq: number }).seq
        ),
      );
      for (const seq of sent) assert.ok(delivered.has(seq), `seq ${seq} reached the agent`);
      // Shared state (rate limits, presence) works on the new primary too.
      assert.equal((await a.deps.shared.increment("sentinel-check", 10_000)).count, 1);
      assert.equal((await b.deps.shared.increment("sentinel-check", 10_000)).count, 2);
    } finally {
      for (const c of clients) await c.close();
      await b.close();
      await a.close();
      for (const s of servers) await s.close();
      await sentinel.stop();
    }
  },
});
