import assert from "node:assert/strict";
import { conversation } from "@tests/helpers/conversation.ts";
import { expectStatus } from "@tests/helpers/support.ts";

/** A clock that runs with real time and can be moved on (tokens are checked against real time). */
function movableClock() {
  let offsetMs = 0;
  return {
    now: () => new Date(Date.now() + offsetMs),
    advance(ms: number) {
      offsetMs += ms;
    },
  };
}

Deno.test({
  name:
    "an agent whose connection drops keeps her queries for the grace and gets her availability back on reconnect",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const clock = movableClock();
    const c = await conversation({
      clock,
      env: { PRESENCE_TTL_SECONDS: "3", AGENT_RECONNECT_GRACE_SECONDS: "120" },
    });
    try {
      const { t, desk, agent, query } = c;
      const org = desk.org.id;
      const watcher = await c.open(desk.token.TL);
      const first = await c.open(agent.token);
      await watcher.next("presence", (d) => d.userId === agent.user.id && d.status === "online");
      await first.close();
      await watcher.next("presence", (d) => d.userId === agent.user.id && d.status === "offline");
      // Announced offline after the presence grace: routing stops offering her new queries...
      const dropped = await t.deps.store.agentStates.get(org, agent.user.id);
      assert.equal(dropped.status, "offline");
      assert.ok(dropped.droppedAt);
      // ...but her query stays hers while she may come back.
      assert.deepEqual(await t.services.routing.requeueUnanswered(), 0);
      const held = await t.deps.store.queries.findById(org, query.id);
      assert.equal(held?.assignedTo, agent.user.id);

      const back = await c.open(agent.token);
      await watcher.next("presence", (d) => d.userId === agent.user.id && d.status === "online");
      const joined = await back.request("join-room", { roomId: query.roomId, sinceSeq: 0 });
      assert.equal(joined.roomId, query.roomId, "no Room not found after a reconnect");
      const restored = await t.deps.store.agentStates.get(org, agent.user.id);
      assert.equal(restored.status, "online", "her availability is back");
      assert.equal(restored.droppedAt, null);
      const status = await expectStatus(
        t.call("GET", "/api/v1/agents/status", { token: desk.token.TL }),
        200,
      );
      const shown = status.data.find((s: { userId: string }) => s.userId === agent.user.id);
      assert.equal(shown.status, "online");
      // User objects say what routing says: one source of truth.
      const asAdmin = await expectStatus(
        t.call("GET", `/api/v1/admin/agents/${agent.user.id}`, { token: desk.token.Admin }),
        200,
      );
      assert.equal(asAdmin.agent.availability, "online");
      await expectStatus(
        t.call("PUT", "/api/v1/agents/me/status", { token: agent.token, json: { status: "away" } }),
        200,
      );
      const me = await expectStatus(t.call("GET", "/api/v1/auth/me", { token: agent.token }), 200);
      assert.equal(me.user.availability, "away");
      const list = await expectStatus(
        t.call("GET", "/api/v1/admin/agents", { token: desk.token.Admin }),
        200,
      );
      assert.equal(
        list.data.find((u: { id: string }) => u.id === agent.user.id).availability,
        "away",
      );
      await expectStatus(
        t.call("PUT", "/api/v1/agents/me/status", {
          token: agent.token,
          json: { status: "online" },
        }),
        200,
      );

      // Gone past the grace: the requeue job hands her queries back.
      await back.close();
      await watcher.next("presence", (d) => d.userId === agent.user.id && d.status === "offline");
      clock.advance(121_000);
      assert.equal(await t.services.routing.requeueUnanswered(), 1);
      const history = await expectStatus(
        t.call("GET", `/api/v1/queries/${query.id}/history`, { token: desk.token.TL }),
        200,
      );
      const requeued = history.data.find((e: { action: string }) => e.action === "requeued");
      assert.equal(requeued?.reason, "agent went offline");
      assert.equal(requeued?.from, agent.user.id);
    } finally {
      await c.close();
    }
  },
});
