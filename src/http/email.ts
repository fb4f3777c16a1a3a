import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Deps } from "@/deps.ts";
import type { AppEnv, RouterServices } from "./env.ts";
import { tenant } from "./rbac.ts";
import { emailConfigRoutes } from "@/modules/email/routes.ts";

/**
 * The email channel under /api/v1: mailbox settings for Admins at `/email-config`
 * and for a SuperAdmin at `/superadmin/organizations/:orgId/email-config`.
 */
export function mountEmail(app: OpenAPIHono<AppEnv>, _deps: Deps, s: RouterServices): void {
  const routes = emailConfigRoutes(s.email);
  const admin = "/api/v1/email-config";
  const platform = "/api/v1/superadmin/organizations/:orgId/email-config";
  for (const path of [admin, `${admin}/*`]) app.use(path, s.authenticate, tenant());
  // Only a SuperAdmin, on an organization that exists: guardPlatform, at the /superadmin mount.
  for (const path of [platform, `${platform}/*`]) app.use(path, s.authenticate, tenant());
  app.route(admin, routes);
  app.route(platform, routes);
}
