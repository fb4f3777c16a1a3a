import { actorOf } from "@/http/env.ts";
import { createRoute, z } from "@hono/zod-openapi";
import { bearer, errors, jsonBody, jsonResponse, router, withoutOrg } from "@/http/openapi.ts";
import { requirePermission } from "@/http/rbac.ts";
import { SupportSettingsSchema, type SupportSettingsService } from "@/modules/queries/settings.ts";
import type { RoutingService } from "./service.ts";

const AgentStateSchema = z.object({
  userId: z.string(),
  status: z.enum(["online", "away", "offline"]),
  onShift: z.boolean(),
  load: z.number().int(),
  lastAssignedAt: z.string().nullable(),
  updatedAt: z.string(),
}).openapi("AgentState");

const common = { 400: errors[400], 401: errors[401], 403: errors[403] };

/** `/agents`: availability that routing reads. */
export function agentRoutes(routing: RoutingService) {
  return router()
    .openapi(
      createRoute({
        method: "put",
        path: "/me/status",
        tags: ["Routing"],
        security: bearer,
        summary: "Set my availability: online takes queries, offline hands mine back",
        middleware: [requirePermission("routing.availability")] as const,
        request: {
          body: jsonBody(z.object({ status: z.enum(["online", "away", "offline"]) }).strict()),
        },
        responses: { 200: jsonResponse(AgentStateSchema, "My routing state"), ...common },
      }),
      async (c) => {
        const state = await routing.setAvailability(
          c.get("orgId"),
          c.get("auth").userId,
          c.req.valid("json").status,
        );
        return c.json(withoutOrg(state), 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/status",
        tags: ["Routing"],
        security: bearer,
        summary: "Every agent's availability, shift and load",
        middleware: [requirePermission("routing.read")] as const,
        responses: {
          200: jsonResponse(z.object({ data: z.array(AgentStateSchema) }), "States"),
          ...common,
        },
      }),
      async (c) => {
        return c.json({ data: (await routing.states(c.get("orgId"))).map(withoutOrg) }, 200);
      },
    );
}

/** `/admin/support-settings`: routing policy and SLA targets of the organization. */
export function supportSettingsRoutes(settings: SupportSettingsService) {
  return router()
    .openapi(
      createRoute({
        method: "get",
        path: "/",
        tags: ["Routing"],
        security: bearer,
        summary: "Routing policy, reassign time and SLA targets",
        middleware: [requirePermission("support.settings")] as const,
        responses: { 200: jsonResponse(SupportSettingsSchema, "Settings"), ...common },
      }),
      async (c) => c.json(await settings.get(actorOf(c)), 200),
    )
    .openapi(
      createRoute({
        method: "put",
        path: "/",
        tags: ["Routing"],
        security: bearer,
        summary: "Replace routing policy, reassign time and SLA targets",
        middleware: [requirePermission("support.settings")] as const,
        request: { body: jsonBody(SupportSettingsSchema) },
        responses: { 200: jsonResponse(SupportSettingsSchema, "Settings"), ...common },
      }),
      async (c) =>
        c.json(
          await settings.replace(actorOf(c), c.req.valid("json")),
          200,
        ),
    );
}
