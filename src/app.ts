import { OpenAPIHono } from "@hono/zod-openapi";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { cors } from "hono/cors";
import type { Deps } from "@/deps.ts";
import type { AppEnv } from "@/http/env.ts";
import { errorHandler, notFoundHandler } from "@/http/errors.ts";
import { requestLog } from "@/http/request_log.ts";
import { bodyLimits, noRepeatedParams } from "@/http/guards.ts";
import { docsRoutes } from "@/http/docs.ts";
import { createTokenService } from "@/modules/auth/tokens.ts";
import { healthRoutes } from "@/modules/health/routes.ts";

/** Services shared by the routers of one app instance. */
export interface Services {
  tokens: ReturnType<typeof createTokenService>;
}

/** Builds the services every router shares; subscribes them to the bus. */
export async function buildServices(deps: Deps): Promise<Services> {
  const tokens = createTokenService(deps);
  await tokens.start();
  return { tokens };
}

/** The whole HTTP API: middleware in order, every router, docs, one error handler. */
export async function buildApp(deps: Deps): Promise<OpenAPIHono<AppEnv>> {
  const services = await buildServices(deps);
  const app = new OpenAPIHono<AppEnv>();
  app.use(requestId());
  if (deps.config.logLevel !== "silent") app.use(requestLog(deps.log));
  app.use(secureHeaders({ crossOriginResourcePolicy: "cross-origin" }));
  app.use(
    "/api/*",
    cors({
      origin: deps.config.corsOrigins,
      credentials: true,
      allowHeaders: ["Authorization", "Content-Type", "X-Request-Id"],
      exposeHeaders: ["X-Request-Id", "Retry-After"],
    }),
  );
  app.use(
    bodyLimits({
      jsonLimit: deps.config.bodyLimitBytes,
      uploadLimit: deps.config.uploadLimitBytes,
    }),
  );
  app.use(noRepeatedParams());

  app.route("/health", healthRoutes(deps));
  mountApi(app, deps, services);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "ChatCRM API",
      version: "1.0.0",
      description: "Multi-tenant customer-support backend: chat, email and calls.",
    },
  });
  app.route("/docs", docsRoutes());
  app.onError(errorHandler(deps.log));
  app.notFound(notFoundHandler);
  return app;
}

/** The `/api/v1` routers; each capability mounts its own here. */
function mountApi(_app: OpenAPIHono<AppEnv>, _deps: Deps, _services: Services): void {
}
