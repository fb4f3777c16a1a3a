import assert from "node:assert/strict";
import type { LogFields, Logger } from "@/log.ts";
import { serve, testApp } from "@tests/helpers/app.ts";
import { aDesk, anAgent, openQuery } from "@tests/helpers/support.ts";
import { connect, maskedTextFrame } from "@tests/helpers/ws.ts";
import { batchedProtocol } from "@/realtime/wire.ts";

/** A WebSocket client over raw TCP that sends frames but never reads what comes back. */
async function nonReadingClient(port: number, token: string, protocol?: string) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const key = btoa("chatcrm-slow-rdr");
  await conn.write(new TextEncoder().encode(
    `GET /ws?token=${token} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n` +
      `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
      (protocol ? `Sec-WebSocket-Protocol: ${protocol}\r\n` : "") + "\r\n",
  ));
  const head = new Uint8Array(256);
  const n = await conn.read(head);
  const answer = new TextDecoder().decode(head.subarray(0, n ?? 0));
  assert.match(answer, /^HTTP\/1.1 101/);
  if (protocol) assert.match(answer, new RegExp(`sec-websocket-protocol: ${protocol}`, "i"));
  return {
    /** Sends one masked text frame (clients must mask). */
    async send(text: string) {
      await conn.write(maskedTextFrame(text));
    },
    close: () => conn.close(),
  };
}

for (const protocol of [undefined, batchedProtocol]) {
  Deno.test(`a socket that stops reading is closed once its unsent data passes the limit (${protocol ?? "default mode"})`, async () => {
    let warned!: (fields: LogFields) => void;
    const slowClosed = new Promise<LogFields>((resolve) => warned = resolve);
    const quiet = () => {};
    const log: Logger = {
      debug: quiet,
      info: quiet,
      error: quiet,
      warn: (msg, fields) => msg === "closing a slow socket" && warned(fields ?? {}),
    };
    const t = await testApp({
      log,
      env: { WS_MAX_BUFFERED_BYTES: "65536", WS_RATE_PER_SECOND: "10000", WS_RATE_BURST: "100000" },
    });
    const server = serve(t.app);
    try {
      const desk = await aDesk(t);
      const agent = await anAgent(desk);
      const query = await openQuery(desk);
      const slow = await nonReadingClient(server.port, desk.token.Customer, protocol);
      await slow.send(
        JSON.stringify({ event: "join-room", data: { roomId: query.roomId }, id: 1 }),
      );
      const sender = await connect(server.wsUrl, agent.token);
      await sender.request("join-room", { roomId: query.roomId });
      const big = "x".repeat(19_000);
      let sent = 0;
      let closed: LogFields | undefined;
      void slowClosed.then((f) => closed = f);
      // Until the server gives up on the reader: the kernel's buffers fill first, then the socket's.
      while (!closed && sent < 5000) {
        await sender.request("send-message", { roomId: query.roomId, message: big });
        sent++;
      }
      assert.ok(closed, `still open after ${sent} messages of 19 kB`);
      assert.equal(closed.userId, desk.users.Customer.id);
      assert.equal(sender.socket.readyState, WebSocket.OPEN, "the sender is unaffected");
      slow.close();
      await sender.close();
    } finally {
      await t.close();
      await server.close();
    }
  });
}
