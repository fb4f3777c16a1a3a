import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Deps } from "@/deps.ts";
import type { Services } from "@/app.ts";
import type { SupportServices } from "./support.ts";
import type { AppEnv } from "./env.ts";
import { tenant } from "./rbac.ts";
import { createAttachmentService } from "@/modules/chat/attachments.ts";
import { chatRoutes } from "@/modules/chat/routes.ts";
import { createCallService } from "@/realtime/calls.ts";
import { createPresenceService } from "@/realtime/presence.ts";
import { createHub } from "@/realtime/hub.ts";
import { mountWebSocket } from "@/realtime/routes.ts";
import { callRoutes, presenceRoutes } from "@/realtime/calls_routes.ts";

/** Chat files, calls, presence and the socket hub of this instance. */
export function buildRealtime(deps: Deps, support: SupportServices) {
  const attachments = createAttachmentService(deps);
  const calls = createCallService(deps, attachments);
  const presence = createPresenceService(deps);
  const hub = createHub(deps, { chat: support.chat, calls, presence });
  // An agent nobody can reach any more stops taking queries; theirs go back to the queue.
  presence.onOffline((orgId, userId) => support.routing.unreachable(orgId, userId));
  deps.onShutdown(() => hub.close());
  return { attachments, calls, presence, hub };
}

export type RealtimeServices = ReturnType<typeof buildRealtime>;

/** `/ws`, and the REST side of chat, calls and presence (issue 4). */
export function mountRealtime(app: OpenAPIHono<AppEnv>, _deps: Deps, s: Services): void {
  for (const path of ["chat", "calls", "presence"]) {
    app.use(`/api/v1/${path}/*`, s.authenticate, tenant());
  }
  app.route("/api/v1/chat", chatRoutes(s.support.chat, s.realtime.attachments));
  app.route("/api/v1/calls", callRoutes(s.realtime.calls));
  app.route(
    "/api/v1/presence",
    presenceRoutes(s.realtime.presence),
  );
  mountWebSocket(app, s.authenticate, s.realtime.hub, _deps.config.corsOrigins);
}
