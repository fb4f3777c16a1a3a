import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv, RouterServices } from "./env.ts";
import { tenant } from "./rbac.ts";
import { labelRoutes } from "@/modules/labels/routes.ts";
import { macroRoutes, macroRunRoutes } from "@/modules/macros/routes.ts";
import { teamRoutes } from "@/modules/teams/routes.ts";
import { businessHoursRoutes } from "@/modules/business_hours/routes.ts";
import { searchRoutes } from "@/modules/search/routes.ts";

/** The agent's workspace under /api/v1 (labels, macros, teams, business hours, search), behind authentication and the tenant. */
export function mountWorkspace(app: OpenAPIHono<AppEnv>, s: RouterServices): void {
  for (const path of ["labels", "macros", "teams", "business-hours", "search"]) {
    app.use(`/api/v1/${path}`, s.authenticate, tenant());
    app.use(`/api/v1/${path}/*`, s.authenticate, tenant());
  }
  app.route("/api/v1/labels", labelRoutes(s.labels));
  app.route("/api/v1/macros", macroRoutes(s.macros));
  app.route("/api/v1/teams", teamRoutes(s.teams));
  app.route("/api/v1/business-hours", businessHoursRoutes(s.businessHours));
  app.route("/api/v1/search", searchRoutes(s.search));
  // Beside the query routes (mounted with their authentication by mountSupport).
  app.route("/api/v1/queries", macroRunRoutes(s.macros));
}
