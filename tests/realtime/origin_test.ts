import assert from "node:assert/strict";
import { serve, testApp } from "@tests/helpers/app.ts";
import { aDesk } from "@tests/helpers/support.ts";
import { upgradeStatus } from "@tests/helpers/ws.ts";

Deno.test("/ws refuses an upgrade from an Origin outside CORS_ORIGIN; allowed and absent Origins connect", async () => {
  const t = await testApp({
    env: { CORS_ORIGIN: "https://app.example.com,https://admin.example.com" },
  });
  const server = serve(t.app);
  try {
    const desk = await aDesk(t);
    const cookie = { cookie: `token=${desk.token.Customer}` };
    const path = "/ws";
    assert.equal(
      await upgradeStatus(server.port, path, { ...cookie, origin: "https://evil.example" }),
      403,
    );
    assert.equal(
      await upgradeStatus(server.port, path, { ...cookie, origin: "https://app.example.com.evil" }),
      403,
    );
    assert.equal(await upgradeStatus(server.port, path, { ...cookie, origin: "null" }), 403);
    assert.equal(
      await upgradeStatus(server.port, path, { ...cookie, origin: "https://admin.example.com" }),
      101,
    );
    // Clients that are not browsers send no Origin.
    assert.equal(await upgradeStatus(server.port, path, cookie), 101);
    assert.equal(
      await upgradeStatus(server.port, `/ws?token=${desk.token.Customer}`, {}),
      101,
    );
  } finally {
    await t.close();
    await server.close();
  }
});
