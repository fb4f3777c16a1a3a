import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { timingSafeEqual } from "node:crypto";
import { AppError } from "@/errors.ts";
import type { Metrics } from "@/modules/metrics/registry.ts";
import type { AppEnv } from "./env.ts";
import { bearer, errors, router } from "./openapi.ts";

/** Counts and times every request by the route template that answered it (never the raw path). */
export function httpMetrics(metrics: Metrics): MiddlewareHandler<AppEnv> {
  return async function httpMetrics(c, next) {
    const started = performance.now();
    await next();
    // The last route matched: a handler's template, or a middleware's pattern when none answered.
    const route = routePath(c, -1) || "unmatched";
    metrics.request(route, c.req.method, c.res.status, (performance.now() - started) / 1000);
  };
}

function sameToken(given: string, expected: string): boolean {
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * `GET /metrics` in the Prometheus text format, for `Authorization: Bearer <METRICS_TOKEN>`.
 * Without a token configured it answers 404, as a path that does not exist.
 */
export function mountMetrics(
  app: OpenAPIHono<AppEnv>,
  metrics: Metrics,
  token: string | undefined,
): void {
  const routes = router().openapi(
    createRoute({
      method: "get",
      path: "/",
      tags: ["Metrics"],
      security: bearer,
      summary: "Prometheus metrics (only when METRICS_TOKEN is set; that token as Bearer)",
      responses: {
        200: {
          description: "The Prometheus text exposition format",
          content: { "text/plain": { schema: z.string() } },
        },
        401: errors[401],
        404: { ...errors[404], description: "METRICS_TOKEN is not set" },
      },
    }),
    async (c) => {
      if (!token) throw new AppError("NOT_FOUND", `No route for GET ${c.req.path}`);
      const given = /^Bearer (.+)$/.exec(c.req.header("authorization") ?? "")?.[1] ?? "";
      if (!sameToken(given, token)) {
        throw new AppError("UNAUTHORIZED", "A valid metrics token is required");
      }
      const { body, contentType } = await metrics.render();
      return c.text(body, 200, { "Content-Type": contentType, "Cache-Control": "no-store" });
    },
  );
  app.route("/metrics", routes);
}
