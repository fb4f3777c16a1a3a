import { AppError } from "@/errors.ts";

const zipFamily = [
  "application/zip",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation",
];

/** For each declared type with a signature, the sniffed types (file-type) that match it. */
const signatures: Record<string, string[]> = {
  "image/png": ["image/png", "image/apng"],
  "image/jpeg": ["image/jpeg"],
  "image/gif": ["image/gif"],
  "image/webp": ["image/webp"],
  "application/pdf": ["application/pdf"],
  // A plain zip may hold an Office document; an Office document is a zip file.
  "application/zip": zipFamily,
  [zipFamily[1]!]: [zipFamily[1]!],
  [zipFamily[2]!]: [zipFamily[2]!],
};

/** Types without a signature: their content must be text, and no known binary format. */
const textTypes = ["text/plain", "text/csv"];

/** A file arriving in a request, its bytes not yet read (a multipart part, streamed). */
export interface IncomingFile {
  /** The name the client gave it. */
  name: string;
  /** The declared content type, lower case, without parameters ("" when none was sent). */
  type: string;
  stream: ReadableStream<Uint8Array>;
}

/** How much of a file's start is read to sniff its type: file-type looks no further. */
export const sniffBytes = 64 * 1024;

/**
 * The first `bytes` of a stream (fewer when it is shorter) and the whole stream again, those
 * bytes included, so a file's type is checked before it is stored without holding all of it.
 */
export async function peek(
  stream: ReadableStream<Uint8Array>,
  bytes = sniffBytes,
): Promise<{ head: Uint8Array; complete: boolean; stream: ReadableStream<Uint8Array> }> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let complete = false;
  while (size < bytes) {
    const { value, done } = await reader.read();
    if (done) {
      complete = true;
      break;
    }
    chunks.push(value);
    size += value.byteLength;
  }
  const head = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    head.set(chunk, at);
    at += chunk.byteLength;
  }
  let sentHead = false;
  const whole = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!sentHead) {
        sentHead = true;
        if (head.byteLength) return controller.enqueue(head);
      }
      const { value, done } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return { head: head.subarray(0, Math.min(size, bytes)), complete, stream: whole };
}

/**
 * The stream, checked as it passes that it is UTF-8 text without NUL bytes: text types have no
 * signature, so all of it is read, but never held; the first bad chunk fails the stream.
 */
function textOnly(stream: ReadableStream<Uint8Array>, declared: string) {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const refuse = () =>
    new AppError("UNSUPPORTED_MEDIA_TYPE", `The file is not a valid ${declared} file`, {
      details: [{ path: "file", message: "its content is not text" }],
    });
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        try {
          decoder.decode(chunk, { stream: true });
        } catch {
          throw refuse();
        }
        if (chunk.includes(0)) throw refuse();
        controller.enqueue(chunk);
      },
      flush() {
        try {
          decoder.decode();
        } catch {
          throw refuse();
        }
      },
    }),
  );
}

/**
 * The upload's stream once its first bytes show the declared type (file-type); text types are
 * then checked as they stream. Throws UNSUPPORTED_MEDIA_TYPE (`field` in the details) when the
 * start does not match, VALIDATION_FAILED when the file is empty.
 */
export async function checkedStream(
  file: IncomingFile,
  field: string,
): Promise<ReadableStream<Uint8Array>> {
  const { head, complete, stream } = await peek(file.stream);
  if (head.byteLength === 0) {
    await stream.cancel();
    throw new AppError("VALIDATION_FAILED", "Request validation failed", {
      details: [{ path: field, message: "the file is empty" }],
    });
  }
  const mismatch = await headMismatch(head, file.type, complete);
  if (mismatch) {
    await stream.cancel();
    throw new AppError("UNSUPPORTED_MEDIA_TYPE", `The file is not a valid ${file.type} file`, {
      details: [{ path: field, message: mismatch }],
    });
  }
  return textTypes.includes(file.type) ? textOnly(stream, file.type) : stream;
}

/**
 * The type the content's magic bytes say (file-type, loaded on first use: importing it takes
 * about 100 ms), or null when it has no known signature.
 */
export async function sniffedType(bytes: Uint8Array): Promise<string | null> {
  const { fileTypeFromBuffer } = await import("file-type");
  return (await fileTypeFromBuffer(bytes))?.mime ?? null;
}

/**
 * Why the content does not match its declared type (magic bytes, as file-type reads them), or
 * null when it does: HTML declared `image/png` is refused, a GIF declared `image/gif` passes
 * (whatever follows its header is harmless once served with `fileHeaders`).
 */
export function contentMismatch(bytes: Uint8Array, declared: string): Promise<string | null> {
  return headMismatch(bytes, declared, true);
}

/** `contentMismatch` of a file's first bytes; `complete` says whether they are all of it. */
async function headMismatch(
  bytes: Uint8Array,
  declared: string,
  complete: boolean,
): Promise<string | null> {
  const sniffed = await sniffedType(bytes);
  if (textTypes.includes(declared)) {
    if (sniffed) return `its content is ${sniffed}, not ${declared}`;
    if (bytes.includes(0) || !isUtf8(bytes, complete)) return `its content is not text`;
    return null;
  }
  const accepted = signatures[declared];
  if (!accepted) return `files of type "${declared}" cannot be checked`;
  if (!sniffed || !accepted.includes(sniffed)) {
    return `its content is ${sniffed ?? "not recognised"}, not ${declared}`;
  }
  return null;
}

/** Whether the bytes are UTF-8; when `complete` is false, a sequence cut at the end passes. */
function isUtf8(bytes: Uint8Array, complete = true): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes, { stream: !complete });
    return true;
  } catch {
    return false;
  }
}

/**
 * Headers of a user's file as the API serves it: its checked type, always as a download, and
 * sandboxed with nosniff so a browser never runs what it holds, even opened directly.
 */
export function fileHeaders(contentType: string, filename: string): Record<string, string> {
  const ascii = filename.replace(/[^\w .()-]/g, "_") || "file";
  return {
    "content-type": contentType,
    "content-disposition": `attachment; filename="${ascii}"`,
    "content-security-policy": "default-src 'none'; sandbox",
    "x-content-type-options": "nosniff",
  };
}

/**
 * One `Range: bytes=…` of a file of `size` bytes: `start-end`, `start-` or `-suffix`. Undefined
 * when there is no header or it asks for several ranges (the whole file is sent then); null when
 * it cannot be satisfied (416).
 */
export function byteRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | null | undefined {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    return suffix === 0 ? null : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  return start >= size || end < start ? null : { start, end };
}
