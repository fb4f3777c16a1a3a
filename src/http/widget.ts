import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Deps } from "@/deps.ts";
import type { AppEnv, RouterServices } from "./env.ts";
import { tenant } from "./rbac.ts";
import { rateLimit } from "./rate_limit.ts";
import { webInboxRoutes } from "@/modules/widget/inbox_routes.ts";
import { widgetSessionRoutes, widgetVisitorRoutes } from "@/modules/widget/visitor_routes.ts";

/** Visitor starts per address and minute: a page load makes one, a reload another. */
const sessionStartsPerMinute = 30;

const publicPaths = new Set(["POST /api/v1/widget/sessions", "GET /api/v1/widget/settings"]);

/**
 * Web chat: the Admin's web inboxes under /api/v1/inboxes/web, and the widget's own routes under
 * /api/v1/widget (a public session start, then the visitor token).
 */
export function mountWidget(app: OpenAPIHono<AppEnv>, deps: Deps, s: RouterServices): void {
  const base = "/api/v1/inboxes/web";
  for (const path of [base, `${base}/*`]) app.use(path, s.authenticate, tenant());
  app.route(base, webInboxRoutes(s.webInboxes));

  app.use(
    "/api/v1/widget/sessions",
    rateLimit(deps.shared, {
      windowSeconds: 60,
      max: sessionStartsPerMinute,
      prefix: "rl:widget-sessions",
    }),
  );
  const inTenant = tenant();
  app.use("/api/v1/widget/*", async (c, next) => {
    // The settings and the session start are public; everything else is the visitor's.
    if (publicPaths.has(`${c.req.method} ${c.req.path}`)) return await next();
    await s.authenticate(c, async () => {
      await inTenant(c, next);
    });
  });
  app.route("/api/v1/widget", widgetSessionRoutes(s.visitors));
  app.route(
    "/api/v1/widget",
    widgetVisitorRoutes(s.visitors, s.queries, s.chat, deps.store.users),
  );
}
