import { createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { actorOf, type AppEnv } from "@/http/env.ts";
import type { AccessService } from "./service.ts";
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
import {
  IdParam,
  LocationAccessPatch,
  LocationAccessSchema,
  OrgIdParam,
} from "@/modules/organizations/schemas.ts";
import { Latitude, Longitude, PlaceSchema } from "@/modules/users/schemas.ts";
import { textLine } from "@/modules/text.ts";

const AttemptSchema = z.object({
  id: z.string(),
  organizationId: z.string().nullable(),
  userId: z.string().nullable(),
  email: z.string(),
  at: z.string(),
  ip: z.string(),
  country: z.string().nullable(),
  city: z.string().nullable(),
  latitude: z.number().nullable(),
  longitude: z.number().nullable(),
  accuracy: z.number().nullable(),
  distanceMeters: z.number().nullable(),
  outcome: z.enum(["success", "failure", "denied"]),
  reason: z.string().nullable(),
}).openapi("LoginAttempt");

const VerdictSchema = z.object({
  required: z.boolean(),
  allowed: z.boolean(),
  reason: z.enum(["LOCATION_REQUIRED", "LOCATION_DENIED"]).nullable(),
  distanceMeters: z.number().nullable(),
  place: PlaceSchema.nullable(),
}).openapi("LocationVerdict");

const IpRuleSchema = z.object({
  id: z.string(),
  organizationId: z.string(),
  value: z.string(),
  note: z.string().nullable(),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
}).openapi("IpRule");

const Access = z.object({ loginLocationAccess: LocationAccessSchema });

/** `/location`: check a position against the caller's policy; login history (Admin). */
export function locationRoutes(access: AccessService, authenticate: MiddlewareHandler<AppEnv>) {
  const r = router();
  r.openapi(
    createRoute({
      method: "post",
      path: "/validate",
      tags: ["location"],
      summary: "Would a login from this position be allowed for the caller?",
      security: bearer,
      middleware: [authenticate, requirePermission("profile.self")],
      request: {
        body: jsonBody(z.strictObject({
          latitude: Latitude,
          longitude: Longitude,
          accuracy: z.number().min(0).max(1_000_000).optional(),
        })),
      },
      responses: { 200: jsonResponse(VerdictSchema, "The verdict"), 400: errors[400] },
    }),
    async (c) => {
      const v = await access.validate(c.get("auth"), c.req.valid("json"));
      return c.json({
        required: v.required,
        allowed: !v.required || v.allowed,
        reason: v.required ? v.reason : null,
        distanceMeters: "distanceMeters" in v ? v.distanceMeters : null,
        place: "place" in v ? v.place : null,
      }, 200);
    },
  );
  addHistoryRoute(r, access, authenticate, "/history");
  return r;
}

/**
 * `GET <path>`: the organization's login attempts, newest first. Under `/location/history` for its
 * Admin, and under `/superadmin/organizations/{orgId}/location/history` for a SuperAdmin.
 */
function addHistoryRoute(
  r: ReturnType<typeof router>,
  access: AccessService,
  authenticate: MiddlewareHandler<AppEnv>,
  path: string,
) {
  const named = path.includes("{orgId}");
  r.openapi(
    createRoute({
      method: "get",
      path,
      tags: [named ? "superadmin" : "location"],
      summary: "Login attempts on the organization's accounts, newest first",
      security: bearer,
      middleware: [
        authenticate,
        requirePermission(named ? "platform.manage" : "location.history"),
        tenant(),
      ],
      request: {
        ...(named ? { params: OrgIdParam } : {}),
        query: PageQuery.extend({
          userId: z.string().max(64).optional(),
          outcome: z.enum(["success", "failure", "denied"]).optional(),
        }),
      },
      responses: {
        200: jsonResponse(pageOf(AttemptSchema), "Attempts"),
        403: errors[403],
        404: errors[404],
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const filter = {
        ...(q.userId ? { userId: q.userId } : {}),
        ...(q.outcome ? { outcome: q.outcome } : {}),
      };
      return c.json(pageBody(await access.history(actorOf(c), filter, q), q), 200);
    },
  );
}

/** `/ip-whitelist`: the organization's allowed addresses and ranges (Admin). */
export function ipWhitelistRoutes(
  access: AccessService,
  authenticate: MiddlewareHandler<AppEnv>,
) {
  const r = router();
  const manage = [authenticate, requirePermission("access.manage"), tenant()];
  const tags = ["access"];
  r.openapi(
    createRoute({
      method: "get",
      path: "/",
      tags,
      summary: "The allow-list",
      security: bearer,
      middleware: manage,
      request: { query: PageQuery },
      responses: { 200: jsonResponse(pageOf(IpRuleSchema), "Entries"), 403: errors[403] },
    }),
    async (c) => {
      const q = c.req.valid("query");
      return c.json(pageBody(await access.listRules(actorOf(c), q), q), 200);
    },
  );
  r.openapi(
    createRoute({
      method: "post",
      path: "/",
      tags,
      summary: "Allow an IPv4/IPv6 address or CIDR range",
      security: bearer,
      middleware: manage,
      request: {
        body: jsonBody(z.strictObject({
          value: z.string().min(2).max(64),
          note: textLine(200, 0).optional(),
        })),
      },
      responses: {
        201: jsonResponse(z.object({ entry: IpRuleSchema }), "Added"),
        400: errors[400],
        403: errors[403],
        409: errors[409],
      },
    }),
    async (c) => {
      const entry = await access.addRule(actorOf(c), c.req.valid("json"));
      return c.json({ entry }, 201);
    },
  );
  r.openapi(
    createRoute({
      method: "delete",
      path: "/{id}",
      tags,
      summary: "Remove an entry",
      security: bearer,
      middleware: manage,
      request: { params: IdParam },
      responses: { 204: { description: "Removed" }, 404: errors[404] },
    }),
    async (c) => {
      await access.removeRule(actorOf(c), c.req.valid("param").id);
      return c.body(null, 204);
    },
  );
  return r;
}

/** Location-access settings: `/admin/location-access` and the SuperAdmin's per tenant. */
export function locationAccessRoutes(
  access: AccessService,
  authenticate: MiddlewareHandler<AppEnv>,
  scope: "admin" | "superadmin",
) {
  const r = router();
  const base = scope === "admin" ? "/location-access" : "/organizations/{orgId}/location-access";
  const params = scope === "admin" ? {} : { params: OrgIdParam };
  const guard = [
    authenticate,
    requirePermission(scope === "admin" ? "access.manage" : "platform.manage"),
    tenant(),
  ];
  if (scope === "superadmin") {
    addHistoryRoute(r, access, authenticate, "/organizations/{orgId}/location/history");
  }
  const tags = [scope];
  r.openapi(
    createRoute({
      method: "get",
      path: base,
      tags,
      summary: "Location-restricted login settings",
      security: bearer,
      middleware: guard,
      request: params,
      responses: { 200: jsonResponse(Access, "Settings"), 403: errors[403], 404: errors[404] },
    }),
    async (c) => c.json({ loginLocationAccess: await access.locationAccess(actorOf(c)) }, 200),
  );
  r.openapi(
    createRoute({
      method: "put",
      path: `${base}/toggle`,
      tags,
      summary: "Change the settings; without `enforce`, flips enforcement",
      security: bearer,
      middleware: guard,
      request: {
        ...params,
        body: { required: false, content: { "application/json": { schema: LocationAccessPatch } } },
      },
      responses: {
        200: jsonResponse(Access, "New settings"),
        400: errors[400],
        403: errors[403],
        404: errors[404],
      },
    }),
    async (c) => {
      const settings = await access.toggleLocationAccess(actorOf(c), c.req.valid("json"));
      return c.json({ loginLocationAccess: settings }, 200);
    },
  );
  return r;
}
