import type { Context, MiddlewareHandler } from "hono";
import type { SharedState } from "@/bus/bus.ts";
import { AppError } from "@/errors.ts";
import type { AppEnv } from "./env.ts";

export interface RateLimitOptions {
  windowSeconds: number;
  max: number;
  prefix?: string;
  /** What is counted: the client address unless told otherwise. */
  key?: (c: Context<AppEnv>) => string;
  onUnavailable?: (err: unknown) => void;
}

/**
 * Counts requests per client address (or per `key`) in a fixed window kept in shared state
 * (Redis when configured, so every instance counts together); over `max` → 429 with
 * `Retry-After`. When the shared state does not answer (Redis down), requests pass uncounted and
 * `onUnavailable` is told: the API stays up rather than failing every request on its limiter.
 */
export function rateLimit(
  shared: SharedState,
  options: RateLimitOptions,
): MiddlewareHandler<AppEnv> {
  const prefix = options.prefix ?? "rl:api";
  const key = options.key ?? ((c) => c.get("ip"));
  return function rateLimit(c, next) {
    return shared.increment(`${prefix}:${key(c)}`, options.windowSeconds * 1000).then(
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

/**
 * `authenticate`, then a count per caller (a user, or an API key): people who share one address
 * (an office behind NAT) each have their own allowance, and a runaway client is stopped without
 * stopping its colleagues.
 */
export function perCaller(
  authenticate: MiddlewareHandler<AppEnv>,
  shared: SharedState,
  options: Omit<RateLimitOptions, "key" | "prefix">,
): MiddlewareHandler<AppEnv> {
  const limit = rateLimit(shared, {
    ...options,
    prefix: "rl:caller",
    key: (c) => {
      const auth = c.get("auth");
      return auth.integration ? `key:${auth.integration.keyId}` : `user:${auth.userId}`;
    },
  });
  return function authenticateAndCount(c, next) {
    return authenticate(c, async () => {
      await limit(c, next);
    });
  };
}
