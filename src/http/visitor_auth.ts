import type { Context, MiddlewareHandler, Next } from "hono";
import { cors } from "hono/cors";
import { AppError } from "@/errors.ts";
import type { VisitorService } from "@/modules/widget/visitors.ts";
import { visitorTokenPrefix } from "@/modules/widget/model.ts";
import type { AppEnv } from "./env.ts";

/** What a visitor token reaches: the widget's routes, its own rooms and queries, and `/ws`. */
const visitorPaths =
  /^(\/ws|\/api\/v1\/(widget\/.*|chat\/rooms\/[^/]+\/(messages|read|files)|chat\/files\/[^/]+|queries\/[^/]+(\/csat)?))$/;

/** Whether the presented token is a visitor's (`ccv_…`). */
export function isVisitorToken(token: string | undefined): token is string {
  return token?.startsWith(visitorTokenPrefix) ?? false;
}

/**
 * Authenticates a widget visitor: a Customer contact of the token's organization, on the
 * visitor's paths only, from one of its inbox's allowed origins when a browser sends one.
 */
export async function visitor(
  c: Context<AppEnv>,
  next: Next,
  token: string,
  visitors: Pick<VisitorService, "authenticate" | "inboxOf">,
) {
  const caller = await visitors.authenticate(token);
  if (!caller) throw new AppError("UNAUTHORIZED", "Unknown or revoked visitor token");
  if (!visitorPaths.test(c.req.path)) {
    throw new AppError("FORBIDDEN", "A visitor token reaches the widget's routes only");
  }
  const origin = c.req.header("origin");
  if (origin !== undefined) {
    const inbox = await visitors.inboxOf(caller);
    if (!inbox?.allowedOrigins.includes(origin)) {
      throw new AppError(
        "FORBIDDEN",
        `Origin "${origin.slice(0, 200)}" may not act as this visitor`,
      );
    }
  }
  c.set("auth", {
    userId: caller.contactId,
    orgId: caller.orgId,
    role: "Customer",
    tokenId: caller.sessionId,
    sessionId: caller.sessionId,
    expiresAt: Number.MAX_SAFE_INTEGER,
    visitor: { sessionId: caller.sessionId, inboxId: caller.inboxId },
  });
  await next();
}

/**
 * CORS for the paths a widget calls from its website: any origin may ask (the visitor token is
 * a header, never a cookie, and each request's origin is checked against its inbox), without
 * credentials. Other paths, and configured origins, keep the API's own CORS.
 */
export function widgetCors(
  apiOrigins: string[],
  apiCors: MiddlewareHandler<AppEnv>,
): MiddlewareHandler<AppEnv> {
  const configured = new Set(apiOrigins);
  const open = cors({
    origin: (origin) => origin,
    credentials: false,
    allowHeaders: ["Authorization", "Content-Type", "X-Request-Id"],
    exposeHeaders: ["X-Request-Id", "Retry-After"],
  });
  return function widgetCors(c, next) {
    const origin = c.req.header("origin")!;
    const widgetPath = visitorPaths.test(c.req.path);
    return widgetPath && !configured.has(origin) && !configured.has("*")
      ? open(c, next)
      : apiCors(c, next);
  };
}
