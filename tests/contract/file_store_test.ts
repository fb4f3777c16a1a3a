import assert from "node:assert/strict";
import { MongoClient } from "mongodb";
import { AppError } from "@/errors.ts";
import { diskFileStore, type FileStore } from "@/store/files.ts";
import { gridFsFileStore } from "@/store/mongo/files.ts";
import { skipMongo, startMongo } from "@tests/helpers/mongo.ts";

async function read(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** `total` bytes as a stream of `chunk`-sized pieces, made as they are read; `failAt` errors. */
function source(
  total: number,
  options: { chunk?: number; failAt?: number } = {},
): ReadableStream<Uint8Array> {
  const chunk = options.chunk ?? 64 * 1024;
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (options.failAt !== undefined && sent >= options.failAt) {
        return controller.error(new Error("the client went away"));
      }
      if (sent >= total) return controller.close();
      const n = Math.min(chunk, total - sent);
      controller.enqueue(Uint8Array.from({ length: n }, (_, i) => ((sent + i) * 7) % 251));
      sent += n;
    },
  });
}

/**
 * What the store holds beside its files: `leftovers()` lists what a failed write might leave
 * (temporary files on disk, chunks and file documents in GridFS).
 */
interface FileStoreUnderTest {
  files: FileStore;
  leftovers(): Promise<string[]>;
}

/** Streamed writes: whole, over the cap, a source that fails; none of the failures leave bytes. */
async function streamedWriteContract({ files, leftovers }: FileStoreUnderTest) {
  const total = 1_000_000;
  const stored = await files.write("streamed", source(total), { maxBytes: total });
  assert.deepEqual(stored, { id: "streamed", size: total }, "exactly the cap is allowed");
  const expected = await read(source(total));
  assert.deepEqual(await files.get("streamed"), expected);
  const ranged = await files.open("streamed", { start: 300_000, end: 599_999 });
  assert.deepEqual(await read(ranged!.stream), expected.subarray(300_000, 600_000));
  await files.delete("streamed");
  assert.deepEqual(await leftovers(), []);

  let pulledPastCap = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulledPastCap++;
      controller.enqueue(new Uint8Array(64 * 1024));
    },
  });
  await assert.rejects(
    files.write("too-big", endless, { maxBytes: 500_000 }),
    (err) => err instanceof AppError && err.status === 413,
  );
  assert.ok(pulledPastCap < 64, `stopped reading soon after the cap (${pulledPastCap} chunks)`);
  assert.equal(await files.get("too-big"), null);
  assert.deepEqual(await leftovers(), [], "an oversized write leaves nothing");

  await assert.rejects(
    files.write("broken", source(total, { failAt: 400_000 })),
    /the client went away/,
  );
  assert.equal(await files.open("broken"), null);
  assert.deepEqual(await leftovers(), [], "an aborted write leaves nothing");
}

/** FileStore: the same answers from disk and from GridFS. */
async function fileStoreContract(files: FileStore) {
  // Larger than a GridFS chunk (255 KiB), so reads and ranges cross chunks.
  const data = Uint8Array.from({ length: 600_000 }, (_, i) => (i * 7) % 251);
  assert.deepEqual(await files.write("file-1", new Blob([data]).stream()), {
    id: "file-1",
    size: data.byteLength,
  });
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
  await files.write("file-1", new Blob([smaller]).stream());
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
    const files = diskFileStore(dir);
    await fileStoreContract(files);
    await streamedWriteContract({
      files,
      leftovers: async () => (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name),
    });
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
      const db = client.db(mongo.db);
      const files = gridFsFileStore(db);
      await fileStoreContract(files);
      await streamedWriteContract({
        files,
        async leftovers() {
          const chunks = await db.collection("uploads.chunks").find().toArray();
          const docs = await db.collection("uploads.files").find().toArray();
          return [...docs.map((d) => `file ${d._id}`), ...chunks.map((c) => `chunk ${c.files_id}`)];
        },
      });
    } finally {
      await client.close();
      await mongo.stop();
    }
  },
});
