import { join } from "node:path";
import { AppError } from "@/errors.ts";

/** What is kept about a stored file besides its bytes. */
export interface StoredFile {
  id: string;
  size: number;
}

/** A byte range of a file, both ends included (as HTTP's `Range: bytes=start-end`). */
export interface ByteRange {
  start: number;
  end: number;
}

/** A file being read: its size and its bytes (all, or the range asked for) as a stream. */
export interface OpenFile {
  size: number;
  stream: ReadableStream<Uint8Array>;
}

/** How a streamed write is bounded. */
export interface WriteOptions {
  /** More bytes than this fail the write with PAYLOAD_TOO_LARGE (413) as soon as they arrive. */
  maxBytes?: number;
}

/** Uploaded bytes by id (avatars, chat files, mail attachments, call snapshots). */
export interface FileStore {
  /**
   * Streams the bytes in under `id` (replacing a file of that id). When the stream fails or
   * passes `maxBytes`, the write stops there, nothing of it is kept, and the error is thrown.
   */
  write(
    id: string,
    stream: ReadableStream<Uint8Array>,
    options?: WriteOptions,
  ): Promise<StoredFile>;
  /** The bytes, or null when no such file exists. */
  get(id: string): Promise<Uint8Array | null>;
  /** The file streamed (a range of it, clamped to its size), or null when it does not exist. */
  open(id: string, range?: ByteRange): Promise<OpenFile | null>;
  /** Removes the file; nothing happens when it is missing. */
  delete(id: string): Promise<void>;
}

const safeId = /^[A-Za-z0-9_-]{1,128}$/;

function checkId(id: string): string {
  if (!safeId.test(id)) throw new AppError("BAD_REQUEST", `Invalid file id "${id}"`);
  return id;
}

/** The stream as it is, failing with PAYLOAD_TOO_LARGE once more than `maxBytes` pass. */
export function capped(
  stream: ReadableStream<Uint8Array>,
  maxBytes = Number.POSITIVE_INFINITY,
): ReadableStream<Uint8Array> {
  let size = 0;
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        size += chunk.byteLength;
        if (size > maxBytes) {
          throw new AppError("PAYLOAD_TOO_LARGE", `Files may be at most ${maxBytes} bytes`);
        }
        controller.enqueue(chunk);
      },
    }),
  );
}

/**
 * Files on local disk under `dir` (DATA_DIR/uploads, a volume in production). A write goes to
 * a temporary file of its own, renamed into place once complete, so a reader never sees half a
 * file and a failed write leaves nothing.
 */
export function diskFileStore(dir: string): FileStore {
  let ready: Promise<void> | undefined;
  const ensureDir = () => ready ??= Deno.mkdir(dir, { recursive: true });
  const store: FileStore = {
    async write(id, stream, options = {}) {
      const path = join(dir, checkId(id));
      await ensureDir();
      const tmp = `${path}.${crypto.randomUUID()}.tmp`;
      let size = 0;
      const counted = capped(stream, options.maxBytes).pipeThrough(
        new TransformStream({
          transform(chunk, controller) {
            size += chunk.byteLength;
            controller.enqueue(chunk);
          },
        }),
      );
      try {
        const file = await Deno.open(tmp, { write: true, createNew: true });
        await counted.pipeTo(file.writable);
        await Deno.rename(tmp, path);
      } catch (err) {
        await counted.cancel(err).catch(() => {});
        await Deno.remove(tmp).catch(() => {});
        throw err;
      }
      return { id, size };
    },
    async get(id) {
      try {
        return await Deno.readFile(join(dir, checkId(id)));
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return null;
        throw err;
      }
    },
    async open(id, range) {
      let file: Deno.FsFile;
      try {
        file = await Deno.open(join(dir, checkId(id)), { read: true });
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return null;
        throw err;
      }
      const size = (await file.stat()).size;
      if (!range) return { size, stream: file.readable };
      const start = Math.min(range.start, size);
      await file.seek(start, Deno.SeekMode.Start);
      let left = Math.max(0, Math.min(range.end, size - 1) - start + 1);
      const reader = file.readable.getReader();
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (left === 0) {
            controller.close();
            await reader.cancel();
            return;
          }
          const { value, done } = await reader.read();
          if (done) return controller.close();
          const chunk = value.byteLength > left ? value.subarray(0, left) : value;
          left -= chunk.byteLength;
          controller.enqueue(chunk);
        },
        cancel: () => reader.cancel(),
      });
      return { size, stream };
    },
    async delete(id) {
      try {
        await Deno.remove(join(dir, checkId(id)));
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
    },
  };
  return store;
}
