import busboy from "busboy";
import { Readable } from "node:stream";
import { AppError } from "@/errors.ts";
import { errorMessage } from "@/log.ts";
import type { IncomingFile } from "@/modules/uploads.ts";

/** What a streamed multipart body held: its text fields and what `onFile` made of its file. */
export interface MultipartResult<T> {
  fields: Record<string, string>;
  /** Undefined when the body had no file in the named field. */
  file: T | undefined;
}

const limits = { fields: 16, fieldSize: 64 * 1024, parts: 32, headerPairs: 16 };

/**
 * Reads a `multipart/form-data` request as it arrives (busboy): text fields are collected, and
 * the first file in `fileField` is handed to `onFile` as a stream while the body still flows,
 * so no file is ever whole in memory. Other files are skipped unread. When `onFile` fails (a
 * refused type, a file over its cap) reading stops at once and its error is thrown; a body that
 * is not valid multipart is a 400. Returns after `onFile` is done with the file.
 */
export async function readMultipart<T>(
  request: Request,
  fileField: string,
  onFile: (file: IncomingFile) => Promise<T>,
): Promise<MultipartResult<T>> {
  const parser = openParser(request);
  const fields: Record<string, string> = {};
  let handled: Promise<T> | undefined;
  let stop!: (err: unknown) => void;
  const stopped = new Promise<never>((_, reject) => stop = reject);
  stopped.catch(() => {});
  parser.on("file", (name, stream, info) => {
    if (name !== fileField || handled) return void stream.resume();
    const type = info.mimeType.split(";")[0]!.trim().toLowerCase();
    handled = onFile({ name: info.filename ?? "file", type, stream: webStream(stream) });
    handled.catch(stop);
  });
  parser.on("field", (name, value, info) => {
    if (info.valueTruncated) {
      stop(badForm(`field "${name}" is longer than ${limits.fieldSize} bytes`));
    }
    fields[name] = value;
  });
  parser.on("fieldsLimit", () => stop(badForm(`more than ${limits.fields} fields`)));
  parser.on("partsLimit", () => stop(badForm(`more than ${limits.parts} parts`)));
  const finished = new Promise<void>((resolve, reject) => {
    parser.once("close", resolve);
    parser.once("error", reject);
  });
  finished.catch(() => {});
  const body = request.body?.getReader();
  try {
    await Promise.race([feed(body, parser), stopped]);
    await Promise.race([finished, stopped]);
  } catch (err) {
    await body?.cancel().catch(() => {});
    parser.destroy(err instanceof Error ? err : new Error(String(err)));
    // What the file's consumer wrote is removed before the answer goes out.
    await handled?.catch(() => {});
    throw err instanceof AppError ? err : badForm(errorMessage(err));
  }
  return { fields, file: handled ? await handled : undefined };
}

/**
 * The result of `onFile` for the one file a multipart upload carries in `field`: 400 when the
 * body is not multipart or has no such file.
 */
export async function uploadedFile<T>(
  request: Request,
  field: string,
  onFile: (file: IncomingFile) => Promise<T>,
): Promise<T> {
  const missing = new AppError("VALIDATION_FAILED", "Request validation failed", {
    details: [{ path: field, message: `expected a file in the multipart field "${field}"` }],
  });
  if (!request.headers.get("content-type")?.toLowerCase().startsWith("multipart/form-data")) {
    await request.body?.cancel().catch(() => {});
    throw missing;
  }
  const { file } = await readMultipart(request, field, onFile);
  if (file === undefined) throw missing;
  return file;
}

/** The OpenAPI body of a route taking one file in `field`, read by `uploadedFile` (not by zod). */
export function fileUploadBody(field: string) {
  return {
    required: true,
    content: {
      "multipart/form-data": {
        schema: {
          type: "object" as const,
          properties: { [field]: { type: "string" as const, format: "binary" } },
          required: [field],
        },
      },
    },
  };
}

/**
 * A web stream over a part's Node stream, read as the consumer pulls (the part pauses
 * otherwise, and with it busboy and the request body). A cancelled stream drains what is left
 * of the part unread, so the parser never waits on it. (Node's `Readable.toWeb` enqueues into
 * a cancelled stream here and throws outside any handler.)
 */
function webStream(part: Readable): ReadableStream<Uint8Array> {
  let done = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      part.on("data", (chunk: Uint8Array) => {
        if (done) return;
        controller.enqueue(chunk);
        if ((controller.desiredSize ?? 0) <= 0) part.pause();
      });
      part.once("end", () => {
        if (!done) controller.close();
        done = true;
      });
      part.once("error", (err) => {
        if (!done) controller.error(err);
        done = true;
      });
      part.pause();
    },
    pull() {
      part.resume();
    },
    cancel() {
      done = true;
      part.resume();
    },
  }, { highWaterMark: 4 });
}

function openParser(request: Request): busboy.Busboy {
  try {
    return busboy({
      headers: { "content-type": request.headers.get("content-type") ?? "" },
      limits,
    });
  } catch (err) {
    throw badForm(errorMessage(err));
  }
}

/** Writes the body into the parser chunk by chunk, each after the last was taken (backpressure). */
async function feed(
  body: ReadableStreamDefaultReader<Uint8Array> | undefined,
  parser: busboy.Busboy,
): Promise<void> {
  for (;;) {
    const next = await body?.read();
    if (!next || next.done) break;
    await new Promise<void>((resolve, reject) =>
      parser.write(next.value, (err) => err ? reject(err) : resolve())
    );
  }
  parser.end();
}

function badForm(reason: string): AppError {
  return new AppError("BAD_REQUEST", `Cannot read the multipart body: ${reason}`);
}
