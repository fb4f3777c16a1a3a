import { createRoute, z } from "@hono/zod-openapi";
import { actorOf } from "@/http/env.ts";
import { bearer, errors, jsonBody, jsonResponse, router } from "@/http/openapi.ts";
import { requirePermission } from "@/http/rbac.ts";
import { BusinessHoursSchema, type BusinessHoursService } from "./service.ts";

const Answer = z.object({ businessHours: BusinessHoursSchema.nullable() })
  .openapi("BusinessHoursSetting");
const common = { 400: errors[400], 401: errors[401], 403: errors[403] };
const tags = ["Business hours"];

/** `/business-hours`: when the organization is open; staff read it, Admins set it. */
export function businessHoursRoutes(hours: BusinessHoursService) {
  return router()
    .openapi(
      createRoute({
        method: "get",
        path: "/",
        tags,
        security: bearer,
        summary: "The organization's zone, weekly hours, holidays and out-of-hours reply",
        description: "`businessHours` is null when the organization keeps none (always open).",
        middleware: [requirePermission("business_hours.read")] as const,
        responses: { 200: jsonResponse(Answer, "The business hours"), ...common },
      }),
      async (c) => c.json({ businessHours: await hours.get(actorOf(c)) }, 200),
    )
    .openapi(
      createRoute({
        method: "put",
        path: "/",
        tags,
        security: bearer,
        summary: "Set the business hours",
        description: "SLA targets marked `businessHoursOnly` in the support settings count " +
          "open time only from then on (for queries created or re-prioritised after).",
        middleware: [requirePermission("support.settings")] as const,
        request: { body: jsonBody(BusinessHoursSchema) },
        responses: { 200: jsonResponse(Answer, "The business hours"), ...common },
      }),
      async (c) =>
        c.json({ businessHours: await hours.replace(actorOf(c), c.req.valid("json")) }, 200),
    )
    .openapi(
      createRoute({
        method: "delete",
        path: "/",
        tags,
        security: bearer,
        summary: "Keep no business hours (always open)",
        middleware: [requirePermission("support.settings")] as const,
        responses: { 200: jsonResponse(Answer, "No business hours"), ...common },
      }),
      async (c) => c.json({ businessHours: await hours.replace(actorOf(c), null) }, 200),
    );
}
