import type { OpenAPIHono } from "@hono/zod-openapi";
import { AppError } from "@/errors.ts";
import type { AppEnv } from "@/http/env.ts";
import type { MiddlewareHandler } from "hono";
import type { Hub } from "./hub.ts";

/**
 * `GET /ws`: the WebSocket, authenticated at upgrade (Authorization header, `?token=` or the
 * auth cookie) with the same checks as every API request.
 */
export function mountWebSocket(
  app: OpenAPIHono<AppEnv>,
  authenticate: MiddlewareHandler<AppEnv>,
  hub: Hub,
): void {
  app.get("/ws", authenticate, (c) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw new AppError("BAD_REQUEST", "Expected a WebSocket upgrade");
    }
    const auth = c.get("auth");
    if (!auth.orgId) throw new AppError("FORBIDDEN", "Realtime is for members of an organization");
    const { socket, response } = Deno.upgradeWebSocket(c.req.raw, { idleTimeout: 60 });
    hub.accept(socket, { ...auth, orgId: auth.orgId });
    return response;
  });
}
