import { createRoute, z } from "@hono/zod-openapi";
import type { Deps } from "@/deps.ts";
import { notFound } from "@/errors.ts";
import { bearer, errors, jsonBody, jsonResponse, router } from "@/http/openapi.ts";
import { requirePermission } from "@/http/rbac.ts";
import {
  type SupportSettings,
  supportSettings,
  SupportSettingsSchema,
} from "@/modules/queries/settings.ts";
import { audit } from "@/modules/audit/service.ts";
import { clientIp } from "@/http/client_ip.ts";
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
export function agentRoutes(deps: Deps, routing: RoutingService) {
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
          c.var.orgId,
          c.var.auth.userId,
          c.req.valid("json").status,
        );
        const { organizationId: _org, ...shown } = state;
        return c.json(shown, 200);
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
        const states = await deps.store.agentStates.list(c.var.orgId);
        return c.json({ data: states.map(({ organizationId: _o, ...s }) => s) }, 200);
      },
    );
}

/** `/admin/support-settings`: routing policy and SLA targets of the organization. */
export function supportSettingsRoutes(deps: Deps) {
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
      async (c) => {
        const org = await deps.store.organizations.findById(c.var.orgId);
        if (!org) throw notFound("Organization", c.var.orgId);
        return c.json(supportSettings(org), 200);
      },
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
      async (c) => {
        const next: SupportSettings = c.req.valid("json");
        const org = await deps.store.organizations.findById(c.var.orgId);
        if (!org) throw notFound("Organization", c.var.orgId);
        await deps.store.organizations.update(
          org.id,
          { settings: { ...org.settings, support: next } },
          deps.clock.now().toISOString(),
        );
        await audit(deps, {
          organizationId: org.id,
          action: "organization.updated",
          actor: c.var.auth,
          targetType: "organization",
          targetId: org.id,
          ip: clientIp(c, deps.config.trustProxy),
          details: { support: { before: supportSettings(org), after: next } },
        });
        return c.json(next, 200);
      },
    );
}
