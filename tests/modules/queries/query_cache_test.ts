import assert from "node:assert/strict";
import type { TestApp } from "@tests/helpers/app.ts";
import { testApp } from "@tests/helpers/app.ts";
import { aDesk, anAgent, type Desk, expectStatus, openQuery } from "@tests/helpers/support.ts";
import { twoInstances } from "@tests/helpers/cluster.ts";
import { skipRedis } from "@tests/helpers/redis.ts";

/** Counts the store's reads of one query (the access checks and reply tracking read it). */
function countReads(t: TestApp, queryId: string) {
  const queries = t.deps.store.queries;
  const findById = queries.findById;
  const counter = {
    reads: 0,
    restore: () => void (queries.findById = findById),
  };
  queries.findById = (orgId, id) => {
    if (id === queryId) counter.reads++;
    return findById.call(queries, orgId, id);
  };
  return counter;
}

const say = (desk: Desk, roomId: string, token: string, message: string, status = 201) =>
  expectStatus(
    desk.t.call("POST", `/api/v1/chat/rooms/${roomId}/messages`, { token, json: { message } }),
    status,
  );

/**
 * Every frame an agent sent in a query's room (typing, the message, the read receipt) read the
 * query for its access check, and every customer message read it again to see whether it answered
 * a question: on a SQLite file another instance writes to, each such read starts from an emptied
 * page cache. The query is now kept while unchanged; a change is seen by the next frame.
 */
Deno.test("a query's room reads the query once while it is unchanged, and a transfer is seen at once", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const agent = await anAgent(desk);
    const other = await anAgent(desk);
    const q = await openQuery(desk);
    assert.equal(q.assignedTo, agent.user.id);
    const counter = countReads(t, q.id);
    try {
      // The first reply reads it and records the first response (a change): the next reads again.
      await say(desk, q.roomId, agent.token, "Hello, let me look");
      await say(desk, q.roomId, agent.token, "Found it");
      const settled = counter.reads;
      for (let i = 0; i < 3; i++) {
        const m = await say(desk, q.roomId, desk.token.Customer, `Thanks ${i}`);
        await expectStatus(
          t.call("PUT", `/api/v1/chat/rooms/${q.roomId}/read`, {
            token: agent.token,
            json: { seq: m.seq },
          }),
          200,
        );
        await say(desk, q.roomId, agent.token, `You're welcome ${i}`);
      }
      assert.equal(counter.reads, settled, "reads of an unchanged query by its room's messages");

      await expectStatus(
        t.call("POST", `/api/v1/queries/${q.id}/transfer`, {
          token: agent.token,
          json: { toAgentId: other.user.id, reason: "Billing knows this" },
        }),
        200,
      );
      await say(desk, q.roomId, agent.token, "Still here?", 404);
      await say(desk, q.roomId, other.token, "I have it now");
    } finally {
      counter.restore();
    }
  } finally {
    await t.close();
  }
});

Deno.test("a customer's reply still moves a query that waits on them, told just before", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const agent = await anAgent(desk);
    const q = await openQuery(desk);
    await say(desk, q.roomId, agent.token, "Which browser do you use?");
    await say(desk, q.roomId, desk.token.Customer, "Firefox");
    const counter = countReads(t, q.id);
    try {
      await say(desk, q.roomId, desk.token.Customer, "Version 140");
      assert.equal(counter.reads, 0, "reads of a query waiting on its agent by a customer's reply");
    } finally {
      counter.restore();
    }
    const waiting = await expectStatus(
      t.call("PUT", `/api/v1/queries/${q.id}`, {
        token: agent.token,
        json: { waitingOn: "customer" },
      }),
      200,
    );
    assert.equal(waiting.waitingOn, "customer");
    await say(desk, q.roomId, desk.token.Customer, "Here is the screenshot");
    const after = await t.deps.store.queries.findById(desk.org.id, q.id);
    assert.equal(after?.waitingOn, "agent");
  } finally {
    await t.close();
  }
});

Deno.test({
  name: "a transfer on one instance closes the room to the previous agent on the other",
  ignore: skipRedis,
  async fn() {
    const c = await twoInstances();
    try {
      const { a, b, desk, agent, query } = c;
      const other = await anAgent(desk);
      // The agent writes on B, which keeps the query.
      const onB = (token: string, message: string) =>
        b.call("POST", `/api/v1/chat/rooms/${query.roomId}/messages`, {
          token,
          json: { message },
        });
      assert.equal((await onB(agent.token, "Hello")).status, 201);
      assert.equal((await onB(agent.token, "Let me check")).status, 201);
      const told = Promise.withResolvers<void>();
      const unsubscribe = await b.deps.bus.subscribe("queries:changed", (p) => {
        if ((p as { id?: string }).id === query.id) told.resolve();
      });
      try {
        await expectStatus(
          a.call("POST", `/api/v1/queries/${query.id}/transfer`, {
            token: agent.token,
            json: { toAgentId: other.user.id, reason: "Billing knows this" },
          }),
          200,
        );
        await told.promise;
      } finally {
        await unsubscribe();
      }
      const refused = await onB(agent.token, "Still here?");
      assert.equal(refused.status, 404, await refused.text());
      const taken = await onB(other.token, "I have it now");
      assert.equal(taken.status, 201, await taken.text());
    } finally {
      await c.close();
    }
  },
});
