import assert from "node:assert/strict";
import type { Message } from "@/modules/chat/repository.ts";
import { type TestAppOptions } from "@tests/helpers/app.ts";
import { expectStatus } from "@tests/helpers/support.ts";
import { maskedTextFrame, type WsClient } from "@tests/helpers/ws.ts";
import { conversation } from "@tests/helpers/conversation.ts";

async function served(options: TestAppOptions = {}) {
  const c = await conversation(options);
  const { t, desk, query } = c;
  return {
    ...c,
    /** Stores a message as an instance would, without publishing it (as if it died right after). */
    async storeOnly(text: string): Promise<Message> {
      return await t.deps.store.messages.append({
        id: t.deps.ids.next(),
        organizationId: desk.org.id,
        roomId: query.roomId,
        senderId: desk.users.Customer.id,
        senderRole: "Customer",
        type: "text",
        text,
        fileId: null,
        clientMessageId: crypto.randomUUID(),
        email: null,
        createdAt: new Date().toISOString(),
      });
    },
    publish(message: Message) {
      return t.deps.bus.publish(`room:${query.roomId}`, {
        event: "message-received",
        data: { message, sender: { id: message.senderId, role: message.senderRole } },
      });
    },
  };
}

const seqsOf = (c: WsClient) =>
  c.frames.filter((f) => f.event === "message-received").map((f) =>
    (f.data.message as { seq: number }).seq
  );
const withSeq = (seq: number) => (d: Record<string, unknown>) =>
  (d.message as { seq: number }).seq === seq;

Deno.test("a seq published ahead of its predecessor is held; the missing one is read from the store and sent first, once", async () => {
  const c = await served();
  try {
    const agent = await c.open(c.agent.token);
    const { lastSeq } = await agent.request("join-room", { roomId: c.query.roomId });
    // Stored N then N+1 (two instances), published N+1 first: N's publish is late or never comes.
    const n = await c.storeOnly("N");
    const next = await c.storeOnly("N+1");
    await c.publish(next);
    await agent.next("message-received", withSeq(next.seq));
    await c.publish(n);
    await c.publish(next);
    const { seq: after } = await agent.request("send-message", {
      roomId: c.query.roomId,
      message: "later",
    });
    await agent.next("message-received", withSeq(after as number));
    assert.deepEqual(seqsOf(agent), [lastSeq as number + 1, lastSeq as number + 2, after]);
  } finally {
    await c.close();
  }
});

Deno.test("a message stored and never published reaches the room's sockets by the periodic check", async () => {
  const c = await served({ env: { WS_RESYNC_SECONDS: "1" } });
  try {
    const customer = await c.open(c.desk.token.Customer);
    await customer.request("join-room", { roomId: c.query.roomId });
    const orphan = await c.storeOnly("its instance died before publishing");
    const got = await customer.next("message-received", withSeq(orphan.seq));
    assert.equal((got.data.message as { text: string }).text, orphan.text);
    assert.deepEqual(seqsOf(customer), [orphan.seq]);
  } finally {
    await c.close();
  }
});

Deno.test("two sockets of one user opening at the same moment make them online, announced once", async () => {
  const c = await served();
  try {
    const watcher = await c.open(c.desk.token.TL);
    const [one, two] = await Promise.all([c.open(c.agent.token), c.open(c.agent.token)]);
    const online = await watcher.next("presence", (d) => d.userId === c.agent.user.id);
    assert.equal(online.data.status, "online");
    const presence = await expectStatus(
      c.t.call("GET", `/api/v1/presence/${c.agent.user.id}`, { token: c.desk.token.TL }),
      200,
    );
    assert.equal(presence.status, "online");
    await one.close();
    assert.equal((await two.request("ping")).at !== undefined, true);
    const again = await expectStatus(
      c.t.call("GET", `/api/v1/presence/${c.agent.user.id}`, { token: c.desk.token.TL }),
      200,
    );
    assert.equal(again.status, "online", "one socket is still open");
    const announced = watcher.frames.filter((f) =>
      f.event === "presence" && f.data.userId === c.agent.user.id && f.data.status === "online"
    );
    assert.equal(announced.length, 1);
  } finally {
    await c.close();
  }
});

Deno.test("a socket sending a little above its rate for a while is closed with 1008; reconnecting keeps the debt", async () => {
  const c = await served({ env: { WS_RATE_PER_SECOND: "20", WS_RATE_BURST: "5" } });
  try {
    const s = await c.open(c.desk.token.Customer);
    // 40 frames a second against a rate of 20: never a burst, always above the rate.
    let i = 0;
    const pacer = setInterval(() => {
      if (s.socket.readyState === WebSocket.OPEN) {
        s.raw(JSON.stringify({ event: "ping", data: {}, id: ++i }));
      }
    }, 25);
    const code = await s.closed;
    clearInterval(pacer);
    assert.equal(code, 1008);
    assert.ok(i < 200, `closed only after ${i} frames`);
    const back = await c.open(c.desk.token.Customer);
    back.raw(JSON.stringify({ event: "ping", data: {}, id: "after-reconnect" }));
    const answer = await back.next("error", () => true);
    assert.equal(answer.id, "after-reconnect");
    assert.equal(answer.error?.code, "RATE_LIMITED", "the budget was not reset by reconnecting");
  } finally {
    await c.close();
  }
});

/** A WebSocket client over raw TCP that reads only when told to, and parses server frames. */
async function lazyReader(port: number, token: string) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(
    `GET /ws?token=${token} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n` +
      `Connection: Upgrade\r\nSec-WebSocket-Key: ${btoa("chatcrm-lazy-rdr")}\r\n` +
      `Sec-WebSocket-Version: 13\r\n\r\n`,
  ));
  let buf = new Uint8Array(0);
  let headDone = false;
  const texts: string[] = [];
  let closeCode: number | null = null;
  const chunk = new Uint8Array(256 * 1024);
  /** Reads what has arrived and parses whole frames; false once the connection ended. */
  async function pump(): Promise<boolean> {
    const n = await conn.read(chunk);
    if (n === null) return false;
    const joined = new Uint8Array(buf.length + n);
    joined.set(buf);
    joined.set(chunk.subarray(0, n), buf.length);
    buf = joined;
    if (!headDone) {
      const end = new TextDecoder().decode(buf).indexOf("\r\n\r\n");
      if (end < 0) return true;
      buf = buf.subarray(end + 4);
      headDone = true;
    }
    for (;;) {
      if (buf.length < 2) break;
      let len = buf[1]! & 0x7f;
      let at = 2;
      if (len === 126) {
        if (buf.length < 4) break;
        len = (buf[2]! << 8) | buf[3]!;
        at = 4;
      } else if (len === 127) {
        if (buf.length < 10) break;
        len = Number(new DataView(buf.buffer, buf.byteOffset + 2, 8).getBigUint64(0));
        at = 10;
      }
      if (buf.length < at + len) break;
      const payload = buf.subarray(at, at + len);
      const opcode = buf[0]! & 0x0f;
      if (opcode === 1) texts.push(new TextDecoder().decode(payload));
      if (opcode === 8) closeCode = (payload[0]! << 8) | payload[1]!;
      buf = buf.subarray(at + len);
    }
    return closeCode === null;
  }
  /** Sends one masked text frame. */
  async function send(text: string) {
    await conn.write(maskedTextFrame(text));
  }
  return { pump, send, texts, closeCode: () => closeCode, close: () => conn.close() };
}

Deno.test("a reader catching up more than its send buffer holds is paced, not closed", async () => {
  const c = await served({ env: { WS_MAX_BUFFERED_BYTES: "65536" } });
  try {
    const big = "y".repeat(19_000);
    const stored: number[] = [];
    for (let i = 0; i < 150; i++) stored.push((await c.storeOnly(`${i} ${big}`)).seq);
    const reader = await lazyReader(c.server.port, c.desk.token.Customer);
    await reader.send(
      JSON.stringify({
        event: "join-room",
        data: { roomId: c.query.roomId, sinceSeq: 0 },
        id: "j",
      }),
    );
    // Nothing is read until the server has had time to fill every buffer between us: 2.8 MB
    // of catch-up against a 64 KiB limit.
    await new Promise((r) => setTimeout(r, 500));
    const seqs = () =>
      reader.texts.map((t) => JSON.parse(t)).filter((f) => f.event === "message-received")
        .map((f) => f.data.message.seq as number);
    while (await reader.pump() && !reader.texts.some((t) => t.includes('"id":"j"'))) {
      // reading until the join's ack, which comes after the whole catch-up
    }
    reader.close();
    assert.equal(reader.closeCode(), null, "the reader was closed");
    const system = seqs().filter((s) => !stored.includes(s));
    assert.deepEqual(seqs().filter((s) => stored.includes(s)), stored);
    assert.deepEqual(seqs(), [...system, ...stored].sort((a, b) => a - b));
  } finally {
    await c.close();
  }
});
