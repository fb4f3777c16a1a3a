import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "./env.ts";

/** The security headers a JSON API needs. */
const apiHeaders: [string, string][] = [
  ["Strict-Transport-Security", "max-age=15552000; includeSubDomains"],
  ["X-Content-Type-Options", "nosniff"],
  ["X-Frame-Options", "SAMEORIGIN"],
];

/**
 * Headers every answer carries: `X-Request-Id` and the security headers; lean ones for the API,
 * hono's full set (with its HTML-oriented ones) for /docs.
 *
 * They are set on the finished response's own headers. Deno builds a response whose only header
 * is its content type on a fast path; one built with five headers costs about 4.5 µs more, and
 * setting four afterwards about 0.8 µs (measured). Going through `c.header` before the handler
 * would take the slow path, and after it would make Hono rebuild the response around a stream.
 */
export function responseHeaders(): MiddlewareHandler<AppEnv> {
  const full = secureHeaders({ crossOriginResourcePolicy: "cross-origin" });
  return async function responseHeaders(c, next) {
    if (c.req.path.startsWith("/docs")) await full(c, next);
    else await next();
    const res = c.res;
    // A WebSocket upgrade answers 101 with headers of its own.
    if (res.status === 101) return;
    const headers = res.headers;
    headers.set("X-Request-Id", c.get("requestId"));
    if (!c.req.path.startsWith("/docs")) {
      for (const [name, value] of apiHeaders) headers.set(name, value);
    }
  };
}
