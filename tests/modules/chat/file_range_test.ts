import assert from "node:assert/strict";
import { testApp, testStore } from "@tests/helpers/app.ts";
import { aDesk, anAgent, expectStatus, openQuery } from "@tests/helpers/support.ts";
import { skipMongo } from "@tests/helpers/mongo.ts";
import { onePixelPng } from "@tests/helpers/files.ts";

for (const kind of ["sqlite", "mongo"] as const) {
  Deno.test({
    name: `GET /chat/files/{fileId} streams the file and answers Range with 206 (${kind}: ${
      kind === "mongo" ? "GridFS" : "disk"
    })`,
    ignore: kind === "mongo" && skipMongo,
    async fn() {
      const store = await testStore(kind);
      const t = await testApp({ store });
      try {
        const desk = await aDesk(t);
        await anAgent(desk);
        const query = await openQuery(desk);
        // A real PNG with bytes after it, larger than one GridFS chunk (255 KiB).
        const png = new Uint8Array(300_000);
        png.set(onePixelPng);
        for (let i = onePixelPng.length; i < png.length; i++) png[i] = i % 253;
        const form = new FormData();
        form.set("file", new File([png], "shot.png", { type: "image/png" }));
        const file = await expectStatus(
          t.call("POST", `/api/v1/chat/rooms/${query.roomId}/files`, {
            token: desk.token.Customer,
            body: form,
          }),
          201,
        );
        const url = `/api/v1/chat/files/${file.id}`;
        const get = (range?: string) =>
          t.call("GET", url, {
            token: desk.token.Customer,
            ...(range ? { headers: { range } } : {}),
          });
        const whole = await get();
        assert.equal(whole.status, 200);
        assert.equal(whole.headers.get("accept-ranges"), "bytes");
        assert.deepEqual(new Uint8Array(await whole.arrayBuffer()), png);
        const part = await get("bytes=261000-262143");
        assert.equal(part.status, 206);
        assert.equal(part.headers.get("content-range"), `bytes 261000-262143/${png.length}`);
        assert.deepEqual(new Uint8Array(await part.arrayBuffer()), png.subarray(261000, 262144));
        const suffix = await get("bytes=-16");
        assert.equal(suffix.status, 206);
        assert.deepEqual(new Uint8Array(await suffix.arrayBuffer()), png.subarray(png.length - 16));
        const outside = await get(`bytes=${png.length}-`);
        assert.equal(outside.status, 416);
        assert.equal(outside.headers.get("content-range"), `bytes */${png.length}`);
        await outside.body?.cancel();
        if (kind === "mongo") {
          assert.equal(t.deps.files, store.files, "on MongoDB the files are in the store");
        }
      } finally {
        await t.close(); // closes the store it was given
      }
    },
  });
}
