import { GridFSBucket } from "mongodb";
import { Readable } from "node:stream";
import type { ByteRange, FileStore, OpenFile } from "@/store/files.ts";
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
  return {
    async put(id, data) {
      // A second write of an id replaces the first, as on disk.
      await bucket.delete(id as never).catch((err) => {
        if (!notFound(err)) throw err;
      });
      await new Promise<void>((resolve, reject) => {
        const upload = bucket.openUploadStreamWithId(id as never, id);
        upload.once("finish", () => resolve());
        upload.once("error", reject);
        upload.end(data);
      });
      return { id, size: data.byteLength };
    },
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
    async delete(id) {
      await bucket.delete(id as never).catch((err) => {
        if (!notFound(err)) throw err;
      });
    },
  };
}
