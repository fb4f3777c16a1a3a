import { createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { actorOf, type AppEnv } from "@/http/env.ts";
import type { AuditService } from "./service.ts";
import { bearer, errors, jsonResponse, pageOf, PageQuery, router } from "@/http/openapi.ts";
import { pageBody } from "@/http/paging.ts";
import { requirePermission, tenant } from "@/http/rbac.ts";
import { roles } from "@/modules/users/repository.ts";
import { auditActions, type AuditFilter } from "./repository.ts";

const AuditEventSchema = z.object({
  id: z.string(),
  organizationId: z.string().nullable(),
  action: z.enum(auditActions),
  actorId: z.string().nullable(),
  actorRole: z.enum(roles).nullable(),
  targetType: z.enum([
    "user",
    "contact",
    "organization",
    "ip_rule",
    "mailbox",
    "webhook",
    "api_key",
  ])
    .nullable(),
  targetId: z.string().nullable(),
  ip: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  at: z.string(),
}).openapi("AuditEvent");

const Query = PageQuery.extend({
  action: z.enum(auditActions).optional(),
  actorId: z.string().max(64).optional(),
  targetId: z.string().max(64).optional(),
});

function filterOf(q: z.infer<typeof Query>): AuditFilter {
  return {
    ...(q.action ? { action: q.action } : {}),
    ...(q.actorId ? { actorId: q.actorId } : {}),
    ...(q.targetId ? { targetId: q.targetId } : {}),
  };
}

/** `/admin/audit` (own tenant); `/superadmin/audit` and `/superadmin/organizations/:orgId/audit`. */
export function auditRoutes(
  audit: AuditService,
  authenticate: MiddlewareHandler<AppEnv>,
  scope: "admin" | "superadmin",
) {
  const r = router();
  const routes = scope === "admin"
    ? [{ path: "/audit", tenantScoped: true }]
    : [{ path: "/audit", tenantScoped: false }, {
      path: "/organizations/{orgId}/audit",
      tenantScoped: true,
    }];
  for (const { path, tenantScoped } of routes) {
    r.openapi(
      createRoute({
        method: "get",
        path,
        tags: [scope],
        summary: tenantScoped ? "Security events of one organization" : "Every security event",
        security: bearer,
        middleware: scope === "admin"
          ? [authenticate, requirePermission("audit.read"), tenant()]
          : tenantScoped
          ? [authenticate, requirePermission("platform.manage"), tenant()]
          : [authenticate, requirePermission("platform.manage")],
        request: { query: Query },
        responses: { 200: jsonResponse(pageOf(AuditEventSchema), "Events"), 403: errors[403] },
      }),
      async (c) => {
        const q = c.req.valid("query");
        const result = tenantScoped
          ? await audit.list(actorOf(c), filterOf(q), q)
          : await audit.listAll(filterOf(q), q);
        return c.json(pageBody(result, q), 200);
      },
    );
  }
  return r;
}
