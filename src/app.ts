import { OpenAPIHono } from "@hono/zod-openapi";
import { requestId } from "hono/request-id";
import { cors } from "hono/cors";
import type { Deps } from "@/deps.ts";
import type { AppEnv } from "@/http/env.ts";
import { errorHandler, notFoundHandler } from "@/http/errors.ts";
import { requestLog } from "@/http/request_log.ts";
import { responseHeaders } from "@/http/security_headers.ts";
import { clientAddress } from "@/http/client_ip.ts";
import { bodyLimits, noRepeatedParams } from "@/http/guards.ts";
import { docsRoutes } from "@/http/docs.ts";
import { serveDocument } from "@/http/openapi_document.ts";
import { guardPlatform } from "@/http/platform.ts";
import { createTokenService } from "@/modules/auth/tokens.ts";
import { healthRoutes } from "@/modules/health/routes.ts";
import { rateLimit } from "@/http/rate_limit.ts";
import { mountIdentity } from "@/http/identity.ts";
import { createAccessService } from "@/modules/access/service.ts";
import { createSessionService } from "@/modules/auth/service.ts";
import { createAccountService } from "@/modules/auth/account.ts";
import { authenticate } from "@/http/authenticate.ts";
import type { Context, MiddlewareHandler } from "hono";
import { createOrganizationService } from "@/modules/organizations/service.ts";
import { createStaffService } from "@/modules/staff/service.ts";
import { buildSupportServices, mountSupport, type SupportServices } from "@/http/support.ts";
import { mountEmail } from "@/http/email.ts";
import { mountReports } from "@/http/reports.ts";
import { buildRealtime, mountRealtime, type RealtimeServices } from "@/http/realtime.ts";

/** The caller's own `X-Request-Id` when it is a sensible one (as hono's check), else a new id. */
function incomingRequestId(c: Context): string {
  const given = c.req.header("x-request-id");
  return given && given.length <= 255 && !/[^\w\-=]/.test(given) ? given : crypto.randomUUID();
}

/** Services shared by the routers of one app instance. */
export interface Services {
  tokens: ReturnType<typeof createTokenService>;
  access: ReturnType<typeof createAccessService>;
  sessions: ReturnType<typeof createSessionService>;
  accounts: ReturnType<typeof createAccountService>;
  organizations: ReturnType<typeof createOrganizationService>;
  staff: ReturnType<typeof createStaffService>;
  /** Token, organization status and IP allow-list checks, for every authenticated route. */
  authenticate: MiddlewareHandler<AppEnv>;
  /** Queries, routing, notifications, shifts and FAQ. */
  support: SupportServices;
  /** Sockets, chat files, calls and presence. */
  realtime: RealtimeServices;
}

/** Builds the services every router shares; subscribes them to the bus. */
export async function buildServices(deps: Deps): Promise<Services> {
  const tokens = createTokenService(deps);
  await tokens.start();
  const access = createAccessService(deps);
  await access.start();
  const sessions = createSessionService(deps, { tokens, access });
  const accounts = createAccountService(deps, sessions, tokens);
  const authn = authenticate(tokens, access);
  const support = buildSupportServices(deps);
  const realtime = buildRealtime(deps, support);
  const organizations = createOrganizationService(deps, access);
  const staff = createStaffService(deps, tokens);
  return {
    tokens,
    access,
    sessions,
    accounts,
    organizations,
    staff,
    authenticate: authn,
    support,
    realtime,
  };
}

/** The whole HTTP API: middleware in order, every router, docs, one error handler. */
export async function buildApp(deps: Deps): Promise<OpenAPIHono<AppEnv>> {
  const services = await buildServices(deps);
  const app = new OpenAPIHono<AppEnv>();
  // The id goes onto the response with the other headers (see responseHeaders), not here.
  app.use(requestId({ headerName: "", generator: incomingRequestId }));
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
  app.use("/api/*", (c, next) => c.req.header("origin") ? corsHeaders(c, next) : next());
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
function mountApi(app: OpenAPIHono<AppEnv>, deps: Deps, services: Services): void {
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
  mountEmail(app, deps, services);
  mountReports(app, deps, services);
  mountRealtime(app, deps, services);
}
