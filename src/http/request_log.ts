import type { MiddlewareHandler } from "hono";
import type { Logger } from "@/log.ts";
import type { AppEnv } from "./env.ts";

/**
 * One JSON line per request: method, path, status, duration, request id, org and user. Health
 * probes that succeed are written at debug: an orchestrator asks every few seconds.
 */
export function requestLog(log: Logger): MiddlewareHandler<AppEnv> {
  return async function requestLog(c, next) {
    const started = performance.now();
    await next();
    const auth = c.get("auth") as AppEnv["Variables"]["auth"] | undefined;
    const probe = c.req.path.startsWith("/health/") && c.res.status < 400;
    log[probe ? "debug" : "info"]("request", {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      requestId: c.get("requestId"),
      org: c.get("orgId") ?? auth?.orgId ?? null,
      user: auth?.userId ?? null,
    });
  };
}
