import assert from "node:assert/strict";
import { recordingLog } from "@tests/helpers/log.ts";
import { type TestAppOptions } from "@tests/helpers/app.ts";
import type { WsClient } from "@tests/helpers/ws.ts";
import { conversation } from "@tests/helpers/conversation.ts";
import { freePort, waitForPort } from "@tests/helpers/servers.ts";

async function served(options: TestAppOptions = {}) {
  const c = await conversation(options);
  return {
    ...c,
    /** The process still serves: /health/live answers and the socket still round-trips. */
    async stillServing(socket: WsClient) {
      const live = await fetch(`${c.server.url}/health/live`);
      assert.equal(live.status, 200);
      await live.body?.cancel();
      assert.ok((await socket.request("ping")).at);
      assert.equal(socket.socket.readyState, WebSocket.OPEN);
    },
  };
}

Deno.test("every Object.prototype name as an event gets Unknown event with its id; the socket stays open", async () => {
  const c = await served();
  try {
    const s = await c.open(c.desk.token.Customer);
    const names = Object.getOwnPropertyNames(Object.prototype);
    assert.ok(names.includes("constructor") && names.includes("__proto__"));
    for (const [i, event] of names.entries()) {
      s.raw(JSON.stringify({ event, id: `p${i}`, data: {} }));
      const answer = await s.next("error", () => true);
      assert.equal(answer.id, `p${i}`, event);
      assert.equal(answer.error?.code, "BAD_REQUEST", event);
      assert.equal(answer.error?.message, `Unknown event "${event}"`);
    }
    await c.stillServing(s);
  } finally {
    await c.close();
  }
});

Deno.test("a handler that throws answers INTERNAL with the request id, logs once with the stack, and serving goes on", async () => {
  const { log, lines } = recordingLog();
  const c = await served({ log });
  try {
    const s = await c.open(c.desk.token.Customer);
    await s.request("join-room", { roomId: c.query.roomId });
    const messages = c.t.deps.store.messages;
    const append = messages.append;
    messages.append = () => {
      throw new TypeError("Cannot read properties of undefined");
    };
    try {
      s.raw(JSON.stringify({
        event: "send-message",
        id: "boom-1",
        data: { roomId: c.query.roomId, message: "hi" },
      }));
      const answer = await s.next("error", () => true);
      assert.equal(answer.id, "boom-1");
      assert.deepEqual(answer.error, { code: "INTERNAL", message: "Internal error" });
    } finally {
      messages.append = append;
    }
    const logged = lines.filter((l) => l.level === "error");
    assert.equal(logged.length, 1, JSON.stringify(lines));
    assert.match(String(logged[0]!.fields.stack), /TypeError: Cannot read properties/);
    await c.stillServing(s);
    const ack = await s.request("send-message", { roomId: c.query.roomId, message: "after" });
    assert.equal(ack.duplicate, false);
  } finally {
    await c.close();
  }
});

Deno.test("malformed bus payloads are dropped and logged; sockets keep getting real messages", async () => {
  const { log, lines } = recordingLog();
  const c = await served({ log });
  try {
    const customer = await c.open(c.desk.token.Customer);
    const agent = await c.open(c.agent.token);
    await customer.request("join-room", { roomId: c.query.roomId });
    await agent.request("join-room", { roomId: c.query.roomId });
    const bus = c.t.deps.bus;
    const room = `room:${c.query.roomId}`;
    for (
      const payload of [
        null,
        "text",
        42,
        { event: "message-received" },
        { event: "message-received", data: { message: { seq: "1", roomId: c.query.roomId } } },
        { event: "message-received", data: { message: { seq: 99, roomId: "another room" } } },
        { event: "constructor", data: {} },
      ]
    ) await bus.publish(room, payload);
    await bus.publish(`user:${c.agent.user.id}`, null);
    await bus.publish(`org:${c.desk.org.id}`, { data: 1 });
    const { seq } = await customer.request("send-message", {
      roomId: c.query.roomId,
      message: "real",
    });
    const got = await agent.next("message-received");
    assert.equal((got.data.message as { seq: number }).seq, seq, "nothing bogus came first");
    assert.ok(lines.filter((l) => /bus/.test(l.msg)).length >= 9, JSON.stringify(lines));
    await c.stillServing(agent);
  } finally {
    await c.close();
  }
});

Deno.test("error frames answering a frame with an id carry it: bad envelope, too large, rate limited", async () => {
  const c = await served({ env: { WS_RATE_PER_SECOND: "1", WS_RATE_BURST: "3" } });
  try {
    const s = await c.open(c.desk.token.Customer);
    s.raw(JSON.stringify({ event: "ping", id: "env-1", data: {}, extra: true }));
    const envelope = await s.next("error");
    assert.equal(envelope.id, "env-1");
    assert.equal(envelope.error?.code, "BAD_REQUEST");
    // 30,000 three-byte characters: 90,000 bytes, under 64 Ki characters but over 64 KiB.
    s.raw(JSON.stringify({ event: "ping", id: "big-1", data: { x: "€".repeat(30_000) } }));
    const big = await s.next("error");
    assert.equal(big.id, "big-1");
    assert.equal(big.error?.code, "PAYLOAD_TOO_LARGE");
    s.raw(JSON.stringify({ event: "ping", id: "ok-1", data: {} }));
    s.raw(JSON.stringify({ event: "ping", id: "limited-1", data: {} }));
    const limited = await s.next("error", () => true);
    assert.equal(limited.id, "limited-1");
    assert.equal(limited.error?.code, "RATE_LIMITED");
  } finally {
    await c.close();
  }
});

Deno.test({
  name: "a spawned server logs a rejection nobody awaits and a throw in a timer, and keeps serving",
  sanitizeResources: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "chatcrm-stray-" });
    const port = freePort();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("./fixtures/stray_errors_server.ts", import.meta.url).pathname],
      env: {
        PORT: String(port),
        HOST: "127.0.0.1",
        DATA_DIR: dataDir,
        LOG_LEVEL: "warn",
        CRONS_ENABLED: "false",
        RUST_BACKTRACE: "0",
        NO_COLOR: "1",
      },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const stderr: string[] = [];
    const reading = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of child.stderr) stderr.push(decoder.decode(chunk));
    })();
    try {
      await waitForPort(port, 30_000);
      const logged = async (msg: string) => {
        for (let i = 0; i < 200; i++) {
          const line = stderr.join("").split("\n").find((l) => l.includes(`"msg":"${msg}"`));
          if (line) return JSON.parse(line);
          await new Promise((r) => setTimeout(r, 25));
        }
        throw new Error(`never logged "${msg}": ${stderr.join("")}`);
      };
      const rejection = await logged("unhandled rejection");
      assert.equal(rejection.error, "a rejection nobody awaits");
      assert.match(rejection.stack, /stray_errors_server\.ts/);
      assert.equal((await logged("uncaught error")).error, "a throw in a timer");
      const live = await fetch(`http://127.0.0.1:${port}/health/live`);
      assert.equal(live.status, 200);
      await live.body?.cancel();
      const status = await Promise.race([
        child.status.then(() => "exited"),
        new Promise((r) => setTimeout(() => r("running"), 200)),
      ]);
      assert.equal(status, "running");
    } finally {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      await child.status;
      await reading;
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
