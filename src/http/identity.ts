import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Deps } from "@/deps.ts";
import type { Services } from "@/app.ts";
import type { AppEnv } from "./env.ts";
import { authRoutes } from "@/modules/auth/routes.ts";

/** Identity and access routers under /api/v1 (issue 3). */
export function mountIdentity(app: OpenAPIHono<AppEnv>, deps: Deps, s: Services): void {
  app.route("/api/v1/auth", authRoutes(deps, s));
}
