import assert from "node:assert/strict";
import { join } from "node:path";
import { type TestApp, testApp } from "@tests/helpers/app.ts";
import { aDesk, type Desk, openQuery } from "@tests/helpers/support.ts";
import { onePixelPng } from "@tests/helpers/files.ts";

const boundary = "chatcrm-test-boundary";
const encode = (s: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(s);

/** The opening of a multipart body whose file part follows (the caller sends its bytes). */
function partHead(field: string, filename: string, type: string): Uint8Array<ArrayBuffer> {
  return encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\n` +
      `Content-Type: ${type}\r\n\r\n`,
  );
}
const bodyEnd = encode(`\r\n--${boundary}--\r\n`);

/** A request body the test writes piece by piece, with no Content-Length (chunked). */
function controlledBody() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let pulls = 0;
  const stream = new ReadableStream<Uint8Array>({
    start: (c) => void (controller = c),
    pull: () => void pulls++,
  }, { highWaterMark: 0 });
  return { stream, controller, pulls: () => pulls };
}

interface Room {
  t: TestApp;
  desk: Desk;
  roomId: string;
  uploads: string;
}

async function withRoom(env: Record<string, string>, fn: (r: Room) => Promise<void>) {
  const t = await testApp({ env });
  try {
    const desk = await aDesk(t);
    const query = await openQuery(desk);
    const uploads = join(t.deps.config.dataDir, "uploads");
    await Deno.mkdir(uploads, { recursive: true });
    await fn({ t, desk, roomId: query.roomId, uploads });
  } finally {
    await t.close();
  }
}

function post(r: Room, path: string, body: ReadableStream<Uint8Array>, token?: string) {
  return r.t.call("POST", path, {
    token: token ?? r.desk.token.Customer,
    headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
    body,
  });
}

const files = async (dir: string) => (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name);
const attachments = (r: Room) =>
  r.t.deps.store.documents("attachments").find(r.desk.org.id, {
    sort: [["createdAt", "asc"]],
    page: { page: 1, limit: 10 },
  });

/**
 * Resolves at the first file the store starts writing in `dir` (a temporary file); fails when
 * none has appeared after 20 s (a server that buffers the body never writes before its end).
 */
async function firstWrite(dir: string): Promise<string> {
  const watcher = Deno.watchFs(dir);
  const guard = setTimeout(() => watcher.close(), 20_000);
  try {
    for await (const event of watcher) {
      const tmp = event.paths.find((p) => p.endsWith(".tmp"));
      if (tmp) return tmp;
    }
  } finally {
    clearTimeout(guard);
    try {
      watcher.close();
    } catch { /* closed by the guard */ }
  }
  throw new Error("no file was written before the body ended");
}

Deno.test({
  name: "POST /chat/rooms/{id}/files writes the file to the store while its body still arrives",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withRoom({}, async (r) => {
      const body = controlledBody();
      const filler = new Uint8Array(256 * 1024).fill(7);
      const writing = firstWrite(r.uploads);
      let answered = false;
      const res = post(r, `/api/v1/chat/rooms/${r.roomId}/files`, body.stream).finally(() =>
        answered = true
      );
      body.controller.enqueue(partHead("file", "big.png", "image/png"));
      body.controller.enqueue(onePixelPng);
      body.controller.enqueue(filler);
      await writing;
      assert.equal(answered, false, "the store writes before the client has sent everything");
      body.controller.enqueue(filler);
      body.controller.enqueue(bodyEnd);
      body.controller.close();
      const answer = await res;
      const saved = await answer.json();
      assert.equal(answer.status, 201, JSON.stringify(saved));
      assert.equal(saved.size, onePixelPng.byteLength + 2 * filler.byteLength);
      const download = await r.t.call("GET", `/api/v1/chat/files/${saved.id}`, {
        token: r.desk.token.Customer,
      });
      const bytes = new Uint8Array(await download.arrayBuffer());
      assert.deepEqual(bytes.subarray(0, onePixelPng.byteLength), onePixelPng);
      assert.equal(bytes.byteLength, saved.size);
      assert.deepEqual(await files(r.uploads), [saved.id], "no temporary file is left");
    });
  },
});

Deno.test({
  name: "a chunked upload past UPLOAD_LIMIT_BYTES stops being read, answers 413, stores nothing",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withRoom({ UPLOAD_LIMIT_BYTES: String(512 * 1024) }, async (r) => {
      let sent = 0;
      const endless = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(partHead("file", "huge.png", "image/png"));
          c.enqueue(onePixelPng);
        },
        pull(c) {
          sent += 64 * 1024;
          c.enqueue(new Uint8Array(64 * 1024));
        },
      });
      const res = await post(r, `/api/v1/chat/rooms/${r.roomId}/files`, endless);
      const body = await res.json();
      assert.equal(res.status, 413, JSON.stringify(body));
      assert.equal(body.error.code, "PAYLOAD_TOO_LARGE");
      assert.ok(sent < 2 * 1024 * 1024, `reading stopped near the limit (${sent} bytes sent)`);
      assert.deepEqual(await files(r.uploads), []);
      assert.equal((await attachments(r)).total, 0);
    });
  },
});

Deno.test({
  name: "an avatar past AVATAR_LIMIT_BYTES mid-stream answers 413 and keeps no file",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withRoom({ AVATAR_LIMIT_BYTES: "4096" }, async (r) => {
      const body = new Blob([
        partHead("avatar", "me.png", "image/png"),
        onePixelPng,
        new Uint8Array(100_000),
        encode(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nPic`),
        bodyEnd,
      ]).stream();
      const res = await r.t.call("PUT", "/api/v1/auth/update-profile", {
        token: r.desk.token.Customer,
        headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
        body,
      });
      assert.equal(res.status, 413, await res.text());
      assert.deepEqual(await files(r.uploads), []);
      const me = await r.t.call("GET", "/api/v1/auth/me", { token: r.desk.token.Customer });
      assert.equal((await me.json()).user.avatarFileId ?? null, null);
    });
  },
});

Deno.test({
  name: "a text upload whose bytes turn binary after the first 64 KiB is refused, nothing kept",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withRoom({}, async (r) => {
      const text = encode("a,b\n".repeat(40_000));
      const body = new Blob([
        partHead("file", "list.csv", "text/csv"),
        text,
        new Uint8Array([0xff, 0xfe, 0x00]),
        text,
        bodyEnd,
      ]).stream();
      const res = await post(r, `/api/v1/chat/rooms/${r.roomId}/files`, body);
      const answer = await res.json();
      assert.equal(res.status, 415, JSON.stringify(answer));
      assert.equal(answer.error.details[0].message, "its content is not text");
      assert.deepEqual(await files(r.uploads), []);
      assert.equal((await attachments(r)).total, 0);
    });
  },
});

Deno.test({
  name: "an upload whose client goes away mid-body stores nothing and the API keeps serving",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withRoom({}, async (r) => {
      const body = controlledBody();
      const writing = firstWrite(r.uploads);
      const res = post(r, `/api/v1/chat/rooms/${r.roomId}/files`, body.stream);
      body.controller.enqueue(partHead("file", "cut.png", "image/png"));
      body.controller.enqueue(onePixelPng);
      body.controller.enqueue(new Uint8Array(256 * 1024));
      await writing;
      body.controller.error(new Error("connection reset"));
      const answer = await res;
      assert.equal(answer.status, 400, await answer.text());
      assert.deepEqual(await files(r.uploads), []);
      assert.equal((await attachments(r)).total, 0);
      const health = await r.t.call("GET", "/health/live");
      assert.equal(health.status, 200);
    });
  },
});

Deno.test({
  name: "a multipart body that is cut off or has no file part is a 400 naming the field",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withRoom({}, async (r) => {
      const path = `/api/v1/chat/rooms/${r.roomId}/files`;
      const cut = new Blob([partHead("file", "a.png", "image/png"), onePixelPng]).stream();
      const truncated = await post(r, path, cut);
      assert.equal(truncated.status, 400);
      assert.match((await truncated.json()).error.message, /^Cannot read the multipart body: /);
      const noFile = new Blob([
        encode(`--${boundary}\r\nContent-Disposition: form-data; name="other"\r\n\r\nx`),
        bodyEnd,
      ]).stream();
      const missing = await post(r, path, noFile);
      assert.equal(missing.status, 400);
      assert.equal((await missing.json()).error.details[0].path, "file");
      const json = await r.t.call("POST", path, { token: r.desk.token.Customer, json: {} });
      assert.equal(json.status, 400);
      assert.deepEqual(await files(r.uploads), []);
    });
  },
});
