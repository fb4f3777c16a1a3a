import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv, RouterServices } from "./env.ts";
import { tenant } from "./rbac.ts";
import { apiKeyRoutes } from "@/modules/api_keys/routes.ts";

/** API keys under /api/v1/api-keys, for the organization's Admins. */
export function mountApiKeys(app: OpenAPIHono<AppEnv>, s: RouterServices): void {
  const base = "/api/v1/api-keys";
  for (const path of [base, `${base}/*`]) app.use(path, s.authenticate, tenant());
  app.route(base, apiKeyRoutes(s.apiKeys));
}
