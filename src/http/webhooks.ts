import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Deps } from "@/deps.ts";
import type { AppEnv, RouterServices } from "./env.ts";
import { tenant } from "./rbac.ts";
import { webhookRoutes } from "@/modules/webhooks/routes.ts";

/** Outgoing webhooks under /api/v1/webhooks, for the organization's Admins. */
export function mountWebhooks(app: OpenAPIHono<AppEnv>, _deps: Deps, s: RouterServices): void {
  const base = "/api/v1/webhooks";
  for (const path of [base, `${base}/*`]) app.use(path, s.authenticate, tenant());
  app.route(base, webhookRoutes(s.webhooks));
}
