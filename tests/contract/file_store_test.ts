import assert from "node:assert/strict";
import { MongoClient } from "mongodb";
import { diskFileStore, type FileStore } from "@/store/files.ts";
import { gridFsFileStore } from "@/store/mongo/files.ts";
import { skipMongo, startMongo } from "@tests/helpers/mongo.ts";

async function read(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** FileStore: the same answers from disk and from GridFS. */
async function fileStoreContract(files: FileStore) {
  // Larger than a GridFS chunk (255 KiB), so reads and ranges cross chunks.
  const data = Uint8Array.from({ length: 600_000 }, (_, i) => (i * 7) % 251);
  assert.deepEqual(await files.put("file-1", data), { id: "file-1", size: data.byteLength });
  assert.deepEqual(await files.get("file-1"), data);
  const whole = await files.open("file-1");
  assert.equal(whole?.size, data.byteLength);
  assert.deepEqual(await read(whole!.stream), data);
  const middle = await files.open("file-1", { start: 261_000, end: 262_143 });
  assert.equal(middle?.size, data.byteLength, "the size is the whole file's");
  assert.deepEqual(await read(middle!.stream), data.subarray(261_000, 262_144));
  const tail = await files.open("file-1", { start: 599_990, end: 10_000_000 });
  assert.deepEqual(await read(tail!.stream), data.subarray(599_990), "clamped to the end");
  const beyond = await files.open("file-1", { start: 700_000, end: 700_010 });
  assert.deepEqual(await read(beyond!.stream), new Uint8Array(0));
  const smaller = new Uint8Array([1, 2, 3]);
  await files.put("file-1", smaller);
  assert.deepEqual(await files.get("file-1"), smaller, "a second write replaces the first");
  assert.equal(await files.get("missing"), null);
  assert.equal(await files.open("missing"), null);
  await files.delete("file-1");
  assert.equal(await files.get("file-1"), null);
  await files.delete("file-1");
}

Deno.test("FileStore contract on disk", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chatcrm-files-" });
  try {
    await fileStoreContract(diskFileStore(dir));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "FileStore contract on GridFS (MongoDB)",
  ignore: skipMongo,
  async fn() {
    const mongo = await startMongo();
    const client = new MongoClient(mongo.uri);
    try {
      await client.connect();
      await fileStoreContract(gridFsFileStore(client.db(mongo.db)));
    } finally {
      await client.close();
      await mongo.stop();
    }
  },
});
