import type { OpenAPIHono } from "@hono/zod-openapi";
import { AppError } from "@/errors.ts";
import type { AppEnv } from "@/http/env.ts";
import type { MiddlewareHandler } from "hono";
import type { Hub } from "./hub.ts";
import { requestToken } from "@/http/auth.ts";
import { isVisitorToken } from "@/http/visitor_auth.ts";
import { batchedProtocol, chooseProtocol } from "./wire.ts";

/**
 * A browser's upgrade carries its page's Origin: only the configured origins may open a socket
 * (with the auth cookie, any other site could otherwise act as the user: cross-site WebSocket
 * hijacking). Clients that are not browsers send no Origin and are let through.
 */
function allowedOrigin(origins: string[]): MiddlewareHandler<AppEnv> {
  const allowed = new Set(origins);
  return async function allowedOrigin(c, next) {
    const origin = c.req.header("origin");
    // A widget visitor's page is on its inbox's origins: its authentication checks those.
    if (isVisitorToken(requestToken(c))) return await next();
    if (origin !== undefined && !allowed.has("*") && !allowed.has(origin)) {
      throw new AppError("FORBIDDEN", `Origin "${origin.slice(0, 200)}" may not open a socket`);
    }
    await next();
  };
}

/**
 * `GET /ws`: the WebSocket, authenticated at upgrade (Authorization header, `?token=` or the
 * auth cookie) with the same checks as every API request, from an allowed Origin. A client that
 * offers the `chatcrm.batch.v1` subprotocol gets the batched mode; other subprotocols are not
 * answered (the default mode).
 */
export function mountWebSocket(
  app: OpenAPIHono<AppEnv>,
  authenticate: MiddlewareHandler<AppEnv>,
  hub: Hub,
  origins: string[],
): void {
  app.get("/ws", allowedOrigin(origins), authenticate, (c) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw new AppError("BAD_REQUEST", "Expected a WebSocket upgrade");
    }
    const auth = c.get("auth");
    if (!auth.orgId) throw new AppError("FORBIDDEN", "Realtime is for members of an organization");
    const protocol = chooseProtocol(c.req.header("sec-websocket-protocol"));
    const { socket, response } = Deno.upgradeWebSocket(c.req.raw, { idleTimeout: 60 });
    // Set here rather than by upgradeWebSocket's `protocol`, which fails on an offer listed
    // without a space after its comma ("a,b"), as RFC 6455 allows.
    if (protocol) response.headers.set("sec-websocket-protocol", protocol);
    hub.accept(socket, { ...auth, orgId: auth.orgId }, { batched: protocol === batchedProtocol });
    return response;
  });
}
