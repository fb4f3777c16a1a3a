import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Deps } from "@/deps.ts";
import type { AppEnv, RouterServices } from "./env.ts";
import { tenant } from "./rbac.ts";
import { chatRoutes } from "@/modules/chat/routes.ts";
import { mountWebSocket } from "@/realtime/routes.ts";
import { callRoutes, presenceRoutes } from "@/realtime/calls_routes.ts";

/** `/ws`, and the REST side of chat, calls and presence. */
export function mountRealtime(app: OpenAPIHono<AppEnv>, deps: Deps, s: RouterServices): void {
  for (const path of ["chat", "calls", "presence"]) {
    app.use(`/api/v1/${path}/*`, s.authenticate, tenant());
  }
  app.route("/api/v1/chat", chatRoutes(s.chat, s.attachments));
  app.route("/api/v1/calls", callRoutes(s.calls));
  app.route(
    "/api/v1/presence",
    presenceRoutes(s.presence),
  );
  mountWebSocket(app, s.authenticate, s.hub, deps.config.corsOrigins);
}
