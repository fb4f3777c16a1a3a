import type { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { AppError } from "@/errors.ts";
import type { OrganizationService } from "@/modules/organizations/service.ts";
import type { AppEnv } from "./env.ts";
import { requirePermission } from "./rbac.ts";

const readMethods = new Set(["GET", "HEAD"]);

/**
 * The one rule for `/superadmin/organizations/:orgId/…`: the named organization must exist
 * (404), and a deactivated one is read-only (409 ORGANIZATION_DEACTIVATED on any write).
 */
export function namedOrganization(organizations: OrganizationService): MiddlewareHandler<AppEnv> {
  return async function namedOrganization(c, next) {
    const org = await organizations.get(c.req.param("orgId") ?? "");
    if (!org.active && !readMethods.has(c.req.method)) {
      throw new AppError(
        "ORGANIZATION_DEACTIVATED",
        `Organization "${org.id}" is deactivated: reactivate it before changing its data`,
      );
    }
    await next();
  };
}

/**
 * Guards every `/api/v1/superadmin` route at the mount, before any router: only a SuperAdmin
 * reaches them (401 without a token, 403 for every other role), and what is under
 * `/superadmin/organizations/:orgId/` acts on an organization that exists. Must run before the
 * routers are mounted, so that it comes first in Hono's order.
 */
export function guardPlatform(
  app: OpenAPIHono<AppEnv>,
  authenticate: MiddlewareHandler<AppEnv>,
  organizations: OrganizationService,
): void {
  app.use("/api/v1/superadmin/*", authenticate, requirePermission("platform.manage"));
  // `:rest{.+}`: something under the organization, not `/organizations/:id` itself (which
  // must stay writable, to reactivate it).
  app.use(
    "/api/v1/superadmin/organizations/:orgId/:rest{.+}",
    namedOrganization(organizations),
  );
}
