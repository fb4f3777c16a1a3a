import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Deps } from "@/deps.ts";
import type { AppEnv, RouterServices } from "./env.ts";
import { tenant } from "./rbac.ts";
import { reportRoutes } from "@/modules/reports/routes.ts";

/**
 * Reports under /api/v1/reports, and for a SuperAdmin under
 * /api/v1/superadmin/organizations/:orgId/reports; both behind authentication and the tenant.
 */
export function mountReports(app: OpenAPIHono<AppEnv>, deps: Deps, s: RouterServices): void {
  for (const base of ["/api/v1/reports", "/api/v1/superadmin/organizations/:orgId/reports"]) {
    app.use(base, s.authenticate, tenant());
    app.use(`${base}/*`, s.authenticate, tenant());
    app.route(base, reportRoutes(deps, s.reports));
  }
}
