import assert from "node:assert/strict";
import { channels } from "@/bus/bus.ts";
import { batchedProtocol, maxBatchEvents } from "@/realtime/wire.ts";
import { twoInstances } from "@tests/helpers/cluster.ts";
import { conversation } from "@tests/helpers/conversation.ts";
import { login } from "@tests/helpers/identity.ts";
import { skipRedis } from "@tests/helpers/redis.ts";
import { type Frame, upgradeAnswer, type WsClient } from "@tests/helpers/ws.ts";

const batched = { protocols: [batchedProtocol] };

type Pushed = { seq: number; roomId: string; text: string };
const messagesOf = (frames: Frame[]) =>
  frames.filter((f) => f.event === "message-received").map((f) => f.data.message as Pushed);
const seqsOf = (frames: Frame[]) => messagesOf(frames).map((m) => m.seq);
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Lines per frame received since `from` (a plain socket's frames are one line each). */
const linesPerFrame = (client: WsClient, from = 0) =>
  client.wire.slice(from).map((text) => text.split("\n").length);

/** Every frame of a default-mode socket is one JSON envelope. */
function assertOneEventPerFrame(client: WsClient) {
  assert.equal(client.wire.length, client.frames.length);
  for (const text of client.wire) assert.ok(!text.includes("\n"), text);
}

Deno.test("GET /ws answers the batched subprotocol to a client offering it, and no other", async () => {
  const c = await conversation();
  try {
    const path = `/ws?token=${encodeURIComponent(c.agent.token)}`;
    const offers: [string | undefined, string | null][] = [
      [batchedProtocol, batchedProtocol],
      [`chat, ${batchedProtocol}`, batchedProtocol],
      [`chat,${batchedProtocol}`, batchedProtocol],
      ["chatcrm.batch.v2, mqtt", null],
      [undefined, null],
    ];
    for (const [offered, answered] of offers) {
      const res = await upgradeAnswer(
        c.server.port,
        path,
        offered === undefined ? {} : { "Sec-WebSocket-Protocol": offered },
      );
      assert.equal(res.status, 101, String(offered));
      assert.equal(res.headers.get("sec-websocket-protocol"), answered, String(offered));
    }
    const client = await c.open(c.agent.token, batched);
    assert.equal(client.socket.protocol, batchedProtocol);
    assert.ok((await client.request("ping")).at);
  } finally {
    await c.close();
  }
});

Deno.test("a batched socket gets a room's backlog in fewer frames than messages, in order and once, a plain one beside it one per frame", async () => {
  const c = await conversation();
  try {
    const roomId = c.query.roomId;
    const customer = await c.open(c.desk.token.Customer);
    await customer.request("join-room", { roomId });
    const n = 40;
    for (let i = 1; i <= n; i++) {
      await customer.request("send-message", { roomId, message: `m${i}` });
    }
    const agent = await c.open(c.agent.token, batched);
    const tl = await c.open(c.desk.token.TL);
    const before = agent.wire.length;
    const { lastSeq } = await agent.request("join-room", { roomId, sinceSeq: 0 });
    const plain = await tl.request("join-room", { roomId, sinceSeq: 0 });
    assert.equal(plain.lastSeq, lastSeq);

    const all = range(1, lastSeq as number);
    assert.deepEqual(seqsOf(agent.frames), all);
    assert.deepEqual(
      messagesOf(agent.frames).slice(-n).map((m) => m.text),
      range(1, n).map((i) => `m${i}`),
    );
    // The ack follows the backlog it reports.
    const ackAt = agent.frames.findIndex((f) => f.event === "ack");
    assert.ok(ackAt > agent.frames.findLastIndex((f) => f.event === "message-received"));
    const lines = linesPerFrame(agent, before);
    assert.equal(lines.reduce((a, b) => a + b, 0), all.length + 1);
    assert.ok(lines.length < all.length, `${lines.length} frames for ${all.length} messages`);

    assert.deepEqual(seqsOf(tl.frames), all);
    assertOneEventPerFrame(tl);
  } finally {
    await c.close();
  }
});

Deno.test("each line of a batched client frame is handled as its own frame: acks match ids, a bad line gets its error, the socket stays up", async () => {
  const c = await conversation();
  try {
    const roomId = c.query.roomId;
    const customer = await c.open(c.desk.token.Customer, batched);
    const agent = await c.open(c.agent.token);
    await customer.request("join-room", { roomId });
    await agent.request("join-room", { roomId });
    const answers = await customer.requestBatch([
      { event: "send-message", data: { roomId, message: "one" } },
      "not json",
      { event: "no-such-event" },
      { event: "send-message", data: { roomId } },
      { event: "send-message", data: { roomId, message: "two" } },
      { event: "ping" },
    ]);
    assert.deepEqual(answers.map((a) => [a.event, a.id, a.error?.code]), [
      ["ack", "r2", undefined],
      ["error", "r3", "BAD_REQUEST"],
      ["error", "r4", "VALIDATION_FAILED"],
      ["ack", "r5", undefined],
      ["ack", "r6", undefined],
    ]);
    const [one, , , two] = answers as [Frame, Frame, Frame, Frame];
    assert.equal(two.data.seq, (one.data.seq as number) + 1);
    // The bad line is answered in its place, between the answers to the lines around it.
    const notJson = customer.frames.findIndex((f) =>
      f.event === "error" && f.id === undefined && f.error?.message === "Frame is not JSON"
    );
    assert.ok(customer.frames.indexOf(one) < notJson, "after the first line's ack");
    assert.ok(notJson < customer.frames.indexOf(answers[1]!), "before the third line's error");

    await agent.next("message-received", (d) => (d.message as Pushed).seq === two.data.seq);
    assert.deepEqual(messagesOf(agent.frames).map((m) => m.text), ["one", "two"]);
    assert.equal(customer.socket.readyState, WebSocket.OPEN);
    assert.ok((await customer.request("ping")).at);

    // The default mode is as it was: a frame of two lines is one frame that is not JSON.
    const ping = JSON.stringify({ event: "ping", data: {}, id: "p1" });
    agent.raw(`${ping}\n${ping}`);
    const error = await agent.next("error");
    assert.equal(error.error?.message, "Frame is not JSON");
    assert.equal(agent.frames.filter((f) => f.id === "p1").length, 0);
    assertOneEventPerFrame(agent);
  } finally {
    await c.close();
  }
});

Deno.test("the flood rule counts each line of a batched frame", async () => {
  const c = await conversation({ env: { WS_RATE_BURST: "5", WS_RATE_PER_SECOND: "1" } });
  try {
    const client = await c.open(c.agent.token, batched);
    const answers = await client.requestBatch(range(1, 8).map(() => ({ event: "ping" })));
    assert.deepEqual(
      answers.map((a) => a.error?.code ?? a.event),
      ["ack", "ack", "ack", "ack", "ack", "RATE_LIMITED", "RATE_LIMITED", "RATE_LIMITED"],
    );
    assert.equal(client.socket.readyState, WebSocket.OPEN);
  } finally {
    await c.close();
  }
});

Deno.test({
  name:
    "across two instances a batched socket gets every message once and in order, and a burst in fewer frames; a plain one beside it one per frame",
  ignore: skipRedis,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const c = await twoInstances();
    try {
      const roomId = c.query.roomId;
      const customer = await c.open(0, c.desk.token.Customer, batched);
      const agent = await c.open(1, await login(c.b, c.agent.user.email), batched);
      const tl = await c.open(1, await login(c.b, c.desk.users.TL.email));
      for (const socket of [customer, agent, tl]) await socket.request("join-room", { roomId });

      const n = 30;
      const acks = await customer.requestBatch(
        range(1, n).map((i) => ({ event: "send-message", data: { roomId, message: `b${i}` } })),
      );
      assert.ok(acks.every((a) => a.event === "ack"), JSON.stringify(acks.find((a) => a.error)));
      const seqs = acks.map((a) => a.data.seq as number);
      assert.deepEqual(seqs, range(seqs[0]!, seqs[0]! + n - 1));
      for (const socket of [agent, tl]) {
        await socket.next("message-received", (d) => (d.message as Pushed).seq === seqs.at(-1));
        assert.deepEqual(seqsOf(socket.frames), seqs);
        assert.deepEqual(
          messagesOf(socket.frames).map((m) => m.text),
          range(1, n).map((i) => `b${i}`),
        );
      }

      // A burst on the bus, as from many writers at once: it reaches B's sockets in one turn.
      const before = agent.wire.length;
      const burst = 300;
      const customerId = c.desk.users.Customer.id;
      await Promise.all(
        range(0, burst - 1).map((i) =>
          c.a.deps.bus.publish(channels.room(roomId), {
            event: "user-typing",
            data: { userId: customerId, roomId, isTyping: i % 2 === 0, n: i },
          })
        ),
      );
      for (const socket of [agent, tl]) {
        await socket.next("user-typing", (d) => d.n === burst - 1);
        const ns = socket.frames.filter((f) => f.event === "user-typing").map((f) => f.data.n);
        assert.deepEqual(ns, range(0, burst - 1));
      }
      const lines = linesPerFrame(agent, before);
      assert.equal(lines.reduce((a, b) => a + b, 0), burst);
      assert.ok(lines.length < burst, `${lines.length} frames for ${burst} events`);
      assert.ok(Math.max(...lines) <= maxBatchEvents);
      assertOneEventPerFrame(tl);
    } finally {
      await c.close();
    }
  },
});

/** Messages per frame received since `from`, for the frames that hold any. */
const messagesPerFrame = (client: WsClient, from = 0) =>
  client.wire.slice(from).map((text) =>
    text.split("\n").filter((line) => JSON.parse(line).event === "message-received").length
  ).filter((n) => n > 0);

/** A plain customer sends `n` messages one after another, each waiting for its ack. */
async function oneByOne(customer: WsClient, roomId: string, n: number, tag: string) {
  const seqs: number[] = [];
  for (let i = 1; i <= n; i++) {
    const ack = await customer.request("send-message", { roomId, message: `${tag}${i}` });
    seqs.push(ack.seq as number);
  }
  return seqs;
}

Deno.test("a batched socket gets events of separate turns in separate frames by default", async () => {
  const c = await conversation();
  try {
    const roomId = c.query.roomId;
    const customer = await c.open(c.desk.token.Customer);
    const agent = await c.open(c.agent.token, batched);
    for (const socket of [customer, agent]) await socket.request("join-room", { roomId });
    const before = agent.wire.length;
    const seqs = await oneByOne(customer, roomId, 5, "t");
    await agent.next("message-received", (d) => (d.message as Pushed).seq === seqs.at(-1));
    assert.deepEqual(seqsOf(agent.frames).slice(-5), seqs);
    assert.deepEqual(messagesPerFrame(agent, before), [1, 1, 1, 1, 1]);
  } finally {
    await c.close();
  }
});

Deno.test("WS_BATCH_DELAY_MS lets a batched socket's events of several turns share a frame, in order, once, acks matching", async () => {
  const c = await conversation({ env: { WS_BATCH_DELAY_MS: "300" } });
  try {
    const roomId = c.query.roomId;
    const customer = await c.open(c.desk.token.Customer);
    const agent = await c.open(c.agent.token, batched);
    const tl = await c.open(c.desk.token.TL);
    for (const socket of [customer, agent, tl]) await socket.request("join-room", { roomId });
    const before = agent.wire.length;
    const seqs = await oneByOne(customer, roomId, 5, "d");
    await agent.next("message-received", (d) => (d.message as Pushed).seq === seqs.at(-1));
    const perFrame = messagesPerFrame(agent, before);
    assert.equal(perFrame.reduce((a, b) => a + b, 0), 5);
    assert.ok(perFrame.length < 5, `${perFrame.length} frames for 5 messages of 5 turns`);
    assert.deepEqual(seqsOf(agent.frames).slice(-5), seqs);
    assert.deepEqual(
      messagesOf(agent.frames).slice(-5).map((m) => m.text),
      range(1, 5).map((i) => `d${i}`),
    );
    // The batched socket's own requests are answered through the same delay, each by its id.
    const acks = await agent.requestBatch(
      range(1, 3).map((i) => ({ event: "send-message", data: { roomId, message: `r${i}` } })),
    );
    assert.ok(acks.every((a) => a.event === "ack"), JSON.stringify(acks));
    const mine = acks.map((a) => a.data.seq as number);
    assert.deepEqual(mine, range(mine[0]!, mine[0]! + 2));
    // A plain socket beside it is untouched by the delay: one event per frame.
    await tl.next("message-received", (d) => (d.message as Pushed).seq === mine.at(-1));
    assertOneEventPerFrame(tl);
  } finally {
    await c.close();
  }
});
