import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Deps } from "@/deps.ts";
import type { Services } from "@/app.ts";
import type { AppEnv } from "./env.ts";
import { tenant } from "./rbac.ts";
import { createNotificationService } from "@/modules/notifications/service.ts";
import { createQueryEvents } from "@/modules/queries/events.ts";
import { createRoutingService } from "@/modules/routing/service.ts";
import { createQueryService } from "@/modules/queries/service.ts";
import { createShiftService } from "@/modules/shifts/service.ts";
import { createFaqService } from "@/modules/faq/service.ts";
import { queryRoutes } from "@/modules/queries/routes.ts";
import { agentRoutes, supportSettingsRoutes } from "@/modules/routing/routes.ts";
import { notificationRoutes } from "@/modules/notifications/routes.ts";
import { shiftRoutes } from "@/modules/shifts/routes.ts";
import { faqRoutes } from "@/modules/faq/routes.ts";
import { checkSlas } from "@/jobs/sla.ts";
import { createSupportSettingsService } from "@/modules/queries/settings.ts";
import { createChatService } from "@/modules/chat/service.ts";

/** The support desk's services: queries, routing, notifications, shifts and FAQ. */
export function buildSupportServices(deps: Deps) {
  const notifications = createNotificationService(deps);
  const chat = createChatService(deps);
  const events = createQueryEvents(
    deps,
    notifications,
    (org, room, text) => chat.system(org, room, text),
  );
  const routing = createRoutingService(deps, events);
  const queries = createQueryService(deps, routing, events);
  const shifts = createShiftService(deps, routing);
  const faq = createFaqService(deps);
  const settings = createSupportSettingsService(deps);
  /** The SLA check, as the cron job runs it. */
  const sla = () => checkSlas(deps, events, notifications);
  chat.onMessage(async (message, room) => {
    if (!room.queryId) return;
    if (message.senderRole === "Customer") {
      await queries.customerReplied(room.organizationId, room.queryId);
    } else if (message.senderRole !== "system") {
      await queries.responded(room.organizationId, room.queryId, message.createdAt);
    }
  });
  return { notifications, events, routing, queries, shifts, faq, sla, chat, settings };
}

export type SupportServices = ReturnType<typeof buildSupportServices>;

/** Support desk routers under /api/v1 (issue 5), all behind authentication and the tenant. */
export function mountSupport(app: OpenAPIHono<AppEnv>, deps: Deps, s: Services): void {
  const paths = ["queries", "agents", "notifications", "shifts", "faq", "admin/support-settings"];
  for (const path of paths) {
    app.use(`/api/v1/${path}`, s.authenticate, tenant());
    app.use(`/api/v1/${path}/*`, s.authenticate, tenant());
  }
  app.route("/api/v1/queries", queryRoutes(s.support.queries, deps.clock));
  app.route("/api/v1/agents", agentRoutes(s.support.routing));
  app.route("/api/v1/notifications", notificationRoutes(s.support.notifications));
  app.route("/api/v1/shifts", shiftRoutes(s.support.shifts));
  app.route("/api/v1/faq", faqRoutes(s.support.faq));
  app.route(
    "/api/v1/admin/support-settings",
    supportSettingsRoutes(s.support.settings),
  );
}
