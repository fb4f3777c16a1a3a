import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import { aDesk, anAgent, expectStatus, openQuery } from "@tests/helpers/support.ts";

/**
 * Per chat message an agent's instance read the room's query three times: the access check, then
 * reply tracking and the mail-reply check, each again. The listeners now take the access check's
 * read from `message.created`; what they decide stays the same (the first response is recorded
 * once; a chat query sends no mail).
 */
Deno.test("an agent's chat reply reads its query once, and its first response is still recorded", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const agent = await anAgent(desk);
    const q = await openQuery(desk);
    assert.equal(q.assignedTo, agent.user.id);
    const queries = t.deps.store.queries;
    const findById = queries.findById;
    let reads = 0;
    queries.findById = (orgId, id) => {
      if (id === q.id) reads++;
      return findById.call(queries, orgId, id);
    };
    const reply = (message: string) =>
      expectStatus(
        t.call("POST", `/api/v1/chat/rooms/${q.roomId}/messages`, {
          token: agent.token,
          json: { message },
        }),
        201,
      );
    let first: string | null | undefined;
    try {
      const sent = await reply("Hello, let me look");
      assert.equal(reads, 1, "reads of the query for the first reply");
      first = (await findById.call(queries, desk.org.id, q.id))?.firstResponseAt;
      assert.equal(first, sent.createdAt);
      await reply("Found it");
      assert.equal(reads, 2, "reads of the query for the second reply");
    } finally {
      queries.findById = findById;
    }
    assert.equal((await queries.findById(desk.org.id, q.id))?.firstResponseAt, first);
    const outbox = await t.deps.store.documents("mail_outbox").find(desk.org.id, {
      sort: [],
      page: { page: 1, limit: 10 },
    });
    assert.equal(outbox.total, 0, "a chat query's replies queued as mail");
  } finally {
    await t.close();
  }
});
