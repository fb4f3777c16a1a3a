import { trace } from "@opentelemetry/api";
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { AppEnv } from "./env.ts";

/**
 * Names the request's span (Deno's built-in OpenTelemetry, `OTEL_DENO=true`) by its route
 * template and gives it the request id, so a trace and a log line are found from each other.
 * Without OpenTelemetry there is no active span and this does nothing.
 */
export function spanDetails(): MiddlewareHandler<AppEnv> {
  return async function spanDetails(c, next) {
    const span = trace.getActiveSpan();
    if (!span) return next();
    span.setAttribute("http.request.id", c.get("requestId"));
    await next();
    const route = routePath(c, -1);
    if (route) {
      span.setAttribute("http.route", route);
      span.updateName(`${c.req.method} ${route}`);
    }
  };
}
