import type { MiddlewareHandler } from "hono";
import type { SharedState } from "@/bus/bus.ts";
import { AppError } from "@/errors.ts";
import type { AppEnv } from "./env.ts";

/**
 * Counts requests per client address in a fixed window kept in shared state (Redis when
 * configured, so every instance counts together); over `max` → 429 with `Retry-After`. When the
 * shared state does not answer (Redis down), requests pass uncounted and `onUnavailable` is told:
 * the API stays up rather than failing every request on its rate limiter.
 */
export function rateLimit(
  shared: SharedState,
  options: {
    windowSeconds: number;
    max: number;
    prefix?: string;
    onUnavailable?: (err: unknown) => void;
  },
): MiddlewareHandler<AppEnv> {
  const prefix = options.prefix ?? "rl:api";
  return function rateLimit(c, next) {
    return shared.increment(`${prefix}:${c.get("ip")}`, options.windowSeconds * 1000).then(
      ({ count, resetInMs }) => {
        const retryAfter = String(Math.max(1, Math.ceil(resetInMs / 1000)));
        // The RateLimit-* headers once a client has used nine tenths of its window: each
        // response header costs measurably, and a client far from the limit has nothing to
        // learn from them.
        const remaining = Math.max(0, options.max - count);
        if (remaining <= options.max / 10) {
          c.header("RateLimit-Limit", String(options.max));
          c.header("RateLimit-Remaining", String(remaining));
          c.header("RateLimit-Reset", retryAfter);
        }
        if (count > options.max) {
          throw new AppError("RATE_LIMITED", "Too many requests, try again later", {
            headers: { "Retry-After": retryAfter },
          });
        }
        return next();
      },
      (err) => {
        options.onUnavailable?.(err);
        return next();
      },
    );
  };
}
