import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Deps } from "@/deps.ts";
import type { AppEnv, RouterServices } from "./env.ts";
import { tenant } from "./rbac.ts";
import { queryRoutes } from "@/modules/queries/routes.ts";
import { agentRoutes, supportSettingsRoutes } from "@/modules/routing/routes.ts";
import { notificationRoutes } from "@/modules/notifications/routes.ts";
import { shiftRoutes } from "@/modules/shifts/routes.ts";
import { faqRoutes } from "@/modules/faq/routes.ts";
import { contactRoutes } from "@/modules/contacts/routes.ts";
import { customFieldRoutes } from "@/modules/custom_fields/routes.ts";

/** Support desk routers under /api/v1, all behind authentication and the tenant. */
export function mountSupport(app: OpenAPIHono<AppEnv>, deps: Deps, s: RouterServices): void {
  const paths = [
    "queries",
    "agents",
    "notifications",
    "shifts",
    "faq",
    "admin/support-settings",
    "contacts",
    "custom-fields",
  ];
  for (const path of paths) {
    app.use(`/api/v1/${path}`, s.authenticate, tenant());
    app.use(`/api/v1/${path}/*`, s.authenticate, tenant());
  }
  app.route("/api/v1/queries", queryRoutes(s.queries, deps.clock));
  app.route("/api/v1/agents", agentRoutes(s.routing));
  app.route("/api/v1/notifications", notificationRoutes(s.notifications));
  app.route("/api/v1/shifts", shiftRoutes(s.shifts));
  app.route("/api/v1/faq", faqRoutes(s.faq));
  app.route("/api/v1/contacts", contactRoutes(s.contacts));
  app.route("/api/v1/custom-fields", customFieldRoutes(s.customFields));
  app.route(
    "/api/v1/admin/support-settings",
    supportSettingsRoutes(s.supportSettings),
  );
}
