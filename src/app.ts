import { OpenAPIHono } from "@hono/zod-openapi";
import { requestId } from "hono/request-id";
import { cors } from "hono/cors";
import type { Deps } from "@/deps.ts";
import type { AppEnv, RouterServices } from "@/http/env.ts";
import { errorHandler, notFoundHandler } from "@/http/errors.ts";
import { requestLog } from "@/http/request_log.ts";
import { responseHeaders } from "@/http/security_headers.ts";
import { clientAddress } from "@/http/client_ip.ts";
import { bodyLimits, noRepeatedParams } from "@/http/guards.ts";
import { docsRoutes } from "@/http/docs.ts";
import { serveDocument } from "@/http/openapi_document.ts";
import { guardPlatform } from "@/http/platform.ts";
import { healthRoutes } from "@/modules/health/routes.ts";
import { perCaller, rateLimit } from "@/http/rate_limit.ts";
import { mountIdentity } from "@/http/identity.ts";
import { authenticate } from "@/http/authenticate.ts";
import type { Context } from "hono";
import type { Services } from "@/services.ts";
import { mountSupport } from "@/http/support.ts";
import { mountWorkspace } from "@/http/workspace.ts";
import { mountEmail } from "@/http/email.ts";
import { mountReports } from "@/http/reports.ts";
import { mountRealtime } from "@/http/realtime.ts";
import { mountWebhooks } from "@/http/webhooks.ts";
import { httpMetrics, mountMetrics } from "@/http/metrics.ts";
import { mountApiKeys } from "@/http/api_keys.ts";
import { mountWidget } from "@/http/widget.ts";
import { widgetCors } from "@/http/visitor_auth.ts";
import { spanDetails } from "@/http/tracing.ts";

/** The caller's own `X-Request-Id` when it is a sensible one (as hono's check), else a new id. */
function incomingRequestId(c: Context): string {
  const given = c.req.header("x-request-id");
  return given && given.length <= 255 && !/[^\w\-=]/.test(given) ? given : crypto.randomUUID();
}

/** The whole HTTP API: middleware in order, every router, docs, one error handler. */
export function buildApp(deps: Deps, services: Services): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  // The id goes onto the response with the other headers (see responseHeaders), not here.
  app.use(requestId({ headerName: "", generator: incomingRequestId }));
  app.use(spanDetails());
  const metricsToken = deps.config.metricsToken;
  if (metricsToken) app.use(httpMetrics(services.metrics));
  app.use(responseHeaders(deps.config.trustProxy));
  app.use(clientAddress(deps.config.trustProxy));
  // Request lines are written at info: below that level the middleware would only discard them.
  if (["debug", "info"].includes(deps.config.logLevel)) app.use(requestLog(deps.log));
  const corsHeaders = cors({
    origin: deps.config.corsOrigins,
    credentials: true,
    allowHeaders: ["Authorization", "Content-Type", "X-Request-Id"],
    exposeHeaders: ["X-Request-Id", "Retry-After"],
  });
  // Only cross-origin requests carry Origin; the others skip CORS, whose headers are written onto
  // the finished response (costly in Deno, measured at more than half of a small request's time).
  const apiCors = widgetCors(deps.config.corsOrigins, corsHeaders);
  app.use("/api/*", (c, next) => c.req.header("origin") ? apiCors(c, next) : next());
  app.use(
    bodyLimits({
      jsonLimit: deps.config.bodyLimitBytes,
      uploadLimit: deps.config.uploadLimitBytes,
    }),
  );
  app.use(noRepeatedParams());

  app.route("/health", healthRoutes(deps));
  mountMetrics(app, services.metrics, metricsToken);
  mountApi(app, deps, {
    ...services,
    authenticate: perCaller(
      authenticate(services.tokens, services.access, services.apiKeys, services.visitors),
      deps.shared,
      {
        windowSeconds: deps.config.rateLimit.windowSeconds,
        max: deps.config.rateLimit.userMax,
        onUnavailable: (err) =>
          deps.log.warn("rate limit not counted: shared state unavailable", {
            error: String(err),
          }),
      },
    ),
  });

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
  });
  serveDocument(app, "/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "ChatCRM API",
      version: "1.0.0",
      description: "Multi-tenant customer-support backend: chat, email and calls.",
    },
    servers: [{ url: "/", description: "This server" }],
  });
  app.route("/docs", docsRoutes());
  app.onError(errorHandler(deps.log));
  app.notFound(notFoundHandler(() => app.routes));
  return app;
}

/** The `/api/v1` routers; each capability mounts its own here. */
function mountApi(app: OpenAPIHono<AppEnv>, deps: Deps, services: RouterServices): void {
  app.use(
    "/api/v1/*",
    rateLimit(deps.shared, {
      windowSeconds: deps.config.rateLimit.windowSeconds,
      max: deps.config.rateLimit.max,
      onUnavailable: (err) =>
        deps.log.warn("rate limit not counted: shared state unavailable", { error: String(err) }),
    }),
  );
  guardPlatform(app, services.authenticate, services.organizations);
  mountIdentity(app, deps, services);
  mountSupport(app, deps, services);
  mountWorkspace(app, services);
  mountEmail(app, deps, services);
  mountReports(app, deps, services);
  mountRealtime(app, deps, services);
  mountWebhooks(app, deps, services);
  mountApiKeys(app, services);
  mountWidget(app, deps, services);
}
