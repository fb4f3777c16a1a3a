import { createRoute, z } from "@hono/zod-openapi";
import { bearer, errors, jsonResponse, pageOf, PageQuery, router } from "@/http/openapi.ts";
import { requirePermission } from "@/http/rbac.ts";
import { can } from "@/modules/users/actor.ts";
import type { ShiftService } from "./service.ts";

const ShiftSchema = z.object({
  id: z.string(),
  userId: z.string(),
  clockIn: z.string(),
  clockOut: z.string().nullable(),
  durationMinutes: z.number().int(),
}).openapi("Shift");

const tags = ["Shifts"];
const common = { 400: errors[400], 401: errors[401], 403: errors[403], 409: errors[409] };
const shown = (s: z.infer<typeof ShiftSchema> & { organizationId: string; createdAt: string }) => ({
  id: s.id,
  userId: s.userId,
  clockIn: s.clockIn,
  clockOut: s.clockOut,
  durationMinutes: s.durationMinutes,
});

/** `/shifts`: clock in and out; routing offers queries only to agents on shift. */
export function shiftRoutes(shifts: ShiftService) {
  return router()
    .openapi(
      createRoute({
        method: "post",
        path: "/clock-in",
        tags,
        security: bearer,
        summary: "Start my shift (409 when one is open)",
        middleware: [requirePermission("shifts.self")] as const,
        responses: { 201: jsonResponse(ShiftSchema, "The open shift"), ...common },
      }),
      async (c) => {
        const shift = await shifts.clockIn(c.get("orgId"), c.get("auth").userId);
        return c.json(shown({ ...shift, durationMinutes: 0 }), 201);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/clock-out",
        tags,
        security: bearer,
        summary: "End my shift; my open queries go back to the queue",
        middleware: [requirePermission("shifts.self")] as const,
        responses: { 200: jsonResponse(ShiftSchema, "The closed shift"), ...common },
      }),
      async (c) => c.json(shown(await shifts.clockOut(c.get("orgId"), c.get("auth").userId)), 200),
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/",
        tags,
        security: bearer,
        summary: "Shifts with durations: mine, or anyone's for TL, QA and Admin",
        middleware: [requirePermission("shifts.self")] as const,
        request: {
          query: PageQuery.extend({ userId: z.string().min(1).max(64).optional() }).strict(),
        },
        responses: { 200: jsonResponse(pageOf(ShiftSchema), "Newest first"), ...common },
      }),
      async (c) => {
        const q = c.req.valid("query");
        const everyone = can(c.get("auth").role, "shifts.read");
        const userId = everyone ? q.userId : c.get("auth").userId;
        const page = { page: q.page, limit: q.limit };
        const result = await shifts.list(c.get("orgId"), userId ? { userId } : {}, page);
        return c.json(
          { data: result.data.map(shown), meta: { total: result.total, ...page } },
          200,
        );
      },
    );
}
