import { GridFSBucket } from "mongodb";
import { Readable } from "node:stream";
import {
  type ByteRange,
  capped,
  type FileStore,
  type OpenFile,
  type StoredFile,
  type WriteOptions,
} from "@/store/files.ts";
import type { Db } from "./db.ts";

/**
 * Files in MongoDB GridFS (bucket `uploads`, the file's id as its GridFS id): instances share no
 * volume, and nothing is written to the filesystem. Reads are streamed chunk by chunk.
 */
export function gridFsFileStore(db: Db): FileStore {
  const bucket = new GridFSBucket(db, { bucketName: "uploads" });
  const files = db.collection<{ _id: string; length: number }>("uploads.files");
  const notFound = (err: unknown) => /FileNotFound|File not found/i.test(String(err));
  async function open(id: string, range?: ByteRange): Promise<OpenFile | null> {
    const file = await files.findOne({ _id: id });
    if (!file) return null;
    const size = file.length;
    if (range && range.start >= size) return { size, stream: new Blob([]).stream() };
    const download = bucket.openDownloadStream(
      id as never,
      range ? { start: range.start, end: Math.min(range.end, size - 1) + 1 } : {},
    );
    return {
      size,
      stream: Readable.toWeb(download) as unknown as ReadableStream<Uint8Array>,
    };
  }
  /**
   * Streams into GridFS chunk by chunk, waiting when the driver asks (backpressure); a failed or
   * oversized stream aborts the upload, which removes the chunks already written.
   */
  async function write(
    id: string,
    stream: ReadableStream<Uint8Array>,
    options: WriteOptions = {},
  ): Promise<StoredFile> {
    // A second write of an id replaces the first, as on disk.
    await remove(id);
    const upload = bucket.openUploadStreamWithId(id as never, id);
    const failed = new Promise<never>((_, reject) => upload.once("error", reject));
    failed.catch(() => {});
    let size = 0;
    try {
      for await (const chunk of capped(stream, options.maxBytes)) {
        size += chunk.byteLength;
        if (!upload.write(chunk)) {
          await Promise.race([new Promise((r) => upload.once("drain", r)), failed]);
        }
      }
      await Promise.race([new Promise<void>((r) => upload.end(() => r())), failed]);
    } catch (err) {
      await upload.abort().catch(() => {});
      await remove(id).catch(() => {});
      throw err;
    }
    return { id, size };
  }
  async function remove(id: string): Promise<void> {
    await bucket.delete(id as never).catch((err) => {
      if (!notFound(err)) throw err;
    });
  }
  return {
    write,
    async get(id) {
      const opened = await open(id);
      if (!opened) return null;
      const bytes = new Uint8Array(opened.size);
      let at = 0;
      for await (const chunk of opened.stream) {
        bytes.set(chunk, at);
        at += chunk.byteLength;
      }
      return bytes;
    },
    open,
    delete: remove,
  };
}
