import assert from "node:assert/strict";
import { expectStatus } from "@tests/helpers/support.ts";
import { conversation } from "@tests/helpers/conversation.ts";
import type { Frame, WsClient } from "@tests/helpers/ws.ts";

type Seen = { seq: number; text: string; type: string };

const received = (client: WsClient): Seen[] =>
  client.frames.filter((f: Frame) => f.event === "message-received").map((f) =>
    f.data.message as Seen
  );

/** Whether each seq is one more than the one before it. */
const contiguous = (seqs: number[]) => seqs.every((s, i) => i === 0 || s === seqs[i - 1]! + 1);

Deno.test("a note reaches staff live and never a customer's socket, whose seqs stay gap-free", async () => {
  const c = await conversation();
  try {
    const roomId = c.query.roomId as string;
    const customer = await c.open(c.desk.token.Customer);
    const agent = await c.open(c.agent.token);
    await customer.request("join-room", { roomId });
    await agent.request("join-room", { roomId });
    const hello = await customer.request("send-message", { roomId, message: "hello" });
    const note = await agent.request("send-message", {
      roomId,
      message: "internal: refund already issued",
      type: "note",
    });
    assert.equal(note.seq, (hello.seq as number) + 1, "the room's seq counts the note");
    const reply = await agent.request("send-message", { roomId, message: "public reply" });
    assert.equal(reply.seq, (note.seq as number) + 1);
    const seen = await customer.next(
      "message-received",
      (d) => (d.message as Seen).text === "public reply",
    );
    await agent.next("message-received", (d) => (d.message as Seen).type === "note");
    assert.equal((seen.data.message as Seen).seq, (hello.seq as number) + 1, "no gap for them");
    const customerSeqs = received(customer).map((m) => m.seq);
    assert.ok(contiguous(customerSeqs), `customer saw ${customerSeqs}`);
    assert.equal(received(customer).some((m) => m.type === "note"), false);
    assert.equal(JSON.stringify(customer.frames).includes("refund"), false);
    assert.deepEqual(received(agent).map((m) => m.seq).slice(-3), [
      hello.seq,
      note.seq,
      reply.seq,
    ]);

    // Resume after a reconnect: from before the note, without it, and still gap-free.
    await customer.close();
    await agent.request("send-message", { roomId, message: "second note", type: "note" });
    await agent.request("send-message", { roomId, message: "after the notes" });
    const again = await c.open(c.desk.token.Customer);
    const joined = await again.request("join-room", { roomId, sinceSeq: hello.seq });
    await again.next("message-received", (d) => (d.message as Seen).text === "after the notes");
    assert.deepEqual(received(again).map((m) => [m.seq, m.text]), [
      [(hello.seq as number) + 1, "public reply"],
      [(hello.seq as number) + 2, "after the notes"],
    ]);
    assert.equal(joined.lastSeq, (hello.seq as number) + 2);
    const read = await again.request("mark-read", { roomId, seq: joined.lastSeq });
    assert.equal(read.seq, joined.lastSeq, "read positions are in the customer's seqs too");

    // Staff resume is gapless over the room's own seqs, notes included.
    const staff = await c.open(c.desk.token.TL);
    await staff.request("join-room", { roomId, sinceSeq: hello.seq });
    await staff.next("message-received", (d) => (d.message as Seen).text === "after the notes");
    assert.deepEqual(received(staff).map((m) => m.text), [
      "internal: refund already issued",
      "public reply",
      "second note",
      "after the notes",
    ]);
  } finally {
    await c.close();
  }
});

Deno.test("REST: a customer's messages and rooms never show a note; staff's do", async () => {
  const c = await conversation();
  try {
    const { t, desk } = c;
    const roomId = c.query.roomId as string;
    const post = (token: string, json: unknown) =>
      t.call("POST", `/api/v1/chat/rooms/${roomId}/messages`, { token, json });
    const mine = await expectStatus(post(desk.token.Customer, { message: "mine" }), 201);
    const note = await expectStatus(
      post(c.agent.token, { message: "looks like fraud", type: "note" }),
      201,
    );
    assert.equal(note.type, "note");
    const list = (token: string, query = "") =>
      expectStatus(t.call("GET", `/api/v1/chat/rooms/${roomId}/messages${query}`, { token }), 200);
    const theirs = (await list(desk.token.Customer)).data as Seen[];
    assert.equal(theirs.some((m) => m.type === "note"), false);
    assert.ok(contiguous(theirs.map((m) => m.seq)));
    assert.equal(theirs.at(-1)!.seq, mine.seq);
    const staff = (await list(desk.token.Admin)).data as Seen[];
    assert.equal(staff.at(-1)!.text, "looks like fraud");
    // Paging by the customer's own seqs finds nothing past their last message.
    assert.deepEqual((await list(desk.token.Customer, `?afterSeq=${mine.seq}`)).data, []);
    const rooms = (token: string) =>
      expectStatus(t.call("GET", "/api/v1/chat/rooms", { token }), 200);
    const customerRoom = (await rooms(desk.token.Customer)).data.find((r: { id: string }) =>
      r.id === roomId
    );
    assert.equal(customerRoom.lastMessage.text, "mine");
    assert.equal(customerRoom.unread, 0, "their own message is read; the note does not count");
    const adminRoom = (await rooms(desk.token.Admin)).data.find((r: { id: string }) =>
      r.id === roomId
    );
    assert.equal(adminRoom.lastMessage.text, "looks like fraud");
    const history = await t.call("GET", `/api/v1/queries/${c.query.id}/history`, {
      token: desk.token.Customer,
    });
    assert.equal((await history.text()).includes("fraud"), false);
    const q = await expectStatus(
      t.call("GET", `/api/v1/queries/${c.query.id}`, { token: desk.token.Admin }),
      200,
    );
    assert.equal(q.firstResponseAt, null, "a note is not a response to the customer");
  } finally {
    await c.close();
  }
});

Deno.test("a customer cannot write a note, by REST or socket", async () => {
  const c = await conversation();
  try {
    const roomId = c.query.roomId as string;
    const res = await c.t.call("POST", `/api/v1/chat/rooms/${roomId}/messages`, {
      token: c.desk.token.Customer,
      json: { message: "let me in", type: "note" },
    });
    assert.equal(res.status, 403, await res.text());
    const customer = await c.open(c.desk.token.Customer);
    await assert.rejects(
      customer.request("send-message", { roomId, message: "x", type: "note" }),
      /FORBIDDEN/,
    );
    const stored = await c.t.deps.store.messages.list(c.desk.org.id, roomId, { limit: 50 });
    assert.equal(stored.some((m) => m.type === "note"), false);
  } finally {
    await c.close();
  }
});

Deno.test("a note's mentions notify each named staff member live; ?type=mention finds them", async () => {
  const c = await conversation();
  try {
    const { t, desk } = c;
    const roomId = c.query.roomId as string;
    const tl = await c.open(desk.token.TL);
    const qa = await c.open(desk.token.QA);
    const sent = await expectStatus(
      t.call("POST", `/api/v1/chat/rooms/${roomId}/messages`, {
        token: c.agent.token,
        json: {
          message: "@tl user can you approve this? cc @QA User.",
          type: "note",
          mentions: [desk.users.Admin.id],
        },
      }),
      201,
    );
    assert.deepEqual(
      [...sent.mentions].sort(),
      [desk.users.Admin.id, desk.users.TL.id, desk.users.QA.id].sort(),
    );
    for (const socket of [tl, qa]) {
      const live = await socket.next("notification", (d) => d.type === "mention");
      assert.equal(live.data.data && (live.data.data as Record<string, string>).messageId, sent.id);
      assert.equal((live.data.data as Record<string, string>).queryId, c.query.id);
    }
    await t.services.notifications.notify(desk.org.id, desk.users.TL.id, {
      type: "other",
      title: "Something else",
      body: "",
    });
    const mentions = await expectStatus(
      t.call("GET", "/api/v1/notifications?type=mention", { token: desk.token.TL }),
      200,
    );
    assert.equal(mentions.meta.total, 1);
    assert.equal(mentions.data[0].type, "mention");
    const all = await expectStatus(
      t.call("GET", "/api/v1/notifications", { token: desk.token.TL }),
      200,
    );
    assert.ok(all.meta.total >= 2);
    // A customer is not staff: naming them is refused, and nothing is stored.
    const bad = await t.call("POST", `/api/v1/chat/rooms/${roomId}/messages`, {
      token: c.agent.token,
      json: { message: "x", type: "note", mentions: [desk.users.Customer.id] },
    });
    assert.equal(bad.status, 422, await bad.text());
    // Mentions belong to notes only.
    const plain = await t.call("POST", `/api/v1/chat/rooms/${roomId}/messages`, {
      token: c.agent.token,
      json: { message: "x", mentions: [desk.users.TL.id] },
    });
    assert.equal(plain.status, 422, await plain.text());
  } finally {
    await c.close();
  }
});

Deno.test("typing a note ({note: true}) shows to staff in the room, never to the customer", async () => {
  const c = await conversation();
  try {
    const roomId = c.query.roomId as string;
    const customer = await c.open(c.desk.token.Customer);
    const agent = await c.open(c.agent.token);
    const tl = await c.open(c.desk.token.TL);
    for (const s of [customer, agent, tl]) await s.request("join-room", { roomId });
    await agent.request("typing", { roomId, isTyping: true, note: true });
    const seen = await tl.next("user-typing");
    assert.deepEqual(seen.data, {
      userId: c.agent.user.id,
      roomId,
      isTyping: true,
      note: true,
    });
    // A plain typing after it reaches the customer; the note's never did.
    await agent.request("typing", { roomId, isTyping: false });
    const plain = await customer.next("user-typing");
    assert.deepEqual(plain.data, { userId: c.agent.user.id, roomId, isTyping: false });
    assert.equal(customer.frames.filter((f) => f.event === "user-typing").length, 1);
    await assert.rejects(
      customer.request("typing", { roomId, isTyping: true, note: true }),
      /FORBIDDEN/,
    );
  } finally {
    await c.close();
  }
});

Deno.test("a contact's data export, made to hand to the customer, holds no note and their own seqs", async () => {
  const c = await conversation();
  try {
    const { t, desk } = c;
    const roomId = c.query.roomId as string;
    const post = (token: string, json: unknown) =>
      t.call("POST", `/api/v1/chat/rooms/${roomId}/messages`, { token, json });
    await expectStatus(post(desk.token.Customer, { message: "my words" }), 201);
    await expectStatus(post(c.agent.token, { message: "internal only", type: "note" }), 201);
    await expectStatus(post(c.agent.token, { message: "to you" }), 201);
    const exported = await expectStatus(
      t.call("GET", `/api/v1/contacts/${desk.users.Customer.id}/export`, {
        token: desk.token.Admin,
      }),
      200,
    );
    const messages = exported.messages as Seen[];
    assert.equal(JSON.stringify(exported).includes("internal only"), false);
    assert.ok(messages.some((m) => m.text === "to you"));
    assert.ok(contiguous(messages.map((m) => m.seq)), `seqs ${messages.map((m) => m.seq)}`);
    // Staff reading the contact's conversations see the note: it is theirs.
    const staff = await expectStatus(
      t.call("GET", `/api/v1/contacts/${desk.users.Customer.id}/conversations`, {
        token: desk.token.Admin,
      }),
      200,
    );
    assert.ok(JSON.stringify(staff).includes("internal only"));
  } finally {
    await c.close();
  }
});
