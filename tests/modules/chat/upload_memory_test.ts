import assert from "node:assert/strict";
import { testApp } from "@tests/helpers/app.ts";
import { childEnv } from "@tests/helpers/process.ts";
import { freePort, taskArgs } from "@tests/helpers/servers.ts";
import { aDesk, openQuery } from "@tests/helpers/support.ts";
import { onePixelPng } from "@tests/helpers/files.ts";
import { peakRss, smallHeapFlags } from "@tests/helpers/memory.ts";

const boundary = "chatcrm-memory-boundary";
const encode = (s: string) => new TextEncoder().encode(s);

/** A multipart body of one PNG-headed file of `size` bytes, made chunk by chunk as it is sent. */
function pngUpload(size: number): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(256 * 1024).fill(42);
  let left = size - onePixelPng.byteLength;
  let stage = 0;
  return new ReadableStream({
    pull(controller) {
      if (stage === 0) {
        stage = 1;
        controller.enqueue(encode(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n` +
            "Content-Type: image/png\r\n\r\n",
        ));
        return controller.enqueue(onePixelPng);
      }
      if (left > 0) {
        const n = Math.min(left, chunk.byteLength);
        left -= n;
        return controller.enqueue(chunk.subarray(0, n));
      }
      controller.enqueue(encode(`\r\n--${boundary}--\r\n`));
      controller.close();
    },
  });
}

async function ready(port: number) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const res = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => null);
    await res?.body?.cancel();
    if (res?.status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`port ${port} was not ready in 30 s`);
}

Deno.test({
  name: "a 64 MiB upload to a server with a 48 MiB heap never holds the whole file in memory",
  ignore: Deno.build.os !== "linux",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "chatcrm-upload-mem-" });
    const env = {
      JWT_SECRET: "test-secret-that-is-long-enough-for-hs256!",
      ENCRYPTION_KEY: "test-encryption-key-that-is-32-chars-or-more",
      UPLOAD_LIMIT_BYTES: String(100 * 1024 * 1024),
    };
    // The tenant and its tokens come from an in-process app on the same SQLite file.
    const t = await testApp({ dataDir, env });
    const port = freePort();
    const [run, ...rest] = taskArgs("start");
    const child = new Deno.Command(Deno.execPath(), {
      args: [run!, smallHeapFlags, ...rest],
      cwd: new URL("../../..", import.meta.url).pathname,
      clearEnv: true,
      env: childEnv({
        ...env,
        HOST: "127.0.0.1",
        DATA_DIR: dataDir,
        PORT: String(port),
        LOG_LEVEL: "warn",
        CRONS_ENABLED: "false",
        BCRYPT_COST: "4",
      }),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    try {
      await ready(port);
      const desk = await aDesk(t);
      const query = await openQuery(desk);
      const upload = async (size: number) => {
        const res = await fetch(
          `http://127.0.0.1:${port}/api/v1/chat/rooms/${query.roomId}/files`,
          {
            method: "POST",
            headers: {
              authorization: `Bearer ${desk.token.Customer}`,
              "content-type": `multipart/form-data; boundary=${boundary}`,
            },
            body: pngUpload(size),
          },
        );
        const body = await res.json();
        assert.equal(res.status, 201, JSON.stringify(body));
        assert.equal(body.size, size);
      };
      // The first upload loads the parser and the type sniffer; the peak is taken after it.
      await upload(4 * 1024 * 1024);
      const before = await peakRss(child.pid);
      const size = 64 * 1024 * 1024;
      await upload(size);
      const grown = (await peakRss(child.pid)) - before;
      // Read whole (as before streaming) the same upload grew the peak by about 410 MiB.
      assert.ok(
        grown < size,
        `peak memory grew by ${(grown / 1048576).toFixed(1)} MiB for a 64 MiB upload`,
      );
    } finally {
      child.kill("SIGTERM");
      await child.status;
      await child.stdout.cancel();
      await child.stderr.cancel();
      await t.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
