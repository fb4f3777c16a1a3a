import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Deps } from "@/deps.ts";
import type { AppEnv, RouterServices } from "./env.ts";
import { tenant } from "./rbac.ts";
import { errors, router } from "./openapi.ts";
import { rateLimit } from "./rate_limit.ts";
import { webInboxRoutes } from "@/modules/widget/inbox_routes.ts";
import { widgetSessionRoutes, widgetVisitorRoutes } from "@/modules/widget/visitor_routes.ts";

/** Visitor starts per address and minute: a page load makes one, a reload another. */
const sessionStartsPerMinute = 30;

let bundle: Promise<{ text: string; etag: string }> | undefined;
/** The committed bundle (`deno task build-widget`), read once on first request. */
function widgetBundle() {
  return bundle ??= Deno.readTextFile(new URL("../web/dist/widget.js", import.meta.url)).then(
    async (text) => {
      const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
      const hex = Array.from(
        new Uint8Array(digest).slice(0, 12),
        (b) => b.toString(16).padStart(2, "0"),
      );
      return { text, etag: `"${hex.join("")}"` };
    },
  );
}

/** The demo page lets only this API's own scripts, styles (the widget's) and connections in. */
const demoCsp = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
  "connect-src 'self' ws: wss:; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'";

/** The token is checked to be `ccw_` and [A-Za-z0-9_-] only: nothing in it needs escaping. */
function demoPage(websiteToken: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ChatCRM web chat demo</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>A demo shop</h1><p>The chat launcher is in the lower right corner.</p></main>
<script src="/widget.js" data-website-token="${websiteToken}" async></script>
</body></html>`;
}

const publicPaths = new Set(["POST /api/v1/widget/sessions", "GET /api/v1/widget/settings"]);

/**
 * Web chat: the Admin's web inboxes under /api/v1/inboxes/web, and the widget's own routes under
 * /api/v1/widget (a public session start, then the visitor token).
 */
export function mountWidget(app: OpenAPIHono<AppEnv>, deps: Deps, s: RouterServices): void {
  // The script any allowed site embeds; it shows nothing where /widget/settings refuses the page.
  const assets = router()
    .openapi(
      createRoute({
        method: "get",
        path: "/widget/demo",
        tags: ["Web chat"],
        summary: "A demo page that embeds the widget (allow this API's origin on the inbox)",
        request: {
          query: z.object({ websiteToken: z.string().regex(/^ccw_[A-Za-z0-9_-]{1,200}$/) }),
        },
        responses: {
          200: { description: "The page", content: { "text/html": { schema: z.string() } } },
          400: errors[400],
        },
      }),
      (c) => {
        const token = c.req.valid("query").websiteToken;
        c.header("content-security-policy", demoCsp);
        return c.body(demoPage(token), 200, { "content-type": "text/html; charset=utf-8" });
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/widget.js",
        tags: ["Web chat"],
        summary: "The embeddable chat widget (one script tag on an allowed site)",
        responses: {
          200: {
            description: "The widget's script",
            content: { "text/javascript": { schema: z.string() } },
          },
          304: { description: "Not modified (If-None-Match)" },
        },
      }),
      async (c) => {
        const { text, etag } = await widgetBundle();
        c.header("cache-control", "public, max-age=300, stale-while-revalidate=86400");
        c.header("etag", etag);
        c.header("cross-origin-resource-policy", "cross-origin");
        c.header("content-security-policy", "default-src 'none'; frame-ancestors 'none'");
        if (c.req.header("if-none-match") === etag) return c.body(null, 304);
        return c.body(text, 200, { "content-type": "text/javascript; charset=utf-8" });
      },
    );
  app.route("/", assets);
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
