import type { MiddlewareHandler } from "hono";
import { AppError } from "@/errors.ts";
import { can, integrationMay, type Permission } from "@/modules/users/actor.ts";
import type { AppEnv } from "./env.ts";

/** 403 unless the caller's role may perform `action`. Needs `requireAuth` before it. */
export function requirePermission(action: Permission): MiddlewareHandler<AppEnv> {
  return function requirePermission(c, next) {
    const integration = c.get("auth").integration;
    if (integration) {
      if (!integrationMay(integration.scopes, action)) {
        throw new AppError("FORBIDDEN", `This API key's scopes do not allow ${action}`);
      }
      return next();
    }
    if (!can(c.get("auth").role, action)) {
      throw new AppError("FORBIDDEN", `Role ${c.get("auth").role} may not ${action}`);
    }
    return next();
  };
}

/**
 * Sets `c.get("orgId")`, the organization the request acts on: always the token's own, except a
 * SuperAdmin, who names it in the path (`:orgId`). Nothing is ever read from a body or query.
 */
export function tenant(): MiddlewareHandler<AppEnv> {
  return function tenant(c, next) {
    const auth = c.get("auth");
    const named = c.req.param("orgId");
    if (auth.role === "SuperAdmin") {
      if (!named) {
        throw new AppError(
          "FORBIDDEN",
          "A SuperAdmin names the organization in the path: /superadmin/organizations/:orgId/...",
        );
      }
      c.set("orgId", named);
    } else {
      if (!auth.orgId) throw new AppError("FORBIDDEN", "No organization for this account");
      if (named !== undefined && named !== auth.orgId) {
        throw new AppError("NOT_FOUND", `Organization "${named}" not found`);
      }
      c.set("orgId", auth.orgId);
    }
    return next();
  };
}
