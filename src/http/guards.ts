import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { AppError } from "@/errors.ts";
import type { AppEnv } from "./env.ts";

/**
 * Limits request bodies: `jsonLimit` for ordinary bodies, `uploadLimit` for multipart uploads.
 * Over the limit → 413 before the body is read; GET and HEAD requests carry none and pass.
 */
export function bodyLimits(
  options: { jsonLimit: number; uploadLimit: number },
): MiddlewareHandler<AppEnv> {
  const onError = () => {
    throw new AppError("PAYLOAD_TOO_LARGE", "Request body is too large");
  };
  const json = bodyLimit({ maxSize: options.jsonLimit, onError });
  const upload = bodyLimit({ maxSize: options.uploadLimit, onError });
  return function bodyLimits(c, next) {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const multipart = c.req.header("content-type")?.startsWith("multipart/form-data");
    return (multipart ? upload : json)(c, next);
  };
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
