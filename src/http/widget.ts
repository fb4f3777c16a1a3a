import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv, RouterServices } from "./env.ts";
import { tenant } from "./rbac.ts";
import { webInboxRoutes } from "@/modules/widget/inbox_routes.ts";

/** Web chat: the Admin's web inboxes under /api/v1/inboxes/web. */
export function mountWidget(app: OpenAPIHono<AppEnv>, s: RouterServices): void {
  const base = "/api/v1/inboxes/web";
  for (const path of [base, `${base}/*`]) app.use(path, s.authenticate, tenant());
  app.route(base, webInboxRoutes(s.webInboxes));
}
