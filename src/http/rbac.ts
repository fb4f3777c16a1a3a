import type { MiddlewareHandler } from "hono";
import { AppError } from "@/errors.ts";
import type { Role } from "@/modules/users/repository.ts";
import type { AppEnv } from "./env.ts";

const staff: Role[] = ["Admin", "TL", "QA", "Agent"];
const leads: Role[] = ["Admin", "TL"];
const supervisors: Role[] = ["Admin", "TL", "QA"];

/**
 * What each role may do: the one table. A route names its action with `requirePermission`;
 * tenant scoping (which organization) is separate, see `tenant`.
 */
export const permissions = {
  "platform.manage": ["SuperAdmin"],
  "organization.read": ["SuperAdmin", "Admin"],
  "organization.update": ["SuperAdmin", "Admin"],
  "staff.read": ["SuperAdmin", ...supervisors],
  "staff.manage": ["SuperAdmin", "Admin"],
  "access.manage": ["SuperAdmin", "Admin"],
  "audit.read": ["SuperAdmin", "Admin"],
  "location.history": ["SuperAdmin", "Admin"],
  "profile.self": ["SuperAdmin", ...staff, "Customer"],
  "reports.read": ["SuperAdmin", ...supervisors],
  "leads.manage": ["SuperAdmin", ...leads],
  "queries.read": [...staff, "Customer"],
  "queries.create": ["Admin", "TL", "Agent", "Customer"],
  "queries.work": ["Admin", "TL", "Agent"],
  "queries.lead": leads,
  "queries.rate": ["Customer"],
  "routing.availability": ["Admin", "TL", "Agent"],
  "routing.read": supervisors,
  "support.settings": ["Admin"],
  "notifications.self": [...staff, "Customer"],
  "shifts.self": staff,
  "shifts.read": supervisors,
  "faq.read": staff,
  "faq.manage": leads,
  "chat.read": [...staff, "Customer"],
  "chat.write": ["Admin", "TL", "Agent", "Customer"],
  "chat.direct": ["Admin", "TL", "Agent"],
  "calls.make": ["Admin", "TL", "Agent", "Customer"],
  "email.manage": ["SuperAdmin", "Admin"],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof permissions;

export function can(role: Role, action: Permission): boolean {
  return (permissions[action] as readonly Role[]).includes(role);
}

/** 403 unless the caller's role may perform `action`. Needs `requireAuth` before it. */
export function requirePermission(action: Permission): MiddlewareHandler<AppEnv> {
  return function requirePermission(c, next) {
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
