import type { MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { AppError } from "@/errors.ts";
import type { TokenService } from "@/modules/auth/tokens.ts";
import type { AppEnv } from "./env.ts";

/** Name of the HttpOnly cookie that carries the access token for browsers. */
export const accessCookie = "token";

/** The bearer token of a request: `Authorization: Bearer`, else the auth cookie. */
export function requestToken(c: Parameters<MiddlewareHandler<AppEnv>>[0]): string | undefined {
  const header = c.req.header("authorization");
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    return match?.[1];
  }
  // Browsers cannot set headers on a WebSocket: there, and only there, `?token=` is accepted.
  if (c.req.header("upgrade")?.toLowerCase() === "websocket") {
    const fromQuery = c.req.query("token");
    if (fromQuery) return fromQuery;
  }
  return getCookie(c, accessCookie);
}

/**
 * Requires a valid access token and sets `c.get("auth")`; 401 otherwise. A token this instance
 * has seen is checked without waiting.
 */
export function requireAuth(tokens: TokenService): MiddlewareHandler<AppEnv> {
  return function requireAuth(c, next) {
    const token = requestToken(c);
    if (!token) throw new AppError("UNAUTHORIZED", "Authentication required");
    const known = tokens.known(token);
    if (known) {
      c.set("auth", known);
      return next();
    }
    return tokens.verify(token).then((auth) => {
      c.set("auth", auth);
      return next();
    });
  };
}
