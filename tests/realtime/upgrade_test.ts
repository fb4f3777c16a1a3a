import assert from "node:assert/strict";
import { serve, testApp } from "@tests/helpers/app.ts";
import { aDesk } from "@tests/helpers/support.ts";
import { recordingLog } from "@tests/helpers/log.ts";
import { within } from "@tests/helpers/within.ts";

Deno.test({
  name:
    "a client that leaves while its upgrade is answered keeps no server from stopping; the hub counts it at its close",
  // The abandoned upgrade is Deno's and outlives the server: nothing of ours to sanitize.
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { log, lines } = recordingLog();
    const t = await testApp({ log });
    const desk = await aDesk(t);
    const answered = Promise.withResolvers<number>();
    // The answer waits until Deno has seen the client go, as a loaded server answers a browser
    // that closed meanwhile (a full CI run hung on exactly that widget socket).
    const server = serve({
      async fetch(req, info) {
        if (new URL(req.url).pathname !== "/ws") return t.app.fetch(req, info);
        await new Promise((gone) => req.signal.addEventListener("abort", gone, { once: true }));
        const res = await t.app.fetch(req, info);
        answered.resolve(res.status);
        return res;
      },
    });
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      await conn.write(new TextEncoder().encode(
        `GET /ws?token=${desk.token.Customer} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
          `Upgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${btoa("chatcrm-upgrade-k")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ));
      conn.close();
      assert.equal(await answered.promise, 101);
      await within(5_000, server.close(), "serve().close() did not return");
      await t.deps.drain();
      const warned = lines.find((l) => l.msg.startsWith("WebSocket upgrades never completed"));
      assert.deepEqual(warned?.fields, { count: 1 });
    } finally {
      await server.close();
      await t.close();
    }
  },
});
