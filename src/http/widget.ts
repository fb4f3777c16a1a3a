import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Deps } from "@/deps.ts";
import type { AppEnv, RouterServices } from "./env.ts";
import { tenant } from "./rbac.ts";
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

const publicPaths = new Set(["POST /api/v1/widget/sessions", "GET /api/v1/widget/settings"]);

/**
 * Web chat: the Admin's web inboxes under /api/v1/inboxes/web, and the widget's own routes under
 * /api/v1/widget (a public session start, then the visitor token).
 */
export function mountWidget(app: OpenAPIHono<AppEnv>, deps: Deps, s: RouterServices): void {
  // The script any allowed site embeds; it shows nothing where /widget/settings refuses the page.
  app.openapi(
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
