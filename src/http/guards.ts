import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { AppError } from "@/errors.ts";
import type { AppEnv } from "./env.ts";

const tooLarge = () => new AppError("PAYLOAD_TOO_LARGE", "Request body is too large");

/**
 * Limits request bodies: `jsonLimit` for ordinary bodies, `uploadLimit` for multipart uploads.
 * A declared length over the limit → 413 before the body is read. Uploads are not buffered
 * here: their body is counted as it streams and fails with 413 once past the limit (so a
 * chunked upload without a length is bounded too). GET and HEAD requests carry none and pass.
 */
export function bodyLimits(
  options: { jsonLimit: number; uploadLimit: number },
): MiddlewareHandler<AppEnv> {
  const json = bodyLimit({
    maxSize: options.jsonLimit,
    onError: () => {
      throw tooLarge();
    },
  });
  return function bodyLimits(c, next) {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const multipart = c.req.header("content-type")?.startsWith("multipart/form-data");
    if (!multipart) return json(c, next);
    const length = c.req.header("content-length");
    if (length && !c.req.header("transfer-encoding") && Number(length) > options.uploadLimit) {
      throw tooLarge();
    }
    if (c.req.raw.body) {
      c.req.raw = new Request(c.req.raw, { body: counted(c.req.raw.body, options.uploadLimit) });
    }
    return next();
  };
}

/** The body as it arrives, failing with 413 once more than `max` bytes have passed. */
function counted(body: ReadableStream<Uint8Array>, max: number): ReadableStream<Uint8Array> {
  let size = 0;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        size += chunk.byteLength;
        if (size > max) throw tooLarge();
        controller.enqueue(chunk);
      },
    }),
  );
}

/**
 * Rejects a repeated query parameter (`?status=a&status=b`): lists are comma-separated, so a
 * repeat is parameter pollution, answered 400.
 */
export function noRepeatedParams(): MiddlewareHandler<AppEnv> {
  return function noRepeatedParams(c, next) {
    const query = c.req.url.indexOf("?");
    if (query < 0) return next();
    const seen = new Set<string>();
    for (const key of new URLSearchParams(c.req.url.slice(query + 1)).keys()) {
      if (seen.has(key)) {
        throw new AppError("BAD_REQUEST", `Query parameter "${key}" is repeated`, {
          details: [{ path: key, message: "expected one value; separate several with commas" }],
        });
      }
      seen.add(key);
    }
    return next();
  };
}
