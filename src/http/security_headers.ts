import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "./env.ts";

/**
 * The security headers a JSON API needs, set before the handler builds its response: Deno
 * copies headers given at construction far more cheaply than ones added to a finished response
 * (measured: 15 headers added afterwards cut a bare route's throughput by three quarters).
 */
const apiHeaders: [string, string][] = [
  ["Strict-Transport-Security", "max-age=15552000; includeSubDomains"],
  ["X-Content-Type-Options", "nosniff"],
  ["X-Frame-Options", "SAMEORIGIN"],
];

/** Lean security headers for the API; hono's full set (with its HTML-oriented ones) for /docs. */
export function securityHeaders(): MiddlewareHandler<AppEnv> {
  const full = secureHeaders({ crossOriginResourcePolicy: "cross-origin" });
  return async function securityHeaders(c, next) {
    if (c.req.path.startsWith("/docs")) return await full(c, next);
    for (const [name, value] of apiHeaders) c.header(name, value);
    await next();
  };
}
