import assert from "node:assert/strict";
import { expectStatus, openQuery } from "@tests/helpers/support.ts";
import { conversation } from "@tests/helpers/conversation.ts";
import { onePixelPng } from "@tests/helpers/files.ts";

Deno.test("a message is stored with its room seq, acked, and delivered to the room", async () => {
  const c = await conversation();
  try {
    const customer = await c.open(c.desk.token.Customer);
    const agent = await c.open(c.agent.token);
    await customer.request("join-room", { roomId: c.query.roomId });
    await agent.request("join-room", { roomId: c.query.roomId });
    const ack = await customer.request("send-message", {
      roomId: c.query.roomId,
      message: "Hello, anyone there?",
      clientMessageId: "m-1",
    });
    assert.equal(ack.duplicate, false);
    const seq = ack.seq as number;
    const got = await agent.next(
      "message-received",
      (d) => (d.message as { seq: number }).seq === seq,
    );
    const message = got.data.message as Record<string, unknown>;
    assert.equal(message.text, "Hello, anyone there?");
    assert.equal(message.id, ack.messageId);
    assert.deepEqual(got.data.sender, { id: c.desk.users.Customer.id, role: "Customer" });
    const retry = await customer.request("send-message", {
      roomId: c.query.roomId,
      message: "Hello, anyone there?",
      clientMessageId: "m-1",
    });
    assert.deepEqual(retry, { ...ack, duplicate: true });
    const stored = await expectStatus(
      c.t.call("GET", `/api/v1/chat/rooms/${c.query.roomId}/messages?afterSeq=${seq - 1}`, {
        token: c.desk.token.Admin,
      }),
      200,
    );
    assert.deepEqual(stored.data.map((m: { text: string }) => m.text), ["Hello, anyone there?"]);
    const reply = await agent.request("send-message", { roomId: c.query.roomId, message: "Yes!" });
    assert.equal(reply.seq, seq + 1);
    const q = await expectStatus(
      c.t.call("GET", `/api/v1/queries/${c.query.id}`, { token: c.desk.token.Admin }),
      200,
    );
    assert.ok(q.firstResponseAt, "the agent's reply is the first response");
  } finally {
    await c.close();
  }
});

Deno.test("typing and read receipts reach the others in the room", async () => {
  const c = await conversation();
  try {
    const customer = await c.open(c.desk.token.Customer);
    const agent = await c.open(c.agent.token);
    await customer.request("join-room", { roomId: c.query.roomId });
    await agent.request("join-room", { roomId: c.query.roomId });
    await customer.request("typing", { roomId: c.query.roomId, isTyping: true });
    const typing = await agent.next("user-typing");
    assert.deepEqual(typing.data, {
      userId: c.desk.users.Customer.id,
      roomId: c.query.roomId,
      isTyping: true,
    });
    const { seq } = await customer.request("send-message", {
      roomId: c.query.roomId,
      message: "x",
    });
    await agent.request("mark-read", { roomId: c.query.roomId, seq });
    const read = await customer.next("message-read", (d) => d.userId === c.agent.user.id);
    assert.equal(read.data.seq, seq);
    assert.equal(customer.frames.some((f) => f.event === "user-typing"), false, "not to oneself");
  } finally {
    await c.close();
  }
});

Deno.test("a frame without an id gets no ack, only its error; the widget's typing is sent that way", async () => {
  const c = await conversation();
  try {
    const customer = await c.open(c.desk.token.Customer);
    const agent = await c.open(c.agent.token);
    const roomId = c.query.roomId;
    for (const socket of [customer, agent]) await socket.request("join-room", { roomId });
    customer.raw(JSON.stringify({ event: "typing", data: { roomId, isTyping: true } }));
    await agent.next("user-typing", (d) => d.isTyping === true);
    customer.raw(JSON.stringify({ event: "typing", data: { roomId: "no-such-room" } }));
    const error = await customer.next("error");
    assert.equal(error.id, undefined);
    // Answers come in order: by the ping's ack, an ack of the typing would have come.
    await customer.request("ping");
    const acks = customer.frames.filter((f) => f.event === "ack");
    assert.ok(
      acks.length > 0 && acks.every((f) => f.id !== undefined && f.id !== ""),
      "no id-less ack",
    );
  } finally {
    await c.close();
  }
});

Deno.test("join-room with sinceSeq delivers what was missed, in order, then live, once each", async () => {
  const c = await conversation();
  try {
    const customer = await c.open(c.desk.token.Customer);
    await customer.request("join-room", { roomId: c.query.roomId });
    const first = await customer.request("send-message", { roomId: c.query.roomId, message: "1" });
    const since = first.seq as number;
    for (const text of ["2", "3", "4"]) {
      await customer.request("send-message", { roomId: c.query.roomId, message: text });
    }
    const agent = await c.open(c.agent.token);
    const joined = await agent.request("join-room", { roomId: c.query.roomId, sinceSeq: since });
    await customer.request("send-message", { roomId: c.query.roomId, message: "5" });
    await agent.next("message-received", (d) => (d.message as { text: string }).text === "5");
    const texts = agent.frames.filter((f) => f.event === "message-received").map((f) =>
      (f.data.message as { text: string }).text
    );
    assert.deepEqual(texts, ["2", "3", "4", "5"]);
    assert.equal(joined.lastSeq, since + 3);
  } finally {
    await c.close();
  }
});

Deno.test("bad frames get an error frame and the socket stays open", async () => {
  const c = await conversation();
  try {
    const s = await c.open(c.desk.token.Customer);
    s.raw("not json");
    assert.equal((await s.next("error")).error?.message, "Frame is not JSON");
    s.raw(JSON.stringify({ event: "fly", data: {}, id: 1 }));
    assert.equal((await s.next("error")).error?.message, 'Unknown event "fly"');
    s.raw(JSON.stringify({ event: "join-room", data: { room: "x" }, id: 2 }));
    const invalid = await s.next("error");
    assert.equal(invalid.error?.code, "VALIDATION_FAILED");
    assert.equal(invalid.id, 2);
    s.raw(
      JSON.stringify({ event: "send-message", data: { roomId: "r", message: "x".repeat(70_000) } }),
    );
    assert.equal((await s.next("error")).error?.code, "PAYLOAD_TOO_LARGE");
    await assert.rejects(s.request("join-room", { roomId: "no-such-room" }), /NOT_FOUND/);
    assert.ok((await s.request("ping")).at);
    assert.equal(s.socket.readyState, WebSocket.OPEN);
  } finally {
    await c.close();
  }
});

Deno.test("another customer can neither join nor write to a room", async () => {
  const c = await conversation();
  try {
    await c.t.call("POST", "/api/v1/auth/register", {
      json: {
        name: "Eve",
        email: "eve@example.com",
        password: "eve's own passphrase",
        organizationId: c.desk.org.id,
      },
    }).then((r) => r.body?.cancel());
    const eveToken = (await expectStatus(
      c.t.call("POST", "/api/v1/auth/login", {
        json: { email: "eve@example.com", password: "eve's own passphrase" },
      }),
      200,
    )).token;
    const eve = await c.open(eveToken);
    await assert.rejects(eve.request("join-room", { roomId: c.query.roomId }), /NOT_FOUND/);
    await assert.rejects(
      eve.request("send-message", { roomId: c.query.roomId, message: "hi" }),
      /NOT_FOUND/,
    );
    const rest = await c.t.call("GET", `/api/v1/chat/rooms/${c.query.roomId}/messages`, {
      token: eveToken,
    });
    assert.equal(rest.status, 404);
    await rest.body?.cancel();
  } finally {
    await c.close();
  }
});

Deno.test("a socket flooding frames is slowed, then closed with 1008", async () => {
  const c = await conversation({ env: { WS_RATE_PER_SECOND: "2", WS_RATE_BURST: "5" } });
  try {
    const s = await c.open(c.desk.token.Customer);
    for (let i = 0; i < 40; i++) s.raw(JSON.stringify({ event: "ping", data: {}, id: i }));
    assert.equal(await s.closed, 1008);
    assert.ok(s.frames.some((f) => f.error?.code === "RATE_LIMITED"));
    assert.ok(s.frames.filter((f) => f.event === "ack").length <= 6);
  } finally {
    await c.close();
  }
});

Deno.test("the upgrade needs a valid token; shutdown closes sockets with 1001", async () => {
  const c = await conversation();
  try {
    const anonymous = await fetch(`${c.server.url}/ws`, { headers: { upgrade: "websocket" } });
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();
    const s = await c.open(c.desk.token.Customer);
    await c.t.deps.drain();
    assert.equal(await s.closed, 1001);
  } finally {
    await c.close();
  }
});

Deno.test("REST chat: rooms with unread counts, messages by seq, files for members only", async () => {
  const c = await conversation();
  try {
    const { t, desk, query } = c;
    const post = (token: string, json: unknown) =>
      t.call("POST", `/api/v1/chat/rooms/${query.roomId}/messages`, { token, json });
    const sent = await expectStatus(
      post(desk.token.Customer, { message: "first", clientMessageId: "a" }),
      201,
    );
    await expectStatus(post(desk.token.Customer, { message: "first", clientMessageId: "a" }), 200);
    await expectStatus(post(c.agent.token, { message: "second" }), 201);
    const rooms = await expectStatus(
      t.call("GET", "/api/v1/chat/rooms", { token: desk.token.Customer }),
      200,
    );
    const room = rooms.data.find((r: { id: string }) => r.id === query.roomId);
    assert.equal(room.lastMessage.text, "second");
    assert.equal(room.unread, 1);
    // A TL, who has read nothing, sees every open query's room with its own last message and
    // all of its messages unread (the server's system notes count too).
    const quiet = await openQuery(desk, { title: "A second, quiet one" });
    await expectStatus(post(c.agent.token, { message: "third" }), 201);
    const tlRooms = await expectStatus(
      t.call("GET", "/api/v1/chat/rooms", { token: desk.token.TL }),
      200,
    );
    type Summary = {
      id: string;
      lastMessage: { text: string; seq: number } | null;
      unread: number;
    };
    const byId = new Map(tlRooms.data.map((r: Summary) => [r.id, r]));
    const busy = byId.get(query.roomId) as Summary;
    const still = byId.get(quiet.roomId) as Summary;
    assert.equal(busy.lastMessage?.text, "third");
    assert.equal(busy.unread, busy.lastMessage?.seq);
    assert.ok(still, "the second query's room is listed");
    assert.notEqual(still.lastMessage?.text, "third");
    assert.equal(still.unread, still.lastMessage?.seq ?? 0);
    assert.ok(busy.unread > still.unread);
    const form = new FormData();
    form.set(
      "file",
      new File([onePixelPng], "shot.png", { type: "image/png" }),
    );
    const file = await expectStatus(
      t.call("POST", `/api/v1/chat/rooms/${query.roomId}/files`, {
        token: desk.token.Customer,
        body: form,
      }),
      201,
    );
    const withFile = await expectStatus(
      post(desk.token.Customer, { message: "see attached", type: "file", fileId: file.id }),
      201,
    );
    assert.equal(withFile.fileId, file.id);
    const download = await t.call("GET", `/api/v1/chat/files/${file.id}`, { token: c.agent.token });
    assert.equal(download.status, 200);
    assert.deepEqual(
      new Uint8Array(await download.arrayBuffer()),
      onePixelPng,
    );
    const badType = new FormData();
    badType.set("file", new File(["#!/bin/sh"], "x.sh", { type: "application/x-sh" }));
    const refused = await t.call("POST", `/api/v1/chat/rooms/${query.roomId}/files`, {
      token: desk.token.Customer,
      body: badType,
    });
    assert.equal(refused.status, 415);
    await refused.body?.cancel();
    const notAttached = await post(desk.token.Customer, {
      message: "x",
      type: "file",
      fileId: "nope",
    });
    assert.equal(notAttached.status, 400);
    await notAttached.body?.cancel();
    const page = await expectStatus(
      t.call(
        "GET",
        `/api/v1/chat/rooms/${query.roomId}/messages?beforeSeq=${sent.seq + 1}&limit=5`,
        {
          token: desk.token.Customer,
        },
      ),
      200,
    );
    assert.deepEqual(page.data.map((m: { seq: number }) => m.seq).at(-1), sent.seq);
  } finally {
    await c.close();
  }
});

Deno.test("a call's parties attach snapshots; its record lists them; others cannot", async () => {
  const c = await conversation();
  try {
    const customer = await c.open(c.desk.token.Customer);
    const agent = await c.open(c.agent.token);
    const call = await customer.request("call-user", {
      to: c.agent.user.id,
      offer: { type: "offer", sdp: "v=0" },
    });
    await agent.next("incoming-call");
    await agent.request("answer-call", {
      callId: call.callId,
      answer: { type: "answer", sdp: "v=0" },
    });
    const upload = (token: string, type = "image/png") => {
      const form = new FormData();
      form.set("file", new File([onePixelPng], "shot.png", { type }));
      return c.t.call("POST", `/api/v1/calls/${call.callId}/snapshots`, { token, body: form });
    };
    const withShot = await expectStatus(upload(c.agent.token), 201);
    assert.equal(withShot.snapshots.length, 1);
    const notImage = await upload(c.agent.token, "application/pdf");
    assert.equal(notImage.status, 415);
    await notImage.body?.cancel();
    const stranger = await upload(c.desk.token.Agent);
    assert.equal(stranger.status, 404);
    await stranger.body?.cancel();
    await agent.request("end-call", { callId: call.callId });
    const mine = await expectStatus(
      c.t.call("GET", "/api/v1/calls", { token: c.desk.token.Customer }),
      200,
    );
    assert.equal(mine.data[0].id, call.callId);
    assert.equal(mine.data[0].snapshots.length, 1);
    assert.equal(mine.data[0].outcome, "completed");
    const others = await expectStatus(
      c.t.call("GET", "/api/v1/calls", { token: c.desk.token.Agent }),
      200,
    );
    assert.equal(others.meta.total, 0, "not a party, not a supervisor: no records");
  } finally {
    await c.close();
  }
});

Deno.test("a message looks the same over the socket and over REST", async () => {
  const c = await conversation();
  try {
    const customer = await c.open(c.desk.token.Customer);
    const agent = await c.open(c.agent.token);
    await agent.request("join-room", { roomId: c.query.roomId });
    const ack = await customer.request("send-message", {
      roomId: c.query.roomId,
      message: "Same everywhere?",
    });
    const pushed = await agent.next(
      "message-received",
      (d) => (d.message as { id: string }).id === ack.messageId,
    );
    const listed = await expectStatus(
      c.t.call("GET", `/api/v1/chat/rooms/${c.query.roomId}/messages`, { token: c.agent.token }),
      200,
    );
    const rest = listed.data.find((m: { id: string }) => m.id === ack.messageId);
    assert.deepEqual(pushed.data.message, rest);
    assert.equal("organizationId" in rest, false);
  } finally {
    await c.close();
  }
});

/**
 * A read receipt for the message a socket was just sent read the room's last message from the
 * store to clamp the position (and, when it was not the last, the message itself): the hub holds
 * that message, so it passes it on and nothing is read. A customer's seqs skip notes.
 */
Deno.test("mark-read of the message just delivered reads no message, in staff's and a customer's seqs", async () => {
  const c = await conversation();
  try {
    const roomId = c.query.roomId;
    const customer = await c.open(c.desk.token.Customer);
    const agent = await c.open(c.agent.token);
    await customer.request("join-room", { roomId });
    await agent.request("join-room", { roomId });
    const messages = c.t.deps.store.messages;
    const { last, list } = messages;
    let reads = 0;
    const seqOf = (d: Record<string, unknown>) => (d.message as { seq: number }).seq;
    const textOf = (d: Record<string, unknown>) => (d.message as { text: string }).text;
    let answer: Record<string, unknown>;
    let theirs: Record<string, unknown>;
    messages.last = (...args) => (reads++, last.apply(messages, args));
    messages.list = (...args) => (reads++, list.apply(messages, args));
    try {
      const asked = await customer.request("send-message", { roomId, message: "Hello?" });
      const got = await agent.next("message-received", (d) => seqOf(d) === asked.seq);
      const mine = await agent.request("mark-read", { roomId, seq: seqOf(got.data) });
      assert.equal(mine.seq, asked.seq);
      await agent.request("send-message", { roomId, message: "Checking", type: "note" });
      answer = await agent.request("send-message", { roomId, message: "Found it" });
      const seen = await customer.next("message-received", (d) => textOf(d) === "Found it");
      theirs = await customer.request("mark-read", { roomId, seq: seqOf(seen.data) });
      assert.equal(theirs.seq, seqOf(seen.data), "a customer's position is in their seqs");
      assert.equal(answer.seq, (asked.seq as number) + 2, "the note took a staff seq");
      assert.equal(theirs.seq, (asked.seq as number) + 1, "and none of the customer's");
      assert.equal(reads, 0, "message reads for the receipts");
    } finally {
      messages.last = last;
      messages.list = list;
    }
    const read = await c.t.deps.store.documents("room_reads").find(c.desk.org.id, {
      where: { userId: c.desk.users.Customer.id },
      sort: [],
      page: { page: 1, limit: 5 },
    });
    assert.deepEqual(
      read.data.map((r) => [r.seq, r.customerSeq]),
      [[answer.seq, theirs.seq]],
      "the customer's position names the answer in both seqs",
    );
  } finally {
    await c.close();
  }
});
