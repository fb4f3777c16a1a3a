import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import { skipMongo, startMongo } from "@tests/helpers/mongo.ts";
import { skipRedis, startRedis } from "@tests/helpers/redis.ts";
import { startProcess } from "@tests/helpers/process.ts";
import { freePort } from "@tests/helpers/servers.ts";
import { aDesk, anAgent, expectStatus, openQuery } from "@tests/helpers/support.ts";
import { onePixelPng } from "@tests/helpers/files.ts";
import { openStore } from "@/store/store.ts";

/** The URI with `db` as its path (the config derives the database name from it). */
function withDatabase(uri: string, db: string): string {
  const host = /^mongodb(?:\+srv)?:\/\/[^/?]+/.exec(uri)?.[0] ?? uri.replace(/\/+$/, "");
  return `${host}/${db}`;
}

async function ready(port: number, child: Deno.ChildProcess) {
  let exited = false;
  child.status.then(() => exited = true);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    assert.ok(!exited, "the server exited before it was ready");
    const res = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => null);
    await res?.body?.cancel();
    if (res?.status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`port ${port} was not ready in 30 s`);
}

Deno.test({
  name:
    "two instances on MongoDB and Redis with writes denied to the whole filesystem: an upload on one downloads from the other",
  ignore: skipMongo || skipRedis,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const mongo = await startMongo();
    const redis = await startRedis();
    const dataDir = await Deno.makeTempDir({ prefix: "chatcrm-nowrite-" });
    // The same secrets as the in-process app below, which makes the tenant and its tokens.
    const env = {
      NODE_ENV: "production",
      JWT_SECRET: "test-secret-that-is-long-enough-for-hs256!",
      ENCRYPTION_KEY: "test-encryption-key-that-is-32-chars-or-more",
      MONGODB_URI: withDatabase(mongo.uri, mongo.db),
      REDIS_URL: redis.url,
      DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      RATE_LIMIT_MAX: "100000",
      RATE_LIMIT_USER_MAX: "100000",
    };
    const ports = [freePort(), freePort()];
    const children = ports.map((port, i) =>
      startProcess({ ...env, PORT: String(port), CRONS_ENABLED: i ? "false" : "true" }, {
        denyWrite: true,
      })
    );
    const t = await testApp({
      store: await openStore({ kind: "mongo", uri: mongo.uri, db: mongo.db }),
    });
    try {
      await Promise.all(children.map((child, i) => ready(ports[i]!, child)));
      const desk = await aDesk(t);
      await anAgent(desk);
      const query = await openQuery(desk);
      const [a, b] = ports.map((p) => `http://127.0.0.1:${p}/api/v1`);
      const auth = { authorization: `Bearer ${desk.token.Customer}` };
      const form = new FormData();
      form.set("file", new File([onePixelPng], "pixel.png", { type: "image/png" }));
      const upload = await fetch(`${a}/chat/rooms/${query.roomId}/files`, {
        method: "POST",
        headers: auth,
        body: form,
      });
      assert.equal(upload.status, 201, await upload.clone().text());
      const file = await upload.json();
      const download = await fetch(`${b}/chat/files/${file.id}`, { headers: auth });
      assert.equal(download.status, 200);
      assert.deepEqual(new Uint8Array(await download.arrayBuffer()), onePixelPng);
      const sent = await fetch(`${b}/chat/rooms/${query.roomId}/messages`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ message: "sent on B" }),
      });
      assert.equal(sent.status, 201);
      await sent.body?.cancel();
      const seen = await expectStatus(
        fetch(`${a}/chat/rooms/${query.roomId}/messages`, { headers: auth }),
        200,
      );
      assert.ok(seen.data.some((m: { text: string }) => m.text === "sent on B"));
      assert.deepEqual([...Deno.readDirSync(dataDir)], [], "nothing was written to DATA_DIR");
    } finally {
      for (const child of children) {
        child.kill("SIGTERM");
        const out = await child.output();
        const stderr = new TextDecoder().decode(out.stderr);
        assert.ok(!/PermissionDenied|NotCapable|Requires write access/.test(stderr), stderr);
      }
      await t.close();
      await redis.stop();
      await mongo.stop();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
