import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import { aDesk, anAgent, type Desk, expectStatus, openQuery } from "@tests/helpers/support.ts";

const say = (desk: Desk, roomId: string, token: string, json: Record<string, unknown>) =>
  expectStatus(desk.t.call("POST", `/api/v1/chat/rooms/${roomId}/messages`, { token, json }), 201);

type Hit = {
  message: { id: string; text: string; type: string };
  query: { id: string; reference: string } | null;
  highlights: { start: number; end: number }[];
};

Deno.test("GET /search finds messages and notes in the caller's reach, with their query and highlights, paged", async () => {
  const t = await testApp();
  try {
    const desk = await aDesk(t);
    const mine = await anAgent(desk, { max: 1 });
    const q1 = await openQuery(desk, { title: "Billing" });
    assert.equal(q1.assignedTo, mine.user.id);
    const other = await anAgent(desk, { max: 1 });
    const q2 = await openQuery(desk, { title: "Other" });
    assert.equal(q2.assignedTo, other.user.id);
    await say(desk, q1.roomId, desk.token.Customer, { message: "My Invoice is wrong, invoice 42" });
    await say(desk, q1.roomId, mine.token, { message: "Waive the invoice fee?", type: "note" });
    await say(desk, q2.roomId, desk.token.Customer, { message: "Another invoice question" });
    await say(desk, q2.roomId, desk.token.Customer, { message: "nothing to see" });
    const search = (token: string, query: string) =>
      t.call("GET", `/api/v1/search?${query}`, { token });

    const agent = await expectStatus(search(mine.token, "q=INVOICE"), 200);
    assert.equal(agent.meta.total, 2, "the other agent's query is out of reach");
    const [note, text] = agent.data as Hit[];
    assert.equal(note!.message.type, "note");
    assert.equal(text!.message.text, "My Invoice is wrong, invoice 42");
    assert.deepEqual(text!.highlights, [{ start: 3, end: 10 }, { start: 21, end: 28 }]);
    assert.deepEqual([text!.query!.id, text!.query!.reference], [q1.id, q1.reference]);

    const lead = await expectStatus(search(desk.token.TL, "q=invoice&limit=2"), 200);
    assert.deepEqual(lead.meta, { total: 3, page: 1, limit: 2 });
    const next = await expectStatus(search(desk.token.TL, "q=invoice&limit=2&page=2"), 200);
    assert.deepEqual(next.data.map((h: Hit) => h.query!.id), [q1.id]);
    assert.equal(lead.data[0].query.id, q2.id, "newest first");

    // A customer searches their own conversations, never notes nor anyone else's.
    const contact = await expectStatus(
      t.call("POST", "/api/v1/contacts", {
        token: desk.token.TL,
        json: { name: "Someone Else", email: "someone@else.test" },
      }),
      201,
    );
    const q3 = await openQuery(desk, { title: "Theirs", customerId: contact.id }, desk.token.TL);
    await say(desk, q3.roomId, desk.token.TL, { message: "Your invoice is attached" });
    const own = await expectStatus(search(desk.token.Customer, "q=invoice"), 200);
    assert.equal(own.meta.total, 2);
    assert.deepEqual(
      (own.data as Hit[]).map((h) => h.message.text).sort(),
      ["Another invoice question", "My Invoice is wrong, invoice 42"],
    );
    assert.ok((own.data as Hit[]).every((h) => h.message.type !== "note"));
    await expectStatus(search(desk.token.TL, "q=in"), 400);
    assert.equal((await expectStatus(search(desk.token.TL, "q=zzzz"), 200)).meta.total, 0);
  } finally {
    await t.close();
  }
});
