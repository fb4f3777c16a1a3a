import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Deps } from "@/deps.ts";
import type { Services } from "@/app.ts";
import type { AppEnv } from "./env.ts";
import { tenant } from "./rbac.ts";
import { createEmailService } from "@/modules/email/service.ts";
import { emailConfigRoutes } from "@/modules/email/routes.ts";

/**
 * The email channel under /api/v1 (issue 6): mailbox settings for Admins at `/email-config`
 * and for a SuperAdmin at `/superadmin/organizations/:orgId/email-config`; agents' replies on
 * email queries leave by SMTP from here on.
 */
export function mountEmail(app: OpenAPIHono<AppEnv>, deps: Deps, s: Services): void {
  const email = createEmailService(deps, s.support);
  email.attach(s.support.chat);
  const routes = emailConfigRoutes(email);
  const admin = "/api/v1/email-config";
  const platform = "/api/v1/superadmin/organizations/:orgId/email-config";
  for (const path of [admin, `${admin}/*`]) app.use(path, s.authenticate, tenant());
  // Only a SuperAdmin, on an organization that exists: guardPlatform, at the /superadmin mount.
  for (const path of [platform, `${platform}/*`]) app.use(path, s.authenticate, tenant());
  app.route(admin, routes);
  app.route(platform, routes);
}
