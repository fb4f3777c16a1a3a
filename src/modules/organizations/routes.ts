import { createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { type AppEnv, callerOf } from "@/http/env.ts";
import type { OrganizationService } from "./service.ts";
import {
  bearer,
  errors,
  jsonBody,
  jsonResponse,
  pageOf,
  PageQuery,
  router,
} from "@/http/openapi.ts";
import { pageBody } from "@/http/paging.ts";
import { requirePermission, tenant } from "@/http/rbac.ts";
import { Email, Name, Password, UserSchema } from "@/modules/users/schemas.ts";
import { IdParam, OrganizationSchema, Slug, Timezone } from "./schemas.ts";

const NewOrganization = z.strictObject({
  name: Name,
  slug: Slug.optional(),
  timezone: Timezone.optional(),
  admin: z.strictObject({ name: Name, email: Email, password: Password }),
});
const OrganizationChange = z.strictObject({
  name: Name.optional(),
  slug: Slug.optional(),
  active: z.boolean().optional(),
  timezone: Timezone.optional(),
});
const ListQuery = PageQuery.extend({
  active: z.enum(["true", "false"]).transform((v) => v === "true").optional(),
  q: z.string().max(100).optional(),
});
const OrgBody = z.object({ organization: OrganizationSchema });

/** `/superadmin/organizations`: every tenant, for SuperAdmins. */
export function superadminOrganizationRoutes(
  organizations: OrganizationService,
  authenticate: MiddlewareHandler<AppEnv>,
) {
  const r = router();
  const platform = [authenticate, requirePermission("platform.manage")];
  const tags = ["superadmin"];

  r.openapi(
    createRoute({
      method: "get",
      path: "/organizations",
      tags,
      summary: "List organizations",
      security: bearer,
      middleware: platform,
      request: { query: ListQuery },
      responses: {
        200: jsonResponse(pageOf(OrganizationSchema), "Organizations"),
        401: errors[401],
        403: errors[403],
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      return c.json(pageBody(await organizations.list(q, q), q), 200);
    },
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/organizations",
      tags,
      summary: "Create an organization and its first Admin",
      security: bearer,
      middleware: platform,
      request: { body: jsonBody(NewOrganization) },
      responses: {
        201: jsonResponse(
          z.object({ organization: OrganizationSchema, admin: UserSchema }),
          "Created",
        ),
        400: errors[400],
        401: errors[401],
        403: errors[403],
        409: errors[409],
      },
    }),
    async (c) => c.json(await organizations.create(callerOf(c), c.req.valid("json")), 201),
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/organizations/{id}",
      tags,
      summary: "One organization",
      security: bearer,
      middleware: platform,
      request: { params: IdParam },
      responses: { 200: jsonResponse(OrgBody, "The organization"), 404: errors[404] },
    }),
    async (c) => c.json({ organization: await organizations.get(c.req.valid("param").id) }, 200),
  );

  r.openapi(
    createRoute({
      method: "put",
      path: "/organizations/{id}",
      tags,
      summary: "Rename, re-slug, (de)activate an organization",
      security: bearer,
      middleware: platform,
      request: { params: IdParam, body: jsonBody(OrganizationChange) },
      responses: {
        200: jsonResponse(OrgBody, "Updated"),
        400: errors[400],
        404: errors[404],
        409: errors[409],
      },
    }),
    async (c) => {
      const org = await organizations.update(
        callerOf(c),
        c.req.valid("param").id,
        c.req.valid("json"),
      );
      return c.json({ organization: org }, 200);
    },
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/organizations/{id}",
      tags,
      summary: "Deactivate an organization: its logins and requests stop, nothing is erased",
      security: bearer,
      middleware: platform,
      request: { params: IdParam },
      responses: { 200: jsonResponse(OrgBody, "Deactivated"), 404: errors[404] },
    }),
    async (c) => {
      const org = await organizations.update(
        callerOf(c),
        c.req.valid("param").id,
        { active: false },
      );
      return c.json({ organization: org }, 200);
    },
  );
  return r;
}

/** `/admin/organization`: an Admin's own organization. */
export function adminOrganizationRoutes(
  organizations: OrganizationService,
  authenticate: MiddlewareHandler<AppEnv>,
) {
  const r = router();
  const tags = ["admin"];

  r.openapi(
    createRoute({
      method: "get",
      path: "/organization",
      tags,
      summary: "The caller's organization",
      security: bearer,
      middleware: [authenticate, requirePermission("organization.read"), tenant()],
      responses: { 200: jsonResponse(OrgBody, "The organization"), 403: errors[403] },
    }),
    async (c) => c.json({ organization: await organizations.get(c.get("orgId")) }, 200),
  );

  r.openapi(
    createRoute({
      method: "put",
      path: "/organization",
      tags,
      summary: "Rename the organization or set its timezone",
      security: bearer,
      middleware: [authenticate, requirePermission("organization.update"), tenant()],
      request: {
        body: jsonBody(z.strictObject({ name: Name.optional(), timezone: Timezone.optional() })),
      },
      responses: { 200: jsonResponse(OrgBody, "Updated"), 400: errors[400], 403: errors[403] },
    }),
    async (c) => {
      const org = await organizations.update(
        callerOf(c),
        c.get("orgId"),
        c.req.valid("json"),
      );
      return c.json({ organization: org }, 200);
    },
  );
  return r;
}
